import Catalog
import CatalogStore
import Hummingbird

/// LiteLLM's model access group endpoints (`/access_group/*`). A group is the set of deployments
/// whose `model_info.access_groups` names it (`AccessGroups`), seen and written through the
/// policy: a caller sees a group as the deployments it may see, and tags or untags only
/// deployments it may change, all in one transaction.
struct AccessGroupController: Sendable {
    let models: ModelRepository
    let reader: any CatalogReading
    let quota: ModelQuota
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/access_group/new", use: create)
        group.get("/access_group/list", use: list)
        group.get("/access_group/{access_group}/info", use: info)
        group.put("/access_group/{access_group}/update", use: update)
        group.delete("/access_group/{access_group}/delete", use: delete)
    }

    /// The deployments `principal` may see now, from one read of the catalog.
    private func visible(to principal: Principal) async throws -> [Deployment] {
        AccessPolicy.visible(try await reader.current().deployments, to: principal)
    }

    @Sendable func create(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try RequestFields(try await RequestJSON.read(request))
        guard let name = try body.string("access_group"), !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CatalogError.invalid(field: "access_group", message: "access_group is required and cannot be empty")
        }
        try AccessGroups.checkName(name)
        let members = AccessGroups.Members(modelNames: try body.strings("model_names"), modelIDs: try body.strings("model_ids"))
        let visible = try await visible(to: principal)
        if AccessGroups.group(name, in: visible) != nil {
            throw CatalogError.conflict(
                field: "access_group",
                message: "Access group '\(name)' already exists. Use PUT /access_group/\(name)/update to modify it.")
        }
        let (updated, tag) = try await write(name, tag: try members.resolve(in: visible), untag: [], visible: visible, by: principal)
        return EntityTags.tagged(JSONBody.response(Self.changed(name, members, updated)), tag: tag)
    }

    @Sendable func list(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let groups = AccessGroups.groups(in: try await visible(to: principal))
        return JSONBody.response(["access_groups": .array(groups.map(\.json))])
    }

    @Sendable func info(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.pathParameter("access_group")
        let group = try Self.existing(name, in: try await visible(to: principal))
        return EntityTags.tagged(JSONBody.response(group.json), tag: Self.tag(group))
    }

    /// A group's tag: derived from its members as the caller sees them, so that any change of a
    /// member (or of who is a member) changes it.
    static func tag(_ group: AccessGroups.Group) -> String {
        tag(group.deployments)
    }

    static func tag(_ members: [Deployment]) -> String {
        VersionPrecondition.tag(members: members.map { ($0.id, $0.version) }.sorted { ExactID($0.0) < ExactID($1.0) })
    }

    /// PUT: the group becomes exactly the deployments named (among those the caller sees).
    @Sendable func update(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.pathParameter("access_group")
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        let members = AccessGroups.Members(modelNames: try body.strings("model_names"), modelIDs: try body.strings("model_ids"))
        let visible = try await visible(to: principal)
        let group = try Self.existing(name, in: visible)
        try expected?.check(tag: Self.tag(group), of: "access group '\(name)'")
        let target = Set(try members.resolve(in: visible).map { ExactID($0) })
        let untag = group.deployments.map(\.id).filter { !target.contains(ExactID($0)) }
        let (updated, tag) = try await write(name, tag: target.map(\.text), untag: untag, visible: visible, group: group, by: principal,
                                             unchangedSinceRead: expected != nil)
        return EntityTags.tagged(JSONBody.response(Self.changed(name, members, updated)), tag: tag)
    }

    @Sendable func delete(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.pathParameter("access_group")
        let expected = try EntityTags.precondition(request)
        let visible = try await visible(to: principal)
        let group = try Self.existing(name, in: visible)
        try expected?.check(tag: Self.tag(group), of: "access group '\(name)'")
        let (updated, _) = try await write(name, tag: [], untag: group.deployments.map(\.id), visible: visible, group: group, by: principal,
                                           unchangedSinceRead: expected != nil)
        return JSONBody.response([
            "access_group": .string(name), "models_updated": .int(updated),
            "message": .string("Access group '\(name)' deleted successfully"),
        ])
    }

    /// Tags `tag` with the group and untags `untag`, skipping deployments already as asked;
    /// each change is a change of that model under the policy (as /model/update), all in one
    /// transaction. Returns how many deployments changed, and the group's tag after the write.
    /// `unchangedSinceRead` (an If-Match held): the group's tag was checked on the snapshot, which
    /// may trail the database; every deployment written must still have the version read there,
    /// checked on its locked row, or nothing is written (412).
    /// `group`: the group as the caller saw it before (nil: a new group).
    private func write(_ name: String, tag: [String], untag: [String], visible: [Deployment], group before: AccessGroups.Group? = nil,
                       by principal: Principal, unchangedSinceRead: Bool = false) async throws -> (changed: Int, tag: String) {
        let byID = Dictionary(visible.map { (ExactID($0.id), $0) }, uniquingKeysWith: { first, _ in first })
        let carries: (String) -> Bool = { id in byID[ExactID(id)]?.accessGroups.contains { ExactID($0) == ExactID(name) } ?? false }
        let adding = tag.filter { !carries($0) }
        let removing = untag.filter { carries($0) }
        let members = Set(adding.map { ExactID($0) })
        let ids = adding + removing
        guard !ids.isEmpty else { return (0, Self.tag(before?.deployments ?? [])) }
        let written = try await models.updateEach(ids: ids, actor: principal.actor, quota: quota.enforcement(for: principal)) { current in
            try AccessPolicy.authorizeChange(of: current, by: principal)
            if unchangedSinceRead, let read = byID[ExactID(current.id)], read.version != current.version {
                throw CatalogError.preconditionFailed(
                    message: "access group '\(name)' has changed: its model '\(current.id)' is at version \(current.version), "
                        + "not \(read.version); read the group again, reapply your change and send the new ETag",
                    etag: nil)
            }
            var updated = AccessGroups.setting(name, member: members.contains(ExactID(current.id)), on: current)
            updated.assign(to: try AccessPolicy.tenant(forModel: current.id, named: updated.modelName, by: principal,
                                                       requested: current.tenantID, accessGroups: updated.accessGroups))
            return updated
        }
        await afterWrite(.models(ids))
        // The group as it is now: its members the write left alone, and those it wrote that carry it.
        let touched = Set(written.map { ExactID($0.id) })
        let kept = (before?.deployments ?? []).filter { !touched.contains(ExactID($0.id)) }
        let after = kept + written.filter { $0.accessGroups.contains { ExactID($0) == ExactID(name) } }
        return (ids.count, Self.tag(after))
    }

    /// The group as the caller sees it, or LiteLLM's 404.
    static func existing(_ name: String, in visible: [Deployment]) throws -> AccessGroups.Group {
        guard let group = AccessGroups.group(name, in: visible) else {
            throw CatalogError.notFound(message: "Access group '\(name)' not found")
        }
        return group
    }

    /// LiteLLM's `NewModelGroupResponse`.
    static func changed(_ name: String, _ members: AccessGroups.Members, _ updated: Int) -> JSONValue {
        [
            "access_group": .string(name),
            "model_names": members.modelNames.map { .array($0.map(JSONValue.string)) } ?? .null,
            "model_ids": members.modelIDs.map { .array($0.map(JSONValue.string)) } ?? .null,
            "models_updated": .int(updated),
        ]
    }
}
