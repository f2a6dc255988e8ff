/// What changed between two states of a model, field by field, as `/model/history` shows it.
///
/// It compares the states as history shows them (already through the redaction rule), so a
/// difference can never show a secret: a literal secret is the placeholder on both sides, and a
/// change of one alone shows no difference. Objects are compared member by member, down to the
/// leaves; a list is one value (an element moved is a change of the list).
public enum HistoryDiff {
    /// The differences from `before` to `after` (nil: the model did not exist), ordered by field.
    /// Each is `{"field": "litellm_params.rpm", "op": "added"|"removed"|"changed", "before", "after"}`,
    /// where the value a side lacks is left out.
    public static func changes(from before: JSONValue?, to after: JSONValue?) -> [JSONValue] {
        var found: [JSONValue] = []
        // A model made or deleted: the missing side has no field, so each field is added or removed.
        walk(before ?? .object([:]), after ?? .object([:]), field: [], into: &found)
        return found
    }

    private static func walk(_ before: JSONValue?, _ after: JSONValue?, field: [String], into found: inout [JSONValue]) {
        if case .object(let old)? = before, case .object(let new)? = after {
            for key in Set(old.keys).union(new.keys).sorted() {
                walk(old[key], new[key], field: field + [key], into: &found)
            }
            return
        }
        guard before != after else { return }
        var entry: [String: JSONValue] = [
            "field": .string(field.joined(separator: ".")),
            "op": .string(before == nil ? "added" : after == nil ? "removed" : "changed"),
        ]
        if let before { entry["before"] = before }
        if let after { entry["after"] = after }
        found.append(.object(entry))
    }
}
