import ServiceLifecycle

/// The PostgreSQL store's connection pool as a member of a `ServiceGroup`: it stays open
/// until the group shuts down, and closes after the services listed after it (the tick
/// loop, the HTTP server) have finished what they were doing.
public struct PostgresStoreService: Service {
    let store: PostgresStore

    public init(store: PostgresStore) {
        self.store = store
    }

    public func run() async throws {
        // Returns at graceful shutdown; throws when the group is cancelled instead.
        try? await gracefulShutdown()
        await store.close()
    }
}
