import Foundation

/// Set by SIGTERM or SIGINT.
final class StopSignal: @unchecked Sendable {
    // `stopped` is only touched under `lock`; `sources` is written once, in init.
    private let lock = NSLock()
    private var stopped = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        // A parent may have started us with these blocked (the mask is inherited).
        var wanted = sigset_t()
        sigemptyset(&wanted)
        sigaddset(&wanted, SIGTERM)
        sigaddset(&wanted, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
        for number in [SIGTERM, SIGINT] {
            // The default action would kill the process mid-message; the source handles it instead.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.set() }
            source.resume()
            sources.append(source)
        }
    }

    private func set() { lock.withLock { stopped = true } }

    var isSet: Bool { lock.withLock { stopped } }
}
