import Foundation

/// Streams a CSV into the store: records are parsed as bytes arrive and written in
/// batches, so memory stays flat however long the file is. A bad row is reported
/// and skipped; the rest imports.
public struct LeadImporter: Sendable {
    public struct Summary: Sendable, Hashable {
        public var rows = 0
        public var inserted = 0
        public var updated = 0
        public var rejected = 0
    }

    public var batchSize = 2_000
    public var extraTags: [String]
    public var isKnownTimeZone: @Sendable (String) -> Bool

    public init(extraTags: [String] = [], isKnownTimeZone: @escaping @Sendable (String) -> Bool = TimeZoneNames.isKnown) {
        self.extraTags = extraTags
        self.isKnownTimeZone = isKnownTimeZone
    }

    /// `nextChunk` returns the file's bytes piece by piece and nil at the end.
    /// Throws `LeadCSVMapping.HeaderProblem` when the header is unusable (nothing imports).
    public func run(
        nextChunk: () throws -> [UInt8]?, store: any Store, now: Date, onRejection: (LeadCSVMapping.Rejection) -> Void
    ) async throws -> Summary {
        var parser = CSVParser()
        var mapping: LeadCSVMapping?
        var summary = Summary()
        var batch: [LeadInput] = []
        batch.reserveCapacity(batchSize)
        var records: [CSVRecord] = []

        func handle(_ record: CSVRecord) throws {
            guard let mapping else {
                if let problem = record.problem { throw LeadCSVMapping.HeaderProblem(description: "the header row: \(problem)") }
                mapping = try LeadCSVMapping(header: record.fields, extraTags: extraTags, isKnownTimeZone: isKnownTimeZone)
                return
            }
            summary.rows += 1
            switch mapping.lead(from: record) {
            case .success(let lead): batch.append(lead)
            case .failure(let rejection):
                summary.rejected += 1
                onRejection(rejection)
            }
        }

        while let chunk = try nextChunk() {
            parser.feed(chunk) { records.append($0) }
            for record in records { try handle(record) }
            records.removeAll(keepingCapacity: true)
            if batch.count >= batchSize {
                try await flush(&batch, into: &summary, store: store, now: now)
            }
        }
        parser.finish { records.append($0) }
        for record in records { try handle(record) }
        if mapping == nil { throw LeadCSVMapping.HeaderProblem(description: "the file is empty; the first line must name the columns, like email,first_name,tags") }
        try await flush(&batch, into: &summary, store: store, now: now)
        return summary
    }

    private func flush(_ batch: inout [LeadInput], into summary: inout Summary, store: any Store, now: Date) async throws {
        guard !batch.isEmpty else { return }
        let result = try await store.upsertLeads(batch, now: now)
        summary.inserted += result.inserted
        summary.updated += result.updated
        batch.removeAll(keepingCapacity: true)
    }
}
