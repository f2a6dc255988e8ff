import Foundation

/// What a new team id may be. Ids are compared byte for byte everywhere (`ExactID`); this rule
/// keeps new ids from *looking* like another: a team id that two people could type as different
/// bytes while seeing the same text is refused when the team is made.
///
/// - 1 to 256 characters;
/// - in Unicode NFKC form (so in NFC too: `cafe` + U+0301 is refused, `café` is not; and no
///   compatibility forms such as full-width letters or ligatures);
/// - no control, format (zero-width, bidi), private-use, unassigned or separator characters other
///   than the plain space;
/// - not canonically or compatibly equivalent to an existing team's id (a team written with plain
///   SQL may be in any form).
public enum TeamIDRule {
    /// Throws `invalid` (400) for an id of the wrong form, `conflict` (409) for one equivalent to
    /// an existing team's id (only admins make teams, and they see every team).
    public static func checkNew(_ id: String, existing: [String]) throws {
        guard !id.isEmpty, id.count <= 256 else {
            throw CatalogError.invalid(field: "team_id", message: "team_id must be 1 to 256 characters")
        }
        guard ExactID(id) == ExactID(id.precomposedStringWithCompatibilityMapping) else {
            throw CatalogError.invalid(field: "team_id", message: "team_id must be in Unicode normal form NFKC (composed characters, no compatibility forms)")
        }
        if id.unicodeScalars.contains(where: { !allowed($0) }) {
            throw CatalogError.invalid(field: "team_id", message: "team_id may not hold control, invisible or separator characters (other than a plain space)")
        }
        let folded = ExactID(id)
        if let twin = existing.first(where: { ExactID($0) != folded && ExactID($0.precomposedStringWithCompatibilityMapping) == folded }) {
            throw CatalogError.conflict(field: "team_id", message: "team_id is equivalent to the id of the existing team '\(twin)'")
        }
    }

    private static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .unassigned, .surrogate, .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return false
        default:
            return true
        }
    }
}
