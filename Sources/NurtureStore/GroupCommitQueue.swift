/// Calls waiting to be written together in one transaction (group commit): the store
/// actor's first caller leads, lets the calls already queued on the actor join (one
/// `Task.yield()`), writes them all and answers each; calls that arrive meanwhile wait.
struct GroupCommitQueue<Input, Output: Sendable> {
    private var pending: [(ticket: Int, input: Input)] = []
    private var waiters: [Int: CheckedContinuation<Output, any Error>] = [:]
    private var nextTicket = 0
    private var gathering = false

    /// Queues `input`; `leads` is true when this call is to write the group.
    mutating func enqueue(_ input: Input) -> (ticket: Int, leads: Bool) {
        let ticket = nextTicket
        nextTicket += 1
        pending.append((ticket, input))
        guard !gathering else { return (ticket, false) }
        gathering = true
        return (ticket, true)
    }

    /// A follower waits here for the leader's answer.
    mutating func wait(_ ticket: Int, _ continuation: CheckedContinuation<Output, any Error>) {
        waiters[ticket] = continuation
    }

    /// The leader takes the group; calls after this start the next one.
    mutating func takeGroup() -> [(ticket: Int, input: Input)] {
        defer {
            pending.removeAll()
            gathering = false
        }
        return pending
    }

    /// Answers every follower with its part of `outcome` (one output per input, in order,
    /// or everyone's error) and returns the leader's.
    mutating func answer(_ group: [(ticket: Int, input: Input)], with outcome: Result<[Output], any Error>, leader: Int)
        -> Result<Output, any Error>
    {
        var mine: Result<Output, any Error> = .failure(CancellationError())
        for (index, entry) in group.enumerated() {
            let result = outcome.map { $0[index] }
            if entry.ticket == leader {
                mine = result
            } else {
                waiters.removeValue(forKey: entry.ticket)?.resume(with: result)
            }
        }
        return mine
    }
}
