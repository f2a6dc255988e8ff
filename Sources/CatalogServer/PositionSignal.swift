import NIOConcurrencyHelpers

/// A position that only moves forward, and waiters for it to reach a value: how far this
/// replica's snapshot has applied the change log (`X-Catalog-Min-Seq`), and how far the change
/// stream can serve (its subscribers). Waiting never blocks a thread.
final class PositionSignal: Sendable {
    private struct Waiter {
        var target: Int64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var value: Int64
        /// Waits under way by id: nil until the wait has registered its continuation. An id
        /// missing here was given up (timeout or cancellation), whether or not it had registered.
        var waiters: [UInt64: Waiter?] = [:]
        var nextID: UInt64 = 0
    }

    private let state: NIOLockedValueBox<State>

    init(_ value: Int64 = 0) {
        state = NIOLockedValueBox(State(value: value))
    }

    var value: Int64 { state.withLockedValue { $0.value } }

    /// Moves the position to `value` (never back) and wakes the waiters it satisfies.
    func advance(to value: Int64) {
        let woken = state.withLockedValue { state -> [Waiter] in
            guard value > state.value else { return [] }
            state.value = value
            var ready: [Waiter] = []
            for (id, waiter) in state.waiters {
                guard let waiter, waiter.target <= value else { continue }
                state.waiters[id] = nil
                ready.append(waiter)
            }
            return ready
        }
        for waiter in woken { waiter.continuation.resume(returning: true) }
    }

    /// Waits until the position is at least `target`: true once it is, false when `timeout`
    /// passed first or the task was cancelled.
    func wait(forAtLeast target: Int64, timeout: Duration) async -> Bool {
        if value >= target { return true }
        let id = state.withLockedValue { state -> UInt64 in
            state.nextID += 1
            state.waiters[state.nextID] = .some(nil)
            return state.nextID
        }
        let expiry = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.give(up: id)
        }
        defer {
            expiry.cancel()
            _ = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let outcome = state.withLockedValue { state -> Bool? in
                    if state.value >= target { return true }
                    guard state.waiters[id] != nil else { return false }  // given up before it registered
                    state.waiters[id] = Waiter(target: target, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        } onCancel: {
            give(up: id)
        }
    }

    private func give(up id: UInt64) {
        let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
        waiter??.continuation.resume(returning: false)
    }
}
