import NurtureTestSupport
import Testing

/// The conformance suite (in the test-support target) against each store: a real SQLite
/// file, and a fresh database on a real PostgreSQL server the test setup started.
@Suite struct StoreConformanceTests {
    @Test(arguments: StoreKind.allCases, StoreConformance.checks)
    func storeConforms(_ kind: StoreKind, _ check: ConformanceCheck) async throws {
        try await check.run(on: { try await kind.makeStore(in: $0) })
    }
}
