import Foundation

/// How many leads an upsert created and changed.
public struct UpsertSummary: Sendable, Hashable {
    public var inserted: Int
    public var updated: Int

    public init(inserted: Int = 0, updated: Int = 0) {
        self.inserted = inserted
        self.updated = updated
    }

    public static func + (lhs: UpsertSummary, rhs: UpsertSummary) -> UpsertSummary {
        UpsertSummary(inserted: lhs.inserted + rhs.inserted, updated: lhs.updated + rhs.updated)
    }
}

/// A failure of the store itself (not of the user's input): exit code 2.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// Another process held the store past the timeout.
        case busy
        /// The store was written by a newer Nurture.
        case tooNew
        /// The store's server could not be reached (down, refused, timed out, no TLS when
        /// TLS was required): a failure of the world, not of what the user wrote.
        case unreachable
        case failed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
