/// Group admission: each connection of a sender asks to admit its next message at the
/// last moment, but a commit (an fsync on the server) per message would cap the sender
/// at the disk's pace. Calls that arrive while a batch is being written wait for the
/// next one, which admits them all in one statement, each checked on its own.
actor AdmissionBatcher {
    private var pending: [(row: Int64, waiter: CheckedContinuation<Bool, any Error>)] = []
    private var writing = false

    /// Whether `row` was admitted; `admit` writes one batch and returns the rows it admitted.
    func admit(_ row: Int64, by admit: @escaping @Sendable ([Int64]) async throws -> Set<Int64>) async throws -> Bool {
        try await withCheckedThrowingContinuation { waiter in
            pending.append((row, waiter))
            guard !writing else { return }
            writing = true
            Task { await self.writeBatches(admit) }
        }
    }

    private func writeBatches(_ admit: @Sendable ([Int64]) async throws -> Set<Int64>) async {
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll()
            do {
                let admitted = try await admit(batch.map(\.row))
                for entry in batch { entry.waiter.resume(returning: admitted.contains(entry.row)) }
            } catch {
                for entry in batch { entry.waiter.resume(throwing: error) }
            }
        }
        writing = false
    }
}
