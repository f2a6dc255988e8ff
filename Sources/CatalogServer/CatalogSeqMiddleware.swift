import Catalog
import CatalogStore
import HTTPTypes
import Hummingbird

/// The fleet's read-your-writes, over any replica:
/// - every response of a request that committed changes carries `X-Catalog-Seq`, the highest
///   change-log position its writes took (recorded by the store after COMMIT, `WriteReceipt`);
/// - a request sent with `X-Catalog-Min-Seq: N` is answered only once this replica's snapshot has
///   applied every change up to N: it waits up to `maxWait` (then 503 with `Retry-After`), and a
///   seq the log has not reached is refused at once (400).
struct CatalogSeqMiddleware: RouterMiddleware {
    typealias Context = CatalogRequestContext

    static let seqHeader = HTTPField.Name("X-Catalog-Seq")!
    static let minSeqHeader = HTTPField.Name("X-Catalog-Min-Seq")!
    /// How long a read waits for its replica to catch up (README, "Replicas").
    static let maxWait: Duration = .seconds(5)

    let store: SnapshotStore?
    let feed: ChangeFeed

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let text = request.headers[Self.minSeqHeader], let store, let refused = try await waitFor(text, store: store) {
            return refused
        }
        let receipt = WriteReceipt()
        var response = try await WriteReceipt.$current.withValue(receipt) { try await next(request, context) }
        if let position = receipt.position { response.headers[Self.seqHeader] = String(position) }
        return response
    }

    /// Nil once the replica has applied the seq; the 503 to answer when it did not in time.
    private func waitFor(_ text: String, store: SnapshotStore) async throws -> Response? {
        guard let wanted = Int64(text.trimmingCharacters(in: .whitespaces)), wanted >= 0 else {
            throw CatalogError.invalid(field: "X-Catalog-Min-Seq", message: "X-Catalog-Min-Seq must be a seq: a whole number from 0, not '\(text)'")
        }
        if store.appliedPosition >= wanted { return nil }
        let highest = try await feed.positionBounds().highest
        guard wanted <= highest else {
            throw CatalogError.invalid(field: "X-Catalog-Min-Seq", message:
                "X-Catalog-Min-Seq \(wanted) is beyond the change log's last seq (\(highest)): no write has that seq")
        }
        if await store.applied.wait(forAtLeast: wanted, timeout: Self.maxWait) { return nil }
        // Not in time: the replica is behind (its listener may be reconnecting); another may not be.
        var response = APIError(
            status: .serviceUnavailable,
            message: "this replica has applied the change log up to seq \(store.appliedPosition), not yet \(wanted): retry",
            type: "service_unavailable", param: "X-Catalog-Min-Seq", code: nil).response
        response.headers[.retryAfter] = "1"
        return response
    }
}
