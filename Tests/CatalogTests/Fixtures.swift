import Catalog
import Foundation
import Testing
import Yams

/// The LiteLLM 1.108.7 reference: the config it ran with, its responses, and the bundled cost map.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func reference(_ name: String) throws -> [JSONValue] {
        let url = root.appendingPathComponent("Tests/Fixtures/litellm/\(name)")
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        return try #require(value["data"]?.arrayValue)
    }

    /// Decoded once: the map is large and many tests read it.
    private static let loadedCostMap = Result { try loadCostMap() }

    static func costMap() throws -> CostMap { try loadedCostMap.get() }

    private static func loadCostMap() throws -> CostMap {
        let url = root.appendingPathComponent("Sources/CatalogStore/Resources/model_prices_and_context_window.json")
        let map = try JSONDecoder().decode([String: JSONValue].self, from: Data(contentsOf: url))
        return CostMap(entries: map.compactMapValues(\.objectValue))
    }

    /// The reference config's `model_list` as config-loaded deployments, `model_info.id` as their id.
    static func deployments() throws -> [Deployment] {
        let text = try String(contentsOf: root.appendingPathComponent("Tests/Fixtures/litellm/config.yaml"), encoding: .utf8)
        let config = try #require(json(try Yams.load(yaml: text) as Any)["model_list"]?.arrayValue)
        return try config.map { entry in
            let info = entry["model_info"]?.objectValue ?? [:]
            return Deployment(
                id: try #require(info["id"]?.stringValue),
                modelName: try #require(entry["model_name"]?.stringValue),
                litellmParams: try #require(entry["litellm_params"]?.objectValue),
                modelInfo: info,
                source: .config
            )
        }
    }

    static func json(_ value: Any) -> JSONValue {
        switch value {
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(number)
        case let number as Double: return .double(number)
        case let text as String: return .string(text)
        case let date as Date: return .string(date.ISO8601Format())
        case let items as [Any]: return .array(items.map(json))
        case let members as [AnyHashable: Any]:
            return .object(Dictionary(uniqueKeysWithValues: members.map { ("\($0.key)", json($0.value)) }))
        default: return .null
        }
    }
}

extension JSONValue {
    /// Every object key path in the value ("litellm_params.tpm"); list elements are not descended
    /// into, as their shapes are values, not keys.
    func keyPaths(prefix: String = "") -> Set<String> {
        guard case .object(let members) = self else { return [] }
        var paths: Set<String> = []
        for (key, value) in members {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            paths.insert(path)
            paths.formUnion(value.keyPaths(prefix: path))
        }
        return paths
    }
}
