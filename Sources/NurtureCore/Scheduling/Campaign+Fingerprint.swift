extension Campaign {
    /// Changes whenever anything that decides who gets which step when changes: the
    /// steps (ids, order, waits, conditions) and the send window. The send loop
    /// re-plans a campaign's enrolments when it changes, so an edit takes effect at
    /// the next tick instead of at each lead's old due time.
    public var schedulingFingerprint: String {
        let steps = self.steps.map {
            "\($0.id)|\($0.timing)|\(String(describing: $0.condition))|\($0.otherwise)|\($0.renamedFrom ?? "")"
        }
        let window =
            sendWindow.map {
                "\($0.days.sorted())|\($0.opens)|\($0.closes)|\($0.skipDates.sorted())|\($0.timeZone ?? "")"
            } ?? "-"
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let late = maxLate.map { "\($0)" } ?? "-"
        for byte in (steps.joined(separator: "\n") + "\n" + window + "\n" + late).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
