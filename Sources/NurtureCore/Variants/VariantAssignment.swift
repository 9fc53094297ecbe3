/// Which variant of a step a lead gets: the test's winner once there is one, otherwise
/// one chosen from (lead, campaign, step) alone, so the same lead always gets the same
/// variant, across ticks and machines, and leads spread evenly over the variants.
/// The send loop records the choice with the message; a retry reuses the record.
public enum VariantAssignment {
    public static func variant(of step: Step, campaignID: String, leadID: Int64, winner: String?) -> String? {
        guard !step.variants.isEmpty else { return nil }
        if let winner, step.variants.contains(where: { $0.id == winner }) { return winner }
        let bucket = Int(stableHash("\(leadID)\u{0}\(campaignID)\u{0}\(step.id)") % UInt64(step.variants.count))
        return step.variants[bucket].id
    }

    /// FNV-1a over the UTF-8 bytes, then SplitMix64's finaliser to spread the low bits
    /// (lead ids are consecutive). Swift's `Hasher` is seeded per process, so it cannot
    /// be used for a choice that must never change.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        return hash ^ (hash >> 31)
    }
}
