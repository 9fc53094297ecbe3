import Foundation

/// A tick nobody else ever sees (`run --dry-run`): every read and write it makes goes to a
/// view of the store whose changes are thrown away at the end, so the real store, and
/// whoever uses it meanwhile, is never changed by it.
public protocol DryRunStore: Sendable {
    /// Runs `body` against such a view, then throws the view's changes away. SQLite: a
    /// private copy of the file taken in one read transaction (a writer is never kept
    /// waiting), deleted afterwards; PostgreSQL: one transaction, rolled back.
    func withDiscardedChanges<Result: Sendable>(_ body: (any Store) async throws -> Result) async throws -> Result
}
