import Foundation
import Synchronization

/// A one-line progress bar on stderr, only when stderr is a terminal and the batch is large.
final class ProgressBar: Sendable {
    private let shown = Mutex<(last: Date, active: Bool)>((.distantPast, false))
    private let minimumTotal: Int

    init(minimumTotal: Int = 200) {
        self.minimumTotal = minimumTotal
    }

    var update: @Sendable (Int, Int) -> Void {
        { [self] done, total in draw(done, total) }
    }

    private func draw(_ done: Int, _ total: Int) {
        guard total >= minimumTotal, Terminal.stderrIsTerminal else { return }
        shown.withLock { state in
            guard done == total || Date().timeIntervalSince(state.last) > 0.1 else { return }
            state.last = Date()
            state.active = true
            let width = 30
            let filled = total == 0 ? width : width * done / total
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            Terminal.writeError("\r[\(bar)] \(done)/\(total)")
        }
    }

    func finish() {
        shown.withLock { state in
            if state.active { Terminal.writeError("\n") }
        }
    }
}
