import Foundation

/// The two-sided two-proportion z-test with a pooled proportion: is the difference
/// between x1/n1 and x2/n2 more than chance? Returns the p-value; nil when either side
/// has no trials. Equal rates with nothing to tell them apart (all or none succeed)
/// give 1.
public enum TwoProportionTest {
    public static func pValue(successes x1: Int, trials n1: Int, successes x2: Int, trials n2: Int) -> Double? {
        guard n1 > 0, n2 > 0 else { return nil }
        let p1 = Double(x1) / Double(n1)
        let p2 = Double(x2) / Double(n2)
        let pooled = Double(x1 + x2) / Double(n1 + n2)
        let standardError = (pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))).squareRoot()
        guard standardError > 0 else { return 1 }
        let z = abs(p1 - p2) / standardError
        // Two-sided: P(|Z| ≥ z) = erfc(z / √2).
        return erfc(z / 2.squareRoot())
    }
}
