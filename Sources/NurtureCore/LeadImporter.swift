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

    /// Rows per transaction. Two batches are in memory at once, each with what the
    /// store holds for it until its commit, so the peak follows this. Measured on
    /// 1,000,000 rows (`scripts/bench-import.sh`'s shape, three runs each): 5,000
    /// a batch peaked at 91-105 MB, 3,000 at 89-97, 2,000 at 77-81 MB, in the same time
    /// within the noise (4.8-6.1 s at 5,000, 5.5-6.3 s at 2,000); an earlier machine
    /// had 2,000 slower than 10,000 by 6% on 300,000 rows.
    public var batchSize = 2_000
    public var extraTags: [String]
    public var isKnownTimeZone: @Sendable (String) -> Bool

    public init(extraTags: [String] = [], isKnownTimeZone: @escaping @Sendable (String) -> Bool = TimeZoneNames.isKnown)
    {
        self.extraTags = extraTags
        self.isKnownTimeZone = isKnownTimeZone
    }

    /// `nextChunk` returns the file's bytes piece by piece and nil at the end.
    /// Throws `LeadCSVMapping.HeaderProblem` when the header is unusable (nothing imports).
    /// Parsing and writing overlap: while the store writes one batch, the next is parsed
    /// (two cores, each busy with half the work); at most two batches are in memory.
    public func run(
        nextChunk: () throws -> [UInt8]?, store: any Store, now: Date, onRejection: (LeadCSVMapping.Rejection) -> Void
    ) async throws -> Summary {
        var parser = CSVParser()
        var mapping: LeadCSVMapping?
        var summary = Summary()
        var batch: [LeadInput] = []
        batch.reserveCapacity(batchSize)
        var records: [CSVRecord] = []
        var writing: Task<UpsertSummary, any Error>?
        // The batch being written, kept here so that its last reference (and the freeing
        // of its millions of strings) falls on this side, not on the store's writer, which
        // is the import's bottleneck.
        var written: [LeadInput] = []

        func handle(_ record: CSVRecord) throws {
            guard let mapping else {
                if let problem = record.problem {
                    throw LeadCSVMapping.HeaderProblem(description: "the header row: \(problem)")
                }
                mapping = try LeadCSVMapping(
                    header: record.fields, extraTags: extraTags, isKnownTimeZone: isKnownTimeZone)
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

        do {
            while let chunk = try nextChunk() {
                parser.feed(chunk) { records.append($0) }
                for record in records {
                    try handle(record)
                    if batch.count >= batchSize {
                        try await finish(writing, into: &summary)
                        written.removeAll()
                        writing = write(batch, to: store, now: now)
                        written = batch
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                records.removeAll(keepingCapacity: true)
            }
            parser.finish { records.append($0) }
            for record in records { try handle(record) }
        } catch {
            // Nothing is written after the import has said it failed.
            _ = try? await writing?.value
            throw error
        }
        try await finish(writing, into: &summary)
        if mapping == nil {
            throw LeadCSVMapping.HeaderProblem(
                description: "the file is empty; the first line must name the columns, like email,first_name,tags")
        }
        if !batch.isEmpty { try await finish(write(batch, to: store, now: now), into: &summary) }
        return summary
    }

    /// Writes a batch in a task of its own, so the caller parses on meanwhile.
    private func write(_ batch: [LeadInput], to store: any Store, now: Date) -> Task<UpsertSummary, any Error> {
        Task { try await store.upsertLeads(batch, now: now) }
    }

    /// Waits for the batch being written (its failure stops the import) and counts it.
    private func finish(_ writing: Task<UpsertSummary, any Error>?, into summary: inout Summary) async throws {
        guard let result = try await writing?.value else { return }
        summary.inserted += result.inserted
        summary.updated += result.updated
    }
}
