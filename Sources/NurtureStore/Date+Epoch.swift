import Foundation

extension Date {
    /// Whole seconds since 1970, as the store keeps times.
    var epochSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }

    init(epochSeconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(epochSeconds)) }
}
