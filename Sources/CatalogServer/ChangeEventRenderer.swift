import Catalog
import CatalogStore

/// Turns change-log entries into the change stream's events for one caller, from the replica's
/// snapshot: each event carries the object as it is now (at least as new as the change), through
/// the same view layer as every read (`DeploymentView`, `CredentialView`), or, for a gateway key
/// that asked for it, the routing view.
///
/// Events: `{"seq", "entity": "model" | "credential" | "alias" | "cost_map" | "catalog", "op":
/// "upsert" | "delete" | "reset", "id", "object"}`. Who may hear of a change is the policy's
/// (`AccessPolicy.hearsOfModelChange`, `hearsOfCredentialChange`).
struct ChangeEventRenderer: Sendable {
    /// Opens the routing view of deployments for a caller: model id → `litellm_params` in clear. A
    /// model changed or deleted since the snapshot is left out (its own change comes later).
    typealias OpenParams = @Sendable (Principal, [Deployment]) async throws -> [ExactID: [String: JSONValue]]

    let principal: Principal
    let snapshot: CatalogSnapshot
    let options: CatalogStreamOptions
    let open: OpenParams
    /// The replica's rendered views (nil: render every event).
    var rendered: RenderedViews? = nil

    /// What one entry becomes, before the routing view (if any) is opened for the whole batch.
    private enum Planned {
        case model(seq: Int64, Deployment)
        case deletion(seq: Int64, entity: String, id: String)
        case credential(seq: Int64, Credential, users: [Deployment])
        case other(JSONValue)
    }

    /// The events of `entries` this caller hears of, in order.
    func events(_ entries: [StreamEntry]) async throws -> [(position: Int64, event: JSONValue)] {
        // The caller's whole visible set is needed only by credential and alias entries: a scan
        // of the catalog per batch would be the stream's largest cost.
        let needsVisible = entries.contains { $0.entity == "credential" || $0.entity == "model_alias" }
        let visible = needsVisible ? AccessPolicy.visible(snapshot.deployments, to: principal) : []
        var planned: [(Int64, Planned)] = []
        for entry in entries {
            if let plan = plan(entry, visible: visible) { planned.append((entry.position, plan)) }
        }
        var opening: [Deployment] = []
        if options.routing {
            for (_, plan) in planned {
                switch plan {
                case .model(_, let deployment): opening.append(deployment)
                case .credential(_, _, let users): opening.append(contentsOf: users)
                default: break
                }
            }
        }
        let opened = opening.isEmpty ? [:] : try await open(principal, opening)
        return planned.compactMap { position, plan in
            switch plan {
            case .model(let seq, let deployment):
                // Changed since the snapshot: the routing view waits for that change's own event.
                guard let object = model(deployment, opened: opened) else { return nil }
                return (position, .object(Self.event(seq: seq, entity: "model", op: "upsert", id: .string(deployment.id),
                                                     object: object)))
            case .deletion(let seq, let entity, let id):
                return (position, ["seq": .int(Int(seq)), "entity": .string(entity), "op": "delete", "id": .string(id)])
            case .credential(let seq, let credential, let users):
                var event = Self.event(seq: seq, entity: "credential", op: "upsert", id: .string(credential.name),
                                       object: CredentialView.json(credential))
                if options.routing { event["models"] = .array(users.compactMap { model($0, opened: opened) }) }
                return (position, .object(event))
            case .other(let event):
                return (position, event)
            }
        }
    }

    private func plan(_ entry: StreamEntry, visible: [Deployment]) -> Planned? {
        let seq = entry.position
        switch entry.entity {
        case "model":
            // A TRUNCATE names no row: every caller starts over.
            guard let id = entry.entityID else { return .other(Self.reset(seq: seq)) }
            let current = snapshot.deployment(id: id)
            let states = [entry.before, entry.after, current].compactMap { $0 }
            guard AccessPolicy.hearsOfModelChange(states: states, by: principal) else { return nil }
            if let current, AccessPolicy.hearsOfModelChange(states: [current], by: principal) {
                return .model(seq: seq, current)
            }
            return .deletion(seq: seq, entity: "model", id: id)
        case "credential":
            guard let name = entry.entityID else { return .other(Self.reset(seq: seq)) }
            let current = snapshot.credentials.credential(named: name)
            guard AccessPolicy.hearsOfCredentialChange(tenants: [entry.tenantID] + (current.map { [$0.tenantID] } ?? []),
                                                       by: principal) else { return nil }
            if let current, AccessPolicy.hearsOfCredentialChange(tenants: [current.tenantID], by: principal) {
                let users = visible.filter { ($0.litellmParams[Credential.paramName]?.stringValue).map { ExactID($0) } == ExactID(name) }
                return .credential(seq: seq, current, users: users)
            }
            return .deletion(seq: seq, entity: "credential", id: name)
        case "model_alias":
            let map = Self.aliasMap(AccessPolicy.visibleAliases(snapshot.aliases, visible: visible, to: principal))
            return .other(.object(Self.event(seq: seq, entity: "alias", op: "upsert", id: .null, object: map)))
        // An operator's price override changes the map gateways bill with: it is a cost-map event.
        case "cost_map", "price_override":
            return .other(.object(Self.event(seq: seq, entity: "cost_map", op: "upsert", id: .null,
                                             object: options.includeCostMap ? Self.costMap(snapshot.costMap) : .null)))
        case "tenant", "api_key":
            // The caller's own key or team changed: what it may see may have changed with it.
            return Self.affects(entry, principal) ? .other(Self.reset(seq: seq)) : nil
        default:
            return nil
        }
    }

    /// Whether a key or team entry concerns `principal`'s own key or team.
    static func affects(_ entry: StreamEntry, _ principal: Principal) -> Bool {
        guard let id = entry.entityID else { return true }
        switch entry.entity {
        case "tenant": return principal.tenantID.map { ExactID($0) == ExactID(id) } ?? false
        case "api_key": return principal.actor == "key:\(id.lowercased())"
        default: return false
        }
    }

    /// A model as the caller gets it: `/model/info`'s entry, with `litellm_params` opened in the
    /// routing view (nil when the routing view left it out).
    func model(_ deployment: Deployment, opened: [ExactID: [String: JSONValue]]) -> JSONValue? {
        guard options.routing else {
            // The same bytes for every subscriber that hears of it: rendered once per replica.
            return rendered.map { $0.view(deployment, costMap: snapshot.costMap, revision: snapshot.costMapRevision) }
                ?? DeploymentView.json(deployment, costMap: snapshot.costMap)
        }
        let entry = DeploymentView.json(deployment, costMap: snapshot.costMap)
        guard let params = opened[ExactID(deployment.id)], case .object(var members) = entry else { return nil }
        members["litellm_params"] = .object(params)
        return .object(members)
    }

    static func event(seq: Int64, entity: String, op: String, id: JSONValue, object: JSONValue) -> [String: JSONValue] {
        ["seq": .int(Int(seq)), "entity": .string(entity), "op": .string(op), "id": id, "object": object]
    }

    static func reset(seq: Int64) -> JSONValue {
        ["seq": .int(Int(seq)), "entity": "catalog", "op": "reset"]
    }

    /// Aliases as the stream and the snapshot show them: alias → model group.
    static func aliasMap(_ aliases: [ModelGroupAlias]) -> JSONValue {
        .object(Dictionary(aliases.map { ($0.alias, JSONValue.string($0.modelGroup)) }, uniquingKeysWith: { first, _ in first }))
    }

    /// The map as gateways bill with it: the operator's overrides over upstream's prices.
    static func costMap(_ costMap: CostMap) -> JSONValue {
        .object(costMap.merged.mapValues { JSONValue.object($0) })
    }
}

/// The query parameters every change-stream endpoint reads.
struct CatalogStreamOptions: Sendable {
    /// `view=routing`: secrets opened (gateway keys only).
    var routing: Bool
    /// `include_cost_map=false` leaves the cost map out (a router has its own).
    var includeCostMap: Bool
}
