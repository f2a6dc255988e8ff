import CatalogServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The OpenAPI description: a valid OpenAPI 3.1 document (checked by openapi-spec-validator), the
/// one `GET /openapi.json` serves, and describing exactly the routes the router has.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    static let document = ServerProcess.repositoryRoot.appendingPathComponent("openapi.yaml").path

    @Test("openapi.yaml is the bundled resource, and openapi-spec-validator finds it a valid OpenAPI 3.1 document",
          .timeLimit(.minutes(15)))
    func validDocument() async throws {
        let destination = try FileManager.default.destinationOfSymbolicLink(atPath: Self.document)
        #expect(destination == "Sources/CatalogServer/Resources/openapi.yaml", "openapi.yaml links to \(destination)")
        let text = try String(contentsOfFile: Self.document, encoding: .utf8)
        #expect(text.hasPrefix("openapi: 3.1."), "not an OpenAPI 3.1 document")

        let python = try await PythonVirtualEnvironment.openAPI.prepare()
        let validator = PythonVirtualEnvironment.openAPI.executable("openapi-spec-validator")
        let run = try await Self.validate(validator, Self.document)
        #expect(run.termination == .exited(0), "openapi-spec-validator (\(run.termination)):\n\(run.output)")

        // PyYAML, and so the validator, keeps the last of two equal keys; the server refuses such a
        // document at startup. Find them here, with their lines.
        let duplicates = """
            import sys, yaml
            class Loader(yaml.SafeLoader):
                def construct_mapping(self, node, deep=False):
                    seen = set()
                    for key_node, _ in node.value:
                        key = self.construct_object(key_node, deep=deep)
                        if key in seen:
                            sys.exit("duplicate key %r at line %d" % (key, key_node.start_mark.line + 1))
                        seen.add(key)
                    return super().construct_mapping(node, deep=deep)
            with open(sys.argv[1]) as f: yaml.load(f, Loader=Loader)
            """
        let unique = try await ChildProcess.run(
            python, ["-c", duplicates, Self.document], environment: PythonVirtualEnvironment.processEnvironment,
            timeout: .seconds(120))
        #expect(unique.termination == .exited(0), "openapi.yaml: \(unique.output)")

        // The validator must be able to fail: a document without `info` is refused.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let broken = directory.path + "/broken.yaml"
        try text.replacingOccurrences(of: "\ninfo:\n", with: "\nx-info:\n").write(toFile: broken, atomically: true, encoding: .utf8)
        let refused = try await Self.validate(validator, broken)
        #expect(refused.termination != .exited(0), "openapi-spec-validator accepted a document without info:\n\(refused.output)")
    }

    static func validate(_ validator: String, _ path: String) async throws -> (termination: ChildProcess.Termination, output: String) {
        let run = try await ChildProcess.run(
            validator, ["--schema", "3.1", "--validation-errors", "all", path],
            environment: PythonVirtualEnvironment.processEnvironment, timeout: .seconds(120))
        return (run.termination, run.output)
    }

    @Test("GET /openapi.json, without a key, serves openapi.yaml as JSON", .timeLimit(.minutes(15)))
    func servedDocument() async throws {
        let python = try await PythonVirtualEnvironment.openAPI.prepare()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let served = directory.path + "/openapi.json"
        try await Self.withApplication { built in
            try await built.application.test(.router) { client in
                try await client.execute(uri: "/openapi.json", method: .get, headers: [:]) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    try Data(buffer: response.body).write(to: URL(fileURLWithPath: served))
                }
            }
        }
        // Parsed by PyYAML and by json, then both written canonically: equal text means equal
        // documents, down to the types of values (1 is not 1.0, true is not 1).
        let script = """
            import json, sys, yaml
            def canonical(value): return json.dumps(value, sort_keys=True, ensure_ascii=False)
            with open(sys.argv[1]) as f: expected = canonical(yaml.safe_load(f))
            with open(sys.argv[2]) as f: served = canonical(json.load(f))
            if expected != served:
                i = next((i for i, (a, b) in enumerate(zip(expected, served)) if a != b), min(len(expected), len(served)))
                sys.exit("differ at character %d:\\n yaml: %s\\n json: %s" % (i, expected[max(0, i - 80):i + 80], served[max(0, i - 80):i + 80]))
            print("equal", len(expected))
            """
        let run = try await ChildProcess.run(
            python, ["-c", script, Self.document, served], environment: PythonVirtualEnvironment.processEnvironment,
            timeout: .seconds(120))
        #expect(run.termination == .exited(0), "/openapi.json is not openapi.yaml:\n\(run.output)")
        #expect(run.output.hasPrefix("equal"), "\(run.output)")
    }

    @Test("every route of the router is an operation of the document, and every operation a route")
    func routesMatchOperations() async throws {
        try await Self.withApplication { built in
            let routes = Set(built.routes.map { route in
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                return Self.operation(method: parts[0], path: parts.count > 1 ? parts[1] : "")
            })
            #expect(routes.count >= 25, "the router lists only \(routes.count) routes: \(routes.sorted())")

            let box = DocumentBox()
            try await built.application.test(.router) { client in
                try await client.execute(uri: "/openapi.json", method: .get, headers: [:]) { response in
                    #expect(response.status == .ok)
                    box.set(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                }
            }
            let paths = try #require(box.value?["paths"] as? [String: Any], "no paths in /openapi.json")
            let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
            var operations = Set<String>()
            for (path, item) in paths {
                let item = try #require(item as? [String: Any], "paths.\(path) is not an object")
                for method in item.keys where methods.contains(method) {
                    operations.insert(Self.operation(method: method.uppercased(), path: path))
                }
            }
            #expect(routes.subtracting(operations).isEmpty,
                    "routes missing from openapi.yaml: \(routes.subtracting(operations).sorted())")
            #expect(operations.subtracting(routes).isEmpty,
                    "operations of openapi.yaml the router lacks: \(operations.subtracting(routes).sorted())")
        }
    }

    /// "GET /v1/models/{}": a route or an operation, its parameters unnamed. Hummingbird writes a
    /// capture `{id}` and the rest of the path `**`; OpenAPI a parameter `{name}`.
    static func operation(method: String, path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment == "**" || (segment.hasPrefix("{") && segment.hasSuffix("}")) ? "{}" : String(segment)
        }
        return "\(method) \(segments.joined(separator: "/"))"
    }

    /// The application over a database that is never reached: these tests call no route that
    /// needs it, and the composition root is told not to prepare it.
    static func withApplication(_ body: (CatalogApplication) async throws -> Void) async throws {
        let configuration = CatalogConfiguration(
            database: .init(conninfo: "dbname=never_connected", maxConnections: 1), host: "127.0.0.1", port: 0,
            auth: AuthConfiguration(masterKey: "sk-unused"), prepareDatabase: false, replica: nil)
        let built = try await buildApplication(configuration: configuration, logger: Logger(label: "test"))
        do {
            try await body(built)
            await built.database.close()
        } catch {
            await built.database.close()
            throw error
        }
    }
}

/// Carries a parsed document out of a `@Sendable` test-client closure.
private final class DocumentBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String: Any]?

    var value: [String: Any]? { lock.withLock { stored } }
    func set(_ value: [String: Any]?) { lock.withLock { stored = value } }
}
