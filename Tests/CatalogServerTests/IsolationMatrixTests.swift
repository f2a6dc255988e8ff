import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing

/// The acceptance test of tenant isolation: 3 tenants × every read, write, team and key endpoint ×
/// every kind of caller. Each cell's outcome is declared in `table`, relative to the tenant T the
/// cell is about (T's models, the neighbour tenant's, the third tenant's, the shared ones); a
/// missing cell fails `tableIsComplete`, and the matrix counts every cross-tenant read and write it
/// observes, which must be 0. The fixture's team models are made by every path that can make one
/// (config at start, import-config's loader, the API, plain SQL), so that no path escapes the rule.
@Suite("Isolation matrix: tenants × endpoints × callers")
struct IsolationMatrixTests {
    // MARK: The dimensions

    /// Who calls, relative to the tenant T of the cell.
    enum Caller: String, CaseIterable, Sendable, Hashable {
        /// The master key.
        case admin
        /// T's tenant_admin key.
        case tenantAdmin
        /// T's tenant_member key.
        case tenantMember
        /// The neighbour tenant's tenant_admin key.
        case otherTenantAdmin
        /// A tenant_member key of T with the allow-list ["gpt-4o", "shared-a", "<neighbour>-model"].
        case allowListedMember
        /// A tenant_admin key of T whose expires_at has passed.
        case expiredKey
        /// A tenant_admin key of T deleted through /key/delete.
        case deletedKey
        /// No key at all.
        case noKey
    }

    /// A team relative to T: T, the next tenant (the other tenant admin's), the one after, or none.
    enum Team: String, Sendable, Hashable {
        case tenant, neighbour, third, shared
    }

    /// The fixture models relative to T: every tenant has one named "gpt-4o" and one named
    /// "<tenant>-model"; two are shared.
    enum Fixture: String, CaseIterable, Sendable, Hashable {
        case tenantGPT4o, tenantUnique, neighbourGPT4o, neighbourUnique, thirdGPT4o, thirdUnique, sharedA, sharedB
    }

    /// The endpoints that list models; `teamFilter` adds `?team_id=<neighbour>`.
    enum ListEndpoint: String, CaseIterable, Sendable, Hashable {
        case modelInfo = "/model/info"
        case v1ModelInfo = "/v1/model/info"
        case v2ModelInfo = "/v2/model/info"
        case modelGroupInfo = "/model_group/info"
        case models = "/models"
        case v1Models = "/v1/models"
    }

    /// The endpoints that read one model (by id) or one model name.
    enum OneEndpoint: String, CaseIterable, Sendable, Hashable {
        case modelInfoByID = "/model/info?litellm_model_id="
        case v1ModelInfoByID = "/v1/model/info?litellm_model_id="
        case modelGroupByName = "/model_group/info?model_group="
        case v1ModelByName = "/v1/models/"
        case modelByName = "/models/"

        var byID: Bool { self == .modelInfoByID || self == .v1ModelInfoByID }
    }

    /// What a single read asks for: T's "<T>-model", the neighbour's, "shared-a", or T's "gpt-4o"
    /// (by name: the name every tenant uses).
    enum ReadTarget: String, CaseIterable, Sendable, Hashable {
        case tenant, neighbour, shared, tenantGPT4o

        var fixture: Fixture {
            switch self {
            case .tenant: .tenantUnique
            case .neighbour: .neighbourUnique
            case .shared: .sharedA
            case .tenantGPT4o: .tenantGPT4o
            }
        }
    }

    enum WriteAction: String, CaseIterable, Sendable, Hashable {
        /// POST /model/new with model_info.team_id of the target's team (none for shared).
        case create
        /// POST /model/update setting litellm_params.rpm.
        case update
        /// PATCH /model/{id}/update setting litellm_params.rpm.
        case patch
        /// POST /model/update with model_info.team_id = the third tenant.
        case moveToThird
        /// POST /model/delete.
        case delete
    }

    /// The team of the fresh model a write cell acts on.
    enum WriteTarget: String, CaseIterable, Sendable, Hashable {
        case tenant, neighbour, shared

        var team: Team {
            switch self {
            case .tenant: .tenant
            case .neighbour: .neighbour
            case .shared: .shared
            }
        }
    }

    enum TeamAction: String, CaseIterable, Sendable, Hashable {
        /// POST /team/new of a fresh team.
        case create
        /// GET /team/list.
        case list
        /// GET /team/info?team_id=T.
        case infoTenant
        /// GET /team/info?team_id=<neighbour>.
        case infoNeighbour
        /// POST /team/delete of a fresh, empty team.
        case deleteFresh
        /// POST /team/delete of T itself (force false: T still has models).
        case deleteTenant
    }

    enum KeyAction: String, CaseIterable, Sendable, Hashable {
        /// POST /key/generate {"team_id":T}.
        case generateMember
        /// POST /key/generate {"team_id":T,"role":"tenant_admin"}.
        case generateTenantAdmin
        /// POST /key/generate {"team_id":<neighbour>}.
        case generateNeighbour
        /// POST /key/generate {"role":"admin"}.
        case generateAdmin
        /// POST /key/generate {}.
        case generateNoTeam
        /// GET /key/info?key=<token of a T key>.
        case infoTenantKey
        /// GET /key/info?key=<token of a neighbour key>.
        case infoNeighbourKey
        /// GET /key/info?key=<token of an admin key>.
        case infoAdminKey
        /// GET /key/info?key=<the caller's own key text>.
        case infoOwnKey
        /// POST /key/delete of a fresh T key.
        case deleteTenantKey
        /// POST /key/delete of a fresh neighbour key.
        case deleteNeighbourKey
        /// POST /key/delete of a fresh admin key.
        case deleteAdminKey
    }

    enum Action: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        case list(ListEndpoint, teamFilter: Bool)
        case read(OneEndpoint, ReadTarget)
        case write(WriteAction, WriteTarget)
        case team(TeamAction)
        case key(KeyAction)

        static var allCases: [Action] {
            ListEndpoint.allCases.flatMap { [Action.list($0, teamFilter: false), .list($0, teamFilter: true)] }
                + OneEndpoint.allCases.flatMap { endpoint in ReadTarget.allCases.map { Action.read(endpoint, $0) } }
                + WriteAction.allCases.flatMap { action in WriteTarget.allCases.map { Action.write(action, $0) } }
                + TeamAction.allCases.map { Action.team($0) }
                + KeyAction.allCases.map { Action.key($0) }
        }

        var description: String {
            switch self {
            case .list(let endpoint, let filter): "GET \(endpoint.rawValue)\(filter ? "?team_id=<neighbour>" : "")"
            case .read(let endpoint, let target): "GET \(endpoint.rawValue)<\(target.rawValue)>"
            case .write(let action, let target): "\(action.rawValue) <\(target.rawValue) model>"
            case .team(let action): "team \(action.rawValue)"
            case .key(let action): "key \(action.rawValue)"
            }
        }
    }

    struct Cell: Hashable, Sendable {
        var action: Action
        var caller: Caller
    }

    // MARK: The expected outcome of a cell

    struct Expected: Sendable, ExpressibleByIntegerLiteral {
        var status: Int
        /// Reads: exactly the fixture models the response shows.
        var models: Set<Fixture>?
        /// /team/list and /team/info: exactly the teams the response shows.
        var teams: Set<Team>?
        /// Creates, /key/info: the team of the model or key made or shown (`.shared`: none).
        var owner: Team?
        /// Generated or shown keys: their role.
        var role: Principal.Role?

        init(status: Int, models: Set<Fixture>? = nil, teams: Set<Team>? = nil, owner: Team? = nil, role: Principal.Role? = nil) {
            self.status = status
            self.models = models
            self.teams = teams
            self.owner = owner
            self.role = role
        }

        init(integerLiteral status: Int) { self.init(status: status) }

        /// 200; the write's effect is checked by the matrix.
        static let ok = Expected(status: 200)
        /// 200 showing exactly these models.
        static func sees(_ models: Set<Fixture>) -> Expected { Expected(status: 200, models: models) }
        /// 200 showing exactly these teams.
        static func teams(_ teams: Set<Team>) -> Expected { Expected(status: 200, teams: teams) }
        /// 200; the new model belongs to `team`.
        static func model(in team: Team) -> Expected { Expected(status: 200, owner: team) }
        /// 200; the key made or shown belongs to `team` with `role`.
        static func key(_ team: Team, _ role: Principal.Role) -> Expected { Expected(status: 200, owner: team, role: role) }
    }

    struct Row: Sendable {
        var action: Action
        var columns: [(Caller, Expected)]
    }

    static func row(
        _ action: Action, admin: Expected, tenantAdmin: Expected, tenantMember: Expected, otherTenantAdmin: Expected,
        allowListedMember: Expected, expiredKey: Expected, deletedKey: Expected, noKey: Expected
    ) -> Row {
        Row(action: action, columns: [
            (.admin, admin), (.tenantAdmin, tenantAdmin), (.tenantMember, tenantMember), (.otherTenantAdmin, otherTenantAdmin),
            (.allowListedMember, allowListedMember), (.expiredKey, expiredKey), (.deletedKey, deletedKey), (.noKey, noKey),
        ])
    }

    static let everything = Set(Fixture.allCases)
    static let ownAndShared: Set<Fixture> = [.tenantGPT4o, .tenantUnique, .sharedA, .sharedB]
    static let neighbourAndShared: Set<Fixture> = [.neighbourGPT4o, .neighbourUnique, .sharedA, .sharedB]
    static let neighbourOnly: Set<Fixture> = [.neighbourGPT4o, .neighbourUnique]
    /// The allow-list names "gpt-4o", "shared-a" and the neighbour's model: only the first two are T's or shared.
    static let allowList: Set<Fixture> = [.tenantGPT4o, .sharedA]
    static let everyGPT4o: Set<Fixture> = [.tenantGPT4o, .neighbourGPT4o, .thirdGPT4o]

    // MARK: The table

    static let rows: [Row] = [
        // The one read rule, on every list endpoint.
        row(.list(.modelInfo, teamFilter: false), admin: .sees(everything), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.v1ModelInfo, teamFilter: false), admin: .sees(everything), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.v2ModelInfo, teamFilter: false), admin: .sees(everything), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.modelGroupInfo, teamFilter: false), admin: .sees(everything), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.models, teamFilter: false), admin: .sees(everything), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.v1Models, teamFilter: false), admin: .sees(everything), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),

        // ?team_id=<neighbour> narrows an admin's view to that tenant (no shared models) and is
        // ignored for tenant keys (the neighbour's own admin names its own team: still + shared).
        row(.list(.modelInfo, teamFilter: true), admin: .sees(neighbourOnly), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.v1ModelInfo, teamFilter: true), admin: .sees(neighbourOnly), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.v2ModelInfo, teamFilter: true), admin: .sees(neighbourOnly), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.modelGroupInfo, teamFilter: true), admin: .sees(neighbourOnly), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.models, teamFilter: true), admin: .sees(neighbourOnly), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.list(.v1Models, teamFilter: true), admin: .sees(neighbourOnly), tenantAdmin: .sees(ownAndShared),
            tenantMember: .sees(ownAndShared), otherTenantAdmin: .sees(neighbourAndShared), allowListedMember: .sees(allowList),
            expiredKey: 401, deletedKey: 401, noKey: 401),

        // One model by id: T's, the neighbour's, a shared one, T's "gpt-4o".
        row(.read(.modelInfoByID, .tenant), admin: .sees([.tenantUnique]), tenantAdmin: .sees([.tenantUnique]),
            tenantMember: .sees([.tenantUnique]), otherTenantAdmin: 404, allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelInfoByID, .neighbour), admin: .sees([.neighbourUnique]), tenantAdmin: 404,
            tenantMember: 404, otherTenantAdmin: .sees([.neighbourUnique]), allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelInfoByID, .shared), admin: .sees([.sharedA]), tenantAdmin: .sees([.sharedA]),
            tenantMember: .sees([.sharedA]), otherTenantAdmin: .sees([.sharedA]), allowListedMember: .sees([.sharedA]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelInfoByID, .tenantGPT4o), admin: .sees([.tenantGPT4o]), tenantAdmin: .sees([.tenantGPT4o]),
            tenantMember: .sees([.tenantGPT4o]), otherTenantAdmin: 404, allowListedMember: .sees([.tenantGPT4o]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.v1ModelInfoByID, .tenant), admin: .sees([.tenantUnique]), tenantAdmin: .sees([.tenantUnique]),
            tenantMember: .sees([.tenantUnique]), otherTenantAdmin: 404, allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.v1ModelInfoByID, .neighbour), admin: .sees([.neighbourUnique]), tenantAdmin: 404,
            tenantMember: 404, otherTenantAdmin: .sees([.neighbourUnique]), allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.v1ModelInfoByID, .shared), admin: .sees([.sharedA]), tenantAdmin: .sees([.sharedA]),
            tenantMember: .sees([.sharedA]), otherTenantAdmin: .sees([.sharedA]), allowListedMember: .sees([.sharedA]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.v1ModelInfoByID, .tenantGPT4o), admin: .sees([.tenantGPT4o]), tenantAdmin: .sees([.tenantGPT4o]),
            tenantMember: .sees([.tenantGPT4o]), otherTenantAdmin: 404, allowListedMember: .sees([.tenantGPT4o]),
            expiredKey: 401, deletedKey: 401, noKey: 401),

        // One model name: "gpt-4o" is every tenant's name, and each caller gets only its own (+ shared).
        row(.read(.modelGroupByName, .tenant), admin: .sees([.tenantUnique]), tenantAdmin: .sees([.tenantUnique]),
            tenantMember: .sees([.tenantUnique]), otherTenantAdmin: 404, allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelGroupByName, .neighbour), admin: .sees([.neighbourUnique]), tenantAdmin: 404,
            tenantMember: 404, otherTenantAdmin: .sees([.neighbourUnique]), allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelGroupByName, .shared), admin: .sees([.sharedA]), tenantAdmin: .sees([.sharedA]),
            tenantMember: .sees([.sharedA]), otherTenantAdmin: .sees([.sharedA]), allowListedMember: .sees([.sharedA]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelGroupByName, .tenantGPT4o), admin: .sees(everyGPT4o), tenantAdmin: .sees([.tenantGPT4o]),
            tenantMember: .sees([.tenantGPT4o]), otherTenantAdmin: .sees([.neighbourGPT4o]), allowListedMember: .sees([.tenantGPT4o]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.v1ModelByName, .tenant), admin: .sees([.tenantUnique]), tenantAdmin: .sees([.tenantUnique]),
            tenantMember: .sees([.tenantUnique]), otherTenantAdmin: 404, allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.v1ModelByName, .neighbour), admin: .sees([.neighbourUnique]), tenantAdmin: 404,
            tenantMember: 404, otherTenantAdmin: .sees([.neighbourUnique]), allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.v1ModelByName, .shared), admin: .sees([.sharedA]), tenantAdmin: .sees([.sharedA]),
            tenantMember: .sees([.sharedA]), otherTenantAdmin: .sees([.sharedA]), allowListedMember: .sees([.sharedA]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.v1ModelByName, .tenantGPT4o), admin: .sees(everyGPT4o), tenantAdmin: .sees([.tenantGPT4o]),
            tenantMember: .sees([.tenantGPT4o]), otherTenantAdmin: .sees([.neighbourGPT4o]), allowListedMember: .sees([.tenantGPT4o]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelByName, .tenant), admin: .sees([.tenantUnique]), tenantAdmin: .sees([.tenantUnique]),
            tenantMember: .sees([.tenantUnique]), otherTenantAdmin: 404, allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelByName, .neighbour), admin: .sees([.neighbourUnique]), tenantAdmin: 404,
            tenantMember: 404, otherTenantAdmin: .sees([.neighbourUnique]), allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelByName, .shared), admin: .sees([.sharedA]), tenantAdmin: .sees([.sharedA]),
            tenantMember: .sees([.sharedA]), otherTenantAdmin: .sees([.sharedA]), allowListedMember: .sees([.sharedA]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.read(.modelByName, .tenantGPT4o), admin: .sees(everyGPT4o), tenantAdmin: .sees([.tenantGPT4o]),
            tenantMember: .sees([.tenantGPT4o]), otherTenantAdmin: .sees([.neighbourGPT4o]), allowListedMember: .sees([.tenantGPT4o]),
            expiredKey: 401, deletedKey: 401, noKey: 401),

        // Creates: a tenant admin's model is its tenant's, named or not; naming another team is 403.
        row(.write(.create, .tenant), admin: .model(in: .tenant), tenantAdmin: .model(in: .tenant),
            tenantMember: 403, otherTenantAdmin: 403, allowListedMember: 403,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.create, .neighbour), admin: .model(in: .neighbour), tenantAdmin: 403,
            tenantMember: 403, otherTenantAdmin: .model(in: .neighbour), allowListedMember: 403,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.create, .shared), admin: .model(in: .shared), tenantAdmin: .model(in: .tenant),
            tenantMember: 403, otherTenantAdmin: .model(in: .neighbour), allowListedMember: 403,
            expiredKey: 401, deletedKey: 401, noKey: 401),

        // Changes of a fresh model of T / the neighbour / shared. Not visible: 404; visible, not writable: 403.
        // (The allow-listed member's list names none of the fresh models, so it sees none of them.)
        row(.write(.update, .tenant), admin: .ok, tenantAdmin: .ok, tenantMember: 403, otherTenantAdmin: 404,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.update, .neighbour), admin: .ok, tenantAdmin: 404, tenantMember: 404, otherTenantAdmin: .ok,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.update, .shared), admin: .ok, tenantAdmin: 403, tenantMember: 403, otherTenantAdmin: 403,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.patch, .tenant), admin: .ok, tenantAdmin: .ok, tenantMember: 403, otherTenantAdmin: 404,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.patch, .neighbour), admin: .ok, tenantAdmin: 404, tenantMember: 404, otherTenantAdmin: .ok,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.patch, .shared), admin: .ok, tenantAdmin: 403, tenantMember: 403, otherTenantAdmin: 403,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.moveToThird, .tenant), admin: .ok, tenantAdmin: 403, tenantMember: 403, otherTenantAdmin: 404,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.moveToThird, .neighbour), admin: .ok, tenantAdmin: 404, tenantMember: 404, otherTenantAdmin: 403,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.moveToThird, .shared), admin: .ok, tenantAdmin: 403, tenantMember: 403, otherTenantAdmin: 403,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.delete, .tenant), admin: .ok, tenantAdmin: .ok, tenantMember: 403, otherTenantAdmin: 404,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.delete, .neighbour), admin: .ok, tenantAdmin: 404, tenantMember: 404, otherTenantAdmin: .ok,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.write(.delete, .shared), admin: .ok, tenantAdmin: 403, tenantMember: 403, otherTenantAdmin: 403,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),

        // Teams.
        row(.team(.create), admin: .ok, tenantAdmin: 403, tenantMember: 403, otherTenantAdmin: 403,
            allowListedMember: 403, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.team(.list), admin: .teams([.tenant, .neighbour, .third]), tenantAdmin: .teams([.tenant]),
            tenantMember: .teams([.tenant]), otherTenantAdmin: .teams([.neighbour]), allowListedMember: .teams([.tenant]),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.team(.infoTenant), admin: .teams([.tenant]), tenantAdmin: .teams([.tenant]), tenantMember: .teams([.tenant]),
            otherTenantAdmin: 404, allowListedMember: .teams([.tenant]), expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.team(.infoNeighbour), admin: .teams([.neighbour]), tenantAdmin: 404, tenantMember: 404,
            otherTenantAdmin: .teams([.neighbour]), allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.team(.deleteFresh), admin: .ok, tenantAdmin: 403, tenantMember: 403, otherTenantAdmin: 403,
            allowListedMember: 403, expiredKey: 401, deletedKey: 401, noKey: 401),
        // The admin may delete teams, but T still has models and force is false.
        row(.team(.deleteTenant), admin: 409, tenantAdmin: 403, tenantMember: 403, otherTenantAdmin: 403,
            allowListedMember: 403, expiredKey: 401, deletedKey: 401, noKey: 401),

        // Keys.
        row(.key(.generateMember), admin: .key(.tenant, .tenantMember), tenantAdmin: .key(.tenant, .tenantMember),
            tenantMember: 403, otherTenantAdmin: 403, allowListedMember: 403, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.generateTenantAdmin), admin: .key(.tenant, .tenantAdmin), tenantAdmin: .key(.tenant, .tenantAdmin),
            tenantMember: 403, otherTenantAdmin: 403, allowListedMember: 403, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.generateNeighbour), admin: .key(.neighbour, .tenantMember), tenantAdmin: 403,
            tenantMember: 403, otherTenantAdmin: .key(.neighbour, .tenantMember), allowListedMember: 403,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.generateAdmin), admin: .key(.shared, .admin), tenantAdmin: 403, tenantMember: 403,
            otherTenantAdmin: 403, allowListedMember: 403, expiredKey: 401, deletedKey: 401, noKey: 401),
        // Without team_id: a tenant admin's key is its own team's; an admin's is personal (issue 12).
        row(.key(.generateNoTeam), admin: .key(.shared, .personal), tenantAdmin: .key(.tenant, .tenantMember), tenantMember: 403,
            otherTenantAdmin: .key(.neighbour, .tenantMember), allowListedMember: 403,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.infoTenantKey), admin: .key(.tenant, .tenantMember), tenantAdmin: .key(.tenant, .tenantMember),
            tenantMember: 404, otherTenantAdmin: 404, allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.infoNeighbourKey), admin: .key(.neighbour, .tenantMember), tenantAdmin: 404, tenantMember: 404,
            otherTenantAdmin: .key(.neighbour, .tenantMember), allowListedMember: 404,
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.infoAdminKey), admin: .key(.shared, .admin), tenantAdmin: 404, tenantMember: 404,
            otherTenantAdmin: 404, allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        // The master key is configuration, not a stored key: /key/info?key= with its text does not
        // know it (KeyEndpointTests: without `key`, it says what it is).
        row(.key(.infoOwnKey), admin: 404, tenantAdmin: .key(.tenant, .tenantAdmin), tenantMember: .key(.tenant, .tenantMember),
            otherTenantAdmin: .key(.neighbour, .tenantAdmin), allowListedMember: .key(.tenant, .tenantMember),
            expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.deleteTenantKey), admin: .ok, tenantAdmin: .ok, tenantMember: 404, otherTenantAdmin: 404,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.deleteNeighbourKey), admin: .ok, tenantAdmin: 404, tenantMember: 404, otherTenantAdmin: .ok,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
        row(.key(.deleteAdminKey), admin: .ok, tenantAdmin: 404, tenantMember: 404, otherTenantAdmin: 404,
            allowListedMember: 404, expiredKey: 401, deletedKey: 401, noKey: 401),
    ]

    /// `rows` as the (action, caller) → expected dictionary, and the cells declared more than once.
    static let built: (table: [Cell: Expected], duplicates: [Cell]) = {
        var table: [Cell: Expected] = [:]
        var duplicates: [Cell] = []
        for row in rows {
            for (caller, expected) in row.columns {
                let cell = Cell(action: row.action, caller: caller)
                if table[cell] != nil { duplicates.append(cell) }
                table[cell] = expected
            }
        }
        return (table, duplicates)
    }()

    static var table: [Cell: Expected] { built.table }

    static var allCells: [Cell] {
        Action.allCases.flatMap { action in Caller.allCases.map { Cell(action: action, caller: $0) } }
    }

    @Test("the table declares every (action, caller) cell exactly once")
    func tableIsComplete() {
        let missing = Self.allCells.filter { Self.table[$0] == nil }
        #expect(missing.isEmpty, "cells without an expectation: \(missing.map { "\($0.action) × \($0.caller)" })")
        #expect(Self.built.duplicates.isEmpty, "cells declared twice: \(Self.built.duplicates.map { "\($0.action) × \($0.caller)" })")
        #expect(Self.table.count == Action.allCases.count * Caller.allCases.count)
        #expect(Set(Action.allCases).count == Action.allCases.count)
        // A read that succeeds says what it shows; a create or a key shown says whose it is.
        for (cell, expected) in Self.table where expected.status == 200 {
            switch cell.action {
            case .list, .read: #expect(expected.models != nil, "\(cell.action) × \(cell.caller)")
            case .team(.list), .team(.infoTenant), .team(.infoNeighbour): #expect(expected.teams != nil, "\(cell.action) × \(cell.caller)")
            case .write(.create, _): #expect(expected.owner != nil, "\(cell.action) × \(cell.caller)")
            case .key(let action) where action != .deleteTenantKey && action != .deleteNeighbourKey && action != .deleteAdminKey:
                #expect(expected.owner != nil && expected.role != nil, "\(cell.action) × \(cell.caller)")
            default: break
            }
        }
        // Callers without a live key are refused everywhere.
        for cell in Self.allCells where [.expiredKey, .deletedKey, .noKey].contains(cell.caller) {
            #expect(Self.table[cell]?.status == 401, "\(cell.action) × \(cell.caller)")
        }
    }

    // MARK: The world the matrix runs in

    static let tenants = ["t1", "t2", "t3"]

    struct Model: Sendable {
        var id: String
        var name: String
        var team: String?
        /// A distinct power of two: a group's summed tpm says exactly which deployments it holds.
        var tpm: Int
    }

    /// t1-gpt-4o, t1-unique, t2-…, t3-…, shared-a, shared-b.
    static let models: [Model] = {
        var list: [(String, String, String?)] = []
        for tenant in tenants {
            list.append(("\(tenant)-gpt-4o", "gpt-4o", tenant))
            list.append(("\(tenant)-unique", "\(tenant)-model", tenant))
        }
        list.append(("shared-a", "shared-a", nil))
        list.append(("shared-b", "shared-b", nil))
        return list.enumerated().map { index, model in Model(id: model.0, name: model.1, team: model.2, tpm: 1 << index) }
    }()

    static func model(id: String) -> Model? { models.first { $0.id == id } }

    struct TenantKeys: Sendable {
        var tenantAdmin = ""
        var tenantMember = ""
        var allowListed = ""
        var expired = ""
        var deleted = ""
        /// The token of a tenant_member key of the tenant that no caller uses (for /key/info).
        var targetToken = ""
    }

    struct World: Sendable {
        var keys: [String: TenantKeys] = [:]
        /// The token of an admin key that no caller uses.
        var adminToken = ""

        func keys(_ tenant: String) -> TenantKeys { keys[tenant] ?? TenantKeys() }
    }

    /// One tenant's view of the world: T, its neighbour (the other tenant admin's) and the third.
    struct Frame: Sendable {
        var index: Int
        var world: World

        var tenant: String { IsolationMatrixTests.tenants[index] }
        var neighbour: String { IsolationMatrixTests.tenants[(index + 1) % 3] }
        var third: String { IsolationMatrixTests.tenants[(index + 2) % 3] }

        func team(_ team: Team) -> String? {
            switch team {
            case .tenant: tenant
            case .neighbour: neighbour
            case .third: third
            case .shared: nil
            }
        }

        func model(_ fixture: Fixture) -> Model {
            let id = switch fixture {
            case .tenantGPT4o: "\(tenant)-gpt-4o"
            case .tenantUnique: "\(tenant)-unique"
            case .neighbourGPT4o: "\(neighbour)-gpt-4o"
            case .neighbourUnique: "\(neighbour)-unique"
            case .thirdGPT4o: "\(third)-gpt-4o"
            case .thirdUnique: "\(third)-unique"
            case .sharedA: "shared-a"
            case .sharedB: "shared-b"
            }
            return IsolationMatrixTests.model(id: id) ?? Model(id: id, name: id, team: nil, tpm: 0)
        }

        /// The caller's tenant; nil for the admin and for no key.
        func team(of caller: Caller) -> String? {
            switch caller {
            case .admin, .noKey: nil
            case .tenantAdmin, .tenantMember, .allowListedMember, .expiredKey, .deletedKey: tenant
            case .otherTenantAdmin: neighbour
            }
        }

        /// The key text the caller presents.
        func key(of caller: Caller) -> String? {
            switch caller {
            case .admin: TestCatalog.masterKey
            case .tenantAdmin: world.keys(tenant).tenantAdmin
            case .tenantMember: world.keys(tenant).tenantMember
            case .otherTenantAdmin: world.keys(neighbour).tenantAdmin
            case .allowListedMember: world.keys(tenant).allowListed
            case .expiredKey: world.keys(tenant).expired
            case .deletedKey: world.keys(tenant).deleted
            case .noKey: nil
            }
        }

        func headers(_ caller: Caller) -> HTTPFields {
            guard let key = key(of: caller) else { return [.contentType: "application/json"] }
            return [.authorization: "Bearer \(key)", .contentType: "application/json"]
        }

        /// Whether `caller` reaching something of `team` crosses tenants: a tenant-owned thing
        /// (not shared) of another tenant, for anyone but the admin.
        func crosses(_ caller: Caller, _ team: String?) -> Bool {
            caller != .admin && team != nil && team != self.team(of: caller)
        }

        /// The same for keys, where an admin key (no team) is out of every tenant's reach.
        func crossesKey(_ caller: Caller, _ team: String?) -> Bool {
            caller != .admin && team != self.team(of: caller)
        }
    }

    // MARK: The matrix

    enum ReadPath: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Every read queries PostgreSQL (`serve --no-cache`).
        case database
        /// Reads and key lookups come from the replica's in-memory snapshot, with the response cache.
        case replicaCache

        var testDescription: String { rawValue }
    }

    struct Tally: Sendable {
        var cells = 0
        var mismatches = 0
        var crossTenantReads = 0
        var crossTenantWrites = 0

        static func + (lhs: Tally, rhs: Tally) -> Tally {
            Tally(cells: lhs.cells + rhs.cells, mismatches: lhs.mismatches + rhs.mismatches,
                  crossTenantReads: lhs.crossTenantReads + rhs.crossTenantReads,
                  crossTenantWrites: lhs.crossTenantWrites + rhs.crossTenantWrites)
        }
    }

    @Test("every cell answers exactly what the rule allows; cross-tenant reads and writes: 0", arguments: ReadPath.allCases)
    func matrix(path: ReadPath) async throws {
        let catalog = try await TestCatalog.make()
        let started = ContinuousClock.now
        try await Self.withClient(catalog, path: path) { client, store in
            let world = try await Self.setUp(client: client, catalog: catalog, store: store)
            let modelsBefore = try await Self.rows(catalog, "SELECT id, row_to_json(m)::text AS row FROM models m")
            let keysBefore = try await Self.rows(catalog, "SELECT id::text AS id, row_to_json(k)::text AS row FROM api_keys k")
            #expect(modelsBefore.count == Self.models.count)

            var tally = Tally()
            var fresh = 0
            for index in Self.tenants.indices {
                let frame = Frame(index: index, world: world)
                for cell in Self.allCells {
                    guard let expected = Self.table[cell] else {
                        Issue.record("no expectation for \(cell.action) × \(cell.caller)")
                        tally.mismatches += 1
                        continue
                    }
                    let context = Context(client: client, catalog: catalog, frame: frame, path: path)
                    tally = tally + (try await context.run(cell, expected: expected, fresh: &fresh))
                }
            }

            // Nothing of the fixture changed, and every cell cleaned up after itself.
            let modelsAfter = try await Self.rows(catalog, "SELECT id, row_to_json(m)::text AS row FROM models m")
            for (id, row) in modelsBefore where modelsAfter[id] != row {
                Issue.record("fixture model \(id) was \(modelsAfter[id] == nil ? "deleted" : "changed") by the matrix")
                tally.crossTenantWrites += 1
            }
            #expect(Set(modelsAfter.keys) == Set(modelsBefore.keys), "models left behind or missing")
            let keysAfter = try await Self.rows(catalog, "SELECT id::text AS id, row_to_json(k)::text AS row FROM api_keys k")
            #expect(keysAfter == keysBefore, "the fixture keys changed, or a cell left a key behind")
            let teams = try await catalog.pool.query("SELECT id FROM tenants ORDER BY id").map { try $0.decode(String.self, "id") }
            #expect(teams == Self.tenants)

            let expectedCells = Self.tenants.count * Action.allCases.count * Caller.allCases.count
            #expect(tally.cells == expectedCells)
            #expect(tally.mismatches == 0)
            #expect(tally.crossTenantReads == 0)
            #expect(tally.crossTenantWrites == 0)
            let seconds = Double((ContinuousClock.now - started).components.seconds)
                + Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            print("""
                isolation matrix [\(path.rawValue)]: \(Self.tenants.count) tenants × \(Action.allCases.count) actions × \
                \(Caller.allCases.count) callers = \(tally.cells) cells (expected \(expectedCells)); mismatches \(tally.mismatches); \
                cross-tenant reads \(tally.crossTenantReads), writes \(tally.crossTenantWrites); \
                \(String(format: "%.1f", seconds)) s
                """)
        }
        await catalog.close()
    }

    /// Runs `body` against the application over `catalog`, reading from the database or from a
    /// replica snapshot (whose store is passed so that setup can catch up after plain SQL).
    static func withClient(
        _ catalog: TestCatalog, path: ReadPath,
        _ body: @escaping @Sendable (any TestClientProtocol, SnapshotStore?) async throws -> Void
    ) async throws {
        // As TestCatalog.withClient, with a quiet logger: the matrix makes thousands of requests.
        var logger = Logger(label: "isolation-matrix")
        logger.logLevel = .warning
        let replica: ReplicaOptions? = switch path {
        case .database: nil
        case .replicaCache: ReplicaOptions(pollInterval: .milliseconds(500), maxBackoff: .milliseconds(500))
        }
        // The teams exist before the application starts: its config names them.
        let teams = TenantRepository(pool: catalog.pool)
        for tenant in tenants { _ = try await teams.create(Tenant(id: tenant, alias: "Tenant \(tenant)"), actor: "master") }
        var configuration = catalog.configuration(replica: replica)
        configuration.config = ("matrix-start.yaml", try configModels(.configAtStart))
        try await catalog.withApplication(configuration, logger: logger) { built, client in
            try await body(client, built.cache?.store)
        }
    }

    /// How each fixture model is made: every path that can make a team's model is in the matrix.
    enum MadeBy: Sendable { case configAtStart, importConfig, api, sql }

    static func madeBy(_ model: Model) -> MadeBy {
        switch model.id {
        case "t1-gpt-4o", "shared-a": .configAtStart
        case "t1-unique": .importConfig
        case "t3-gpt-4o", "t3-unique": .sql
        default: .api
        }
    }

    static func litellmModel(_ model: Model) -> String { model.name == "gpt-4o" ? "openai/gpt-4o" : "openai/gpt-4o-mini" }

    /// The fixture models made by `path`, as a LiteLLM config file and parsed as one.
    static func configModels(_ path: MadeBy) throws -> [LiteLLMConfig.Model] {
        var yaml = "model_list:\n"
        for model in models where madeBy(model) == path {
            yaml += """
                  - model_name: \(model.name)
                    litellm_params: {model: \(litellmModel(model)), tpm: \(model.tpm)}
                    model_info: {id: \(model.id)\(model.team.map { ", team_id: \($0)" } ?? "")}

                """
        }
        return try LiteLLMConfig.parse(yaml, file: "matrix-\(path).yaml").models
    }

    static func rows(_ catalog: TestCatalog, _ query: PostgresQuery) async throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try await catalog.pool.query(query) {
            result[try row.decode(String.self, "id")] = try row.decode(String.self, "row")
        }
        return result
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Teams t1–t3, two models per tenant and two shared ones, and the keys of every caller, all
    /// through the API with the master key (only the expiry is set with SQL).
    static func setUp(client: any TestClientProtocol, catalog: TestCatalog, store: SnapshotStore?) async throws -> World {
        // t1-unique by import-config's loader; t2's and shared-b through the API; t3's with plain
        // SQL; t1-gpt-4o and shared-a were loaded from the config at start.
        _ = try await ConfigModelLoader(pool: catalog.pool, secretKey: TestCatalog.secretKey)
            .load(try configModels(.importConfig), file: "matrix-import.yaml")
        for model in models {
            switch madeBy(model) {
            case .configAtStart, .importConfig:
                continue
            case .sql:
                let params = JSONWriter.string(["model": .string(litellmModel(model)), "tpm": .int(model.tpm)])
                try await catalog.pool.query("""
                    INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info)
                    VALUES (\(model.id), \(model.team), \(model.name), \(PostgresJSONB(params)), '{}')
                    """)
            case .api:
                var info: [String: Any] = ["id": model.id]
                if let team = model.team { info["team_id"] = team }
                let body = json([
                    "model_name": model.name,
                    "litellm_params": ["model": litellmModel(model), "tpm": model.tpm],
                    "model_info": info,
                ])
                let created = try await client.json("/model/new", method: .post, body: body)
                #expect(created.status == .ok, "model \(model.id): \(created.text)")
                #expect(((created.body as? [String: Any])?["model_info"] as? [String: Any])?["team_id"] as? String == model.team)
            }
        }
        try await store?.catchUp()
        let sources = try await rows(catalog, "SELECT id, source AS row FROM models")
        #expect(Set(sources.values) == ["config", "api", "sql"], "every path made a fixture model: \(sources)")

        func generate(_ request: [String: Any]) async throws -> (key: String, token: String) {
            let response = try await client.json("/key/generate", method: .post, body: json(request))
            #expect(response.status == .ok, "key \(request): \(response.text)")
            let body = response.body as? [String: Any]
            return (body?["key"] as? String ?? "", body?["token"] as? String ?? "")
        }

        var world = World()
        for (index, tenant) in tenants.enumerated() {
            let neighbour = tenants[(index + 1) % 3]
            var keys = TenantKeys()
            keys.tenantAdmin = try await generate(["team_id": tenant, "role": "tenant_admin"]).key
            keys.tenantMember = try await generate(["team_id": tenant, "role": "tenant_member"]).key
            // A key with a team and no role is a tenant_member.
            keys.allowListed = try await generate(["team_id": tenant, "models": ["gpt-4o", "shared-a", "\(neighbour)-model"]]).key
            keys.targetToken = try await generate(["team_id": tenant]).token

            // Expired and deleted keys are tenant admins: only their state refuses them.
            let expired = try await generate(["team_id": tenant, "role": "tenant_admin"])
            let deleted = try await generate(["team_id": tenant, "role": "tenant_admin"])
            for key in [expired.key, deleted.key] {
                let works = try await client.json("/model/info", headers: [.authorization: "Bearer \(key)"])
                #expect(works.status == .ok, "a fresh key works before it is expired or deleted")
            }
            guard let expiredID = UUID(uuidString: expired.token) else {
                Issue.record("no token for the expired key")
                continue
            }
            try await catalog.pool.query("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = \(expiredID)")
            let removed = try await client.json("/key/delete", method: .post, body: json(["keys": [deleted.token]]))
            #expect(removed.status == .ok, "delete key: \(removed.text)")
            keys.expired = expired.key
            keys.deleted = deleted.key
            world.keys[tenant] = keys
        }
        world.adminToken = try await generate(["role": "admin"]).token
        // The expiry was plain SQL: a replica applies it from the change log.
        try await store?.catchUp()

        // The expired key is still stored (it is refused for its expiry); the deleted one is gone.
        for tenant in tenants {
            let keys = world.keys(tenant)
            let expired = try await catalog.pool.query(
                "SELECT count(*) AS n FROM api_keys WHERE key_hash = \(KeyRepository.digest(keys.expired)) AND expires_at < now()")
            #expect(try expired[0].decode(Int.self, "n") == 1)
            let deleted = try await catalog.pool.query("SELECT count(*) AS n FROM api_keys WHERE key_hash = \(KeyRepository.digest(keys.deleted))")
            #expect(try deleted[0].decode(Int.self, "n") == 0)
        }
        return world
    }

    // MARK: One cell

    struct Context {
        var client: any TestClientProtocol
        var catalog: TestCatalog
        var frame: Frame
        var path: ReadPath

        typealias Response = (status: HTTPResponse.Status, body: Any?, text: String)

        func describe(_ cell: Cell) -> String {
            "[\(path.rawValue)] T=\(frame.tenant) \(cell.action) × \(cell.caller)"
        }

        /// Checks the status (1 on a mismatch, else 0); on a 404, that a missing `identifier` answers
        /// exactly the same (a model one may not see is "not found" like one that does not exist).
        func check(_ response: Response, _ expected: Expected, _ label: String, identifier: String? = nil,
                   probe: ((String) async throws -> Response)? = nil) async throws -> Int {
            let status = Int(response.status.code)
            guard status == expected.status else {
                Issue.record("\(label): expected \(expected.status), got \(status): \(response.text.prefix(300))")
                return 1
            }
            if status == 404, let identifier, let probe {
                let missing = identifier.hasPrefix("sk-") || UUID(uuidString: identifier) != nil
                    ? UUID().uuidString.lowercased() : "zz-missing-\(UUID().uuidString.prefix(8).lowercased())"
                let absent = try await probe(missing)
                #expect(absent.status == .notFound, "\(label): a missing one is not 404")
                #expect(absent.text == response.text.replacingOccurrences(of: identifier, with: missing),
                        "\(label): 404 differs from a missing one's: \(response.text) vs \(absent.text)")
            }
            return 0
        }

        func run(_ cell: Cell, expected: Expected, fresh: inout Int) async throws -> Tally {
            var tally = Tally(cells: 1)
            let label = describe(cell)
            let caller = cell.caller
            let headers = frame.headers(caller)
            fresh += 1
            let freshID = "cell-\(fresh)"

            switch cell.action {
            case .list(let endpoint, let teamFilter):
                let uri = endpoint.rawValue + (teamFilter ? "?team_id=\(frame.neighbour)" : "")
                let response = try await client.json(uri, headers: headers)
                tally.mismatches += try await check(response, expected, label)
                tally.crossTenantReads += compareModels(response, view: View(endpoint), expected: expected, caller: caller, label: label,
                                                        mismatches: &tally.mismatches)
                if endpoint == .v2ModelInfo, response.status == .ok {
                    #expect((response.body as? [String: Any])?["total_count"] as? Int == expected.models?.count, "\(label)")
                }

            case .read(let endpoint, let target):
                let model = frame.model(target.fixture)
                let identifier = endpoint.byID ? model.id : model.name
                let response = try await client.json(endpoint.rawValue + identifier, headers: headers)
                tally.mismatches += try await check(response, expected, label, identifier: identifier) { missing in
                    try await client.json(endpoint.rawValue + missing, headers: headers)
                }
                let view: View = switch endpoint {
                case .modelInfoByID, .v1ModelInfoByID: .deployments
                case .modelGroupByName: .groups
                case .v1ModelByName, .modelByName: .oneName
                }
                tally.crossTenantReads += compareModels(response, view: view, expected: expected, caller: caller, label: label,
                                                        mismatches: &tally.mismatches)

            case .write(.create, let target):
                let team = frame.team(target.team)
                // A team key chooses ids only in its team's namespace (AccessPolicy.checkModelID).
                let modelID = frame.team(of: caller).map { "\(AccessPolicy.namespacePrefix)\($0):\(freshID)" } ?? freshID
                var info: [String: Any] = ["id": modelID]
                if let team { info["team_id"] = team }
                let changes = try await changeCount()
                let response = try await client.json("/model/new", method: .post, headers: headers, body: IsolationMatrixTests.json([
                    "model_name": freshID, "litellm_params": ["model": "openai/gpt-4o-mini"], "model_info": info,
                ]))
                tally.mismatches += try await check(response, expected, label)
                let stored = try await modelRow(modelID)
                if response.status == .ok {
                    #expect(stored != nil, "\(label): 200 but nothing stored")
                    if let owner = expected.owner {
                        #expect(stored?.team == frame.team(owner), "\(label): the new model belongs to \(stored?.team ?? "nobody")")
                    }
                } else {
                    #expect(stored == nil, "\(label): refused, yet stored")
                    #expect(try await changeCount() == changes, "\(label): refused, yet logged a change")
                }
                if let stored, frame.crosses(caller, stored.team) || (caller != .admin && stored.team == nil) {
                    tally.crossTenantWrites += 1
                }
                if stored != nil { try await adminDeleteModel(modelID, label: label) }

            case .write(let action, let target):
                let team = frame.team(target.team)
                var info: [String: Any] = ["id": freshID]
                if let team { info["team_id"] = team }
                let made = try await client.json("/model/new", method: .post, body: IsolationMatrixTests.json([
                    "model_name": freshID, "litellm_params": ["model": "openai/gpt-4o-mini", "rpm": 1], "model_info": info,
                ]))
                #expect(made.status == .ok, "\(label): setup: \(made.text)")
                let before = try await modelRow(freshID)
                let changes = try await changeCount()
                let request: (String) -> (uri: String, method: HTTPRequest.Method, body: String) = { id in
                    switch action {
                    case .update:
                        ("/model/update", .post, IsolationMatrixTests.json(["model_info": ["id": id], "litellm_params": ["rpm": 7]]))
                    case .patch:
                        ("/model/\(id)/update", .patch, IsolationMatrixTests.json(["litellm_params": ["rpm": 8]]))
                    case .moveToThird:
                        ("/model/update", .post, IsolationMatrixTests.json(["model_info": ["id": id, "team_id": frame.third]]))
                    case .delete, .create:
                        ("/model/delete", .post, IsolationMatrixTests.json(["id": id]))
                    }
                }
                let sent = request(freshID)
                let response = try await client.json(sent.uri, method: sent.method, headers: headers, body: sent.body)
                tally.mismatches += try await check(response, expected, label, identifier: freshID) { missing in
                    let probe = request(missing)
                    return try await client.json(probe.uri, method: probe.method, headers: headers, body: probe.body)
                }
                let after = try await modelRow(freshID)
                if response.status == .ok {
                    switch action {
                    case .update: #expect(after?.rpm == "7" && after?.team == team, "\(label): \(after?.row ?? "gone")")
                    case .patch: #expect(after?.rpm == "8" && after?.team == team, "\(label): \(after?.row ?? "gone")")
                    case .moveToThird: #expect(after?.team == frame.third, "\(label): \(after?.row ?? "gone")")
                    case .delete, .create: #expect(after == nil, "\(label): 200 but the model is still there")
                    }
                } else {
                    #expect(after?.row == before?.row, "\(label): refused, yet the model changed")
                    #expect(try await changeCount() == changes, "\(label): refused, yet logged a change")
                }
                if after?.row != before?.row, frame.crosses(caller, team) || frame.crosses(caller, after?.team) {
                    tally.crossTenantWrites += 1
                }
                if after != nil { try await adminDeleteModel(freshID, label: label) }

            case .team(let action):
                try await runTeam(action, cell: cell, expected: expected, freshID: freshID, tally: &tally)

            case .key(let action):
                try await runKey(action, cell: cell, expected: expected, tally: &tally)
            }
            return tally
        }

        func runTeam(
            _ action: TeamAction, cell: Cell, expected: Expected, freshID: String, tally: inout Tally
        ) async throws {
            let label = describe(cell)
            let caller = cell.caller
            let headers = frame.headers(caller)
            switch action {
            case .create:
                let response = try await client.json("/team/new", method: .post, headers: headers,
                                                      body: IsolationMatrixTests.json(["team_id": freshID, "team_alias": "cell"]))
                tally.mismatches += try await check(response, expected, label)
                let exists = try await teamExists(freshID)
                #expect(exists == (response.status == .ok), "\(label): stored \(exists)")
                if exists { try await adminDeleteTeam(freshID, label: label) }

            case .list:
                let response = try await client.json("/team/list", headers: headers)
                tally.mismatches += try await check(response, expected, label)
                let seen = Set(((response.body as? [[String: Any]]) ?? []).compactMap { $0["team_id"] as? String })
                if let teams = expected.teams, response.status == .ok {
                    let wanted = Set(teams.compactMap(frame.team))
                    if seen != wanted {
                        tally.mismatches += 1
                        Issue.record("\(label): teams \(seen.sorted()), expected \(wanted.sorted())")
                    }
                }
                tally.crossTenantReads += seen.filter { frame.crosses(caller, $0) }.count

            case .infoTenant, .infoNeighbour:
                let team = action == .infoTenant ? frame.tenant : frame.neighbour
                let response = try await client.json("/team/info?team_id=\(team)", headers: headers)
                tally.mismatches += try await check(response, expected, label, identifier: team) { missing in try await client.json("/team/info?team_id=\(missing)", headers: headers) }
                let body = response.body as? [String: Any]
                if response.status == .ok {
                    let seen: Set<String> = (body?["team_id"] as? String).map { [$0] } ?? []
                    if let teams = expected.teams, seen != Set(teams.compactMap(frame.team)) {
                        tally.mismatches += 1
                        Issue.record("\(label): team \(seen.sorted())")
                    }
                    if frame.crosses(caller, team) { tally.crossTenantReads += 1 }
                    let keyTeams = ((body?["keys"] as? [[String: Any]]) ?? []).map { $0["team_id"] as? String }
                    #expect(keyTeams.allSatisfy { $0 == team }, "\(label): /team/info lists keys of other teams: \(keyTeams)")
                }

            case .deleteFresh:
                let made = try await client.json("/team/new", method: .post, body: IsolationMatrixTests.json(["team_id": freshID]))
                #expect(made.status == .ok, "\(label): setup: \(made.text)")
                let response = try await client.json("/team/delete", method: .post, headers: headers,
                                                      body: IsolationMatrixTests.json(["team_ids": [freshID]]))
                tally.mismatches += try await check(response, expected, label)
                let exists = try await teamExists(freshID)
                #expect(exists == (response.status != .ok), "\(label): the team \(exists ? "is still there" : "is gone")")
                if exists { try await adminDeleteTeam(freshID, label: label) }

            case .deleteTenant:
                let changes = try await changeCount()
                let response = try await client.json("/team/delete", method: .post, headers: headers,
                                                      body: IsolationMatrixTests.json(["team_ids": [frame.tenant]]))
                tally.mismatches += try await check(response, expected, label)
                let exists = try await teamExists(frame.tenant)
                #expect(exists, "\(label): the tenant was deleted")
                #expect(try await changeCount() == changes, "\(label): refused, yet logged a change")
                if !exists, frame.crosses(caller, frame.tenant) { tally.crossTenantWrites += 1 }
            }
        }

        func runKey(
            _ action: KeyAction, cell: Cell, expected: Expected, tally: inout Tally
        ) async throws {
            let label = describe(cell)
            let caller = cell.caller
            let headers = frame.headers(caller)

            /// Checks the key shown or made against the expected team and role.
            func checkKey(_ info: [String: Any]?) {
                guard let owner = expected.owner, let role = expected.role else { return }
                let team = info?["team_id"] as? String
                let shownRole = info?["role"] as? String
                if team != frame.team(owner) || shownRole != role.rawValue {
                    tally.mismatches += 1
                    Issue.record("\(label): key of \(team ?? "no team") with role \(shownRole ?? "?"), expected \(frame.team(owner) ?? "no team") \(role.rawValue)")
                }
            }

            switch action {
            case .generateMember, .generateTenantAdmin, .generateNeighbour, .generateAdmin, .generateNoTeam:
                let request: [String: Any] = switch action {
                case .generateMember: ["team_id": frame.tenant]
                case .generateTenantAdmin: ["team_id": frame.tenant, "role": "tenant_admin"]
                case .generateNeighbour: ["team_id": frame.neighbour]
                case .generateAdmin: ["role": "admin"]
                default: [:]
                }
                let count = try await keyCount()
                let response = try await client.json("/key/generate", method: .post, headers: headers, body: IsolationMatrixTests.json(request))
                tally.mismatches += try await check(response, expected, label)
                let body = response.body as? [String: Any]
                if response.status == .ok {
                    checkKey(body)
                    #expect(try await keyCount() == count + 1, "\(label)")
                    if frame.crossesKey(caller, body?["team_id"] as? String) { tally.crossTenantWrites += 1 }
                    if let token = body?["token"] as? String { try await adminDeleteKey(token, label: label) }
                } else {
                    #expect(try await keyCount() == count, "\(label): refused, yet a key was stored")
                }

            case .infoTenantKey, .infoNeighbourKey, .infoAdminKey, .infoOwnKey:
                let key: String = switch action {
                case .infoTenantKey: frame.world.keys(frame.tenant).targetToken
                case .infoNeighbourKey: frame.world.keys(frame.neighbour).targetToken
                case .infoAdminKey: frame.world.adminToken
                default: frame.key(of: caller) ?? frame.world.keys(frame.tenant).targetToken
                }
                let response = try await client.json("/key/info?key=\(key)", headers: headers)
                tally.mismatches += try await check(response, expected, label, identifier: key) { missing in try await client.json("/key/info?key=\(missing)", headers: headers) }
                if response.status == .ok {
                    let info = (response.body as? [String: Any])?["info"] as? [String: Any]
                    checkKey(info)
                    if frame.crossesKey(caller, info?["team_id"] as? String) { tally.crossTenantReads += 1 }
                }

            case .deleteTenantKey, .deleteNeighbourKey, .deleteAdminKey:
                let request: [String: Any] = switch action {
                case .deleteTenantKey: ["team_id": frame.tenant]
                case .deleteNeighbourKey: ["team_id": frame.neighbour]
                default: ["role": "admin"]
                }
                let made = try await client.json("/key/generate", method: .post, body: IsolationMatrixTests.json(request))
                #expect(made.status == .ok, "\(label): setup: \(made.text)")
                let madeBody = made.body as? [String: Any]
                let token = madeBody?["token"] as? String ?? ""
                let team = madeBody?["team_id"] as? String
                let response = try await client.json("/key/delete", method: .post, headers: headers,
                                                      body: IsolationMatrixTests.json(["keys": [token]]))
                tally.mismatches += try await check(response, expected, label, identifier: token) { missing in
                    try await client.json("/key/delete", method: .post, headers: headers, body: IsolationMatrixTests.json(["keys": [missing]]))
                }
                let exists = try await keyExists(token)
                #expect(exists == (response.status != .ok), "\(label): the key \(exists ? "is still there" : "is gone")")
                if !exists, frame.crossesKey(caller, team) { tally.crossTenantWrites += 1 }
                if exists { try await adminDeleteKey(token, label: label) }

            }
        }

        // MARK: Reads compared

        enum View {
            /// /model/info and friends: one entry per deployment, with model_info.id.
            case deployments
            /// /model_group/info: one entry per model name, tpm summed over its deployments.
            case groups
            /// /models, /v1/models: one entry per model name.
            case names
            /// /v1/models/{name}: one object.
            case oneName

            init(_ endpoint: ListEndpoint) {
                switch endpoint {
                case .modelInfo, .v1ModelInfo, .v2ModelInfo: self = .deployments
                case .modelGroupInfo: self = .groups
                case .models, .v1Models: self = .names
                }
            }
        }

        /// Compares what a read shows with the expected fixtures; returns how many models of
        /// another tenant it showed.
        func compareModels(_ response: Response, view: View, expected: Expected, caller: Caller, label: String,
                           mismatches: inout Int) -> Int {
            let body = response.body as? [String: Any]
            let data = body?["data"] as? [[String: Any]] ?? []
            // A refused read shows nothing.
            let wanted: [Model]? = expected.status == 200 ? expected.models.map { $0.map(frame.model) } : []
            var shown: [Model] = []
            func differ(_ observed: String, _ expectedText: String) {
                mismatches += 1
                Issue.record("\(label): shows \(observed), expected \(expectedText)")
            }
            switch view {
            case .deployments:
                let ids = data.compactMap { ($0["model_info"] as? [String: Any])?["id"] as? String }
                shown = ids.compactMap(IsolationMatrixTests.model(id:))
                if let wanted, ids.sorted() != wanted.map(\.id).sorted() {
                    differ("\(ids.sorted())", "\(wanted.map(\.id).sorted())")
                }
            case .groups:
                var groups: [String: Int] = [:]
                for group in data {
                    guard let name = group["model_group"] as? String else { continue }
                    groups[name, default: 0] += (group["tpm"] as? Int) ?? -1
                }
                shown = IsolationMatrixTests.models.filter { model in (groups[model.name] ?? 0) > 0 && (groups[model.name] ?? 0) & model.tpm != 0 }
                if let wanted {
                    let expectedGroups = Dictionary(wanted.map { ($0.name, $0.tpm) }, uniquingKeysWith: +)
                    if groups != expectedGroups || data.count != expectedGroups.count {
                        differ("\(groups.sorted { $0.key < $1.key })", "\(expectedGroups.sorted { $0.key < $1.key })")
                    }
                }
            case .names, .oneName:
                let names = view == .names ? data.compactMap { $0["id"] as? String } : (body?["id"] as? String).map { [$0] } ?? []
                // Only names no tenant shares can be attributed.
                shown = IsolationMatrixTests.models.filter { $0.name != "gpt-4o" && names.contains($0.name) }
                if let wanted, names.sorted() != Set(wanted.map(\.name)).sorted() {
                    differ("\(names.sorted())", "\(Set(wanted.map(\.name)).sorted())")
                }
            }
            return shown.filter { frame.crosses(caller, $0.team) }.count
        }

        // MARK: Database probes and clean-up

        struct StoredModel: Equatable {
            var team: String?
            var rpm: String?
            var row: String
        }

        func modelRow(_ id: String) async throws -> StoredModel? {
            try await catalog.pool.query("""
                SELECT tenant_id, litellm_params->>'rpm' AS rpm, row_to_json(m)::text AS row FROM models m WHERE id = \(id)
                """).first.map {
                StoredModel(team: try $0.decode(String?.self, "tenant_id"), rpm: try $0.decode(String?.self, "rpm"),
                            row: try $0.decode(String.self, "row"))
            }
        }

        func changeCount() async throws -> Int {
            try await catalog.pool.query("SELECT count(*) AS n FROM changes")[0].decode(Int.self, "n")
        }

        func keyCount() async throws -> Int {
            try await catalog.pool.query("SELECT count(*) AS n FROM api_keys")[0].decode(Int.self, "n")
        }

        func keyExists(_ token: String) async throws -> Bool {
            guard let id = UUID(uuidString: token) else { return false }
            let rows = try await catalog.pool.query("SELECT 1 FROM api_keys WHERE id = \(id)")
            return !rows.isEmpty
        }

        func teamExists(_ id: String) async throws -> Bool {
            let rows = try await catalog.pool.query("SELECT 1 FROM tenants WHERE id = \(id)")
            return !rows.isEmpty
        }

        func adminDeleteModel(_ id: String, label: String) async throws {
            let response = try await client.json("/model/delete", method: .post, body: IsolationMatrixTests.json(["id": id]))
            #expect(response.status == .ok, "\(label): clean-up: \(response.text)")
        }

        func adminDeleteTeam(_ id: String, label: String) async throws {
            let response = try await client.json("/team/delete", method: .post, body: IsolationMatrixTests.json(["team_ids": [id]]))
            #expect(response.status == .ok, "\(label): clean-up: \(response.text)")
        }

        func adminDeleteKey(_ token: String, label: String) async throws {
            let response = try await client.json("/key/delete", method: .post, body: IsolationMatrixTests.json(["keys": [token]]))
            #expect(response.status == .ok, "\(label): clean-up: \(response.text)")
        }
    }
}
