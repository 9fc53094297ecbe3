import Foundation
import NurtureCore
import Synchronization

/// The `Date` header of answers written outside Hummingbird (its own cache is internal
/// to it): formatted once a second, shared by every connection.
final class HTTPDateCache: Sendable {
    private let cached = Mutex<(second: Int64, text: String)>((-1, ""))

    var now: String {
        let second = Int64(Date().timeIntervalSince1970.rounded(.down))
        return cached.withLock { cached in
            if cached.second != second { cached = (second, HTTPDate.text(epochSeconds: second)) }
            return cached.text
        }
    }
}
