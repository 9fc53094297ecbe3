import Foundation
import NurtureTestSupport
import Testing

/// Issue 37.3: the bounce reader against a reference on real mail. The corpus is GNU
/// Mailman's (flufl.bounce's test data from PyPI: 117 bounces written by qmail, Postfix,
/// Exim, Sendmail, Exchange, GroupWise, Yahoo, SMTP32 and many more); the reference is
/// sisimai (Debian's libsisimai-perl), whose verdict per recipient (hard, soft, a
/// complaint, or none) ours must match for at least 95% of the recipients it finds. Both
/// come from scripts/install-deps.sh (sisimai) and scripts/test.sh (the corpus).
@Suite struct BounceCorpusTests {
    static let corpus = Repository.root.appendingPathComponent(".build/bounce-corpus/flufl_bounce-6.0.0/tests/data")

    @Test func agreesWithSisimaiOnRealBounceMail() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path)
            .filter { $0.hasSuffix(".txt") }.sorted()
        try #require(files.count > 100, "run scripts/test.sh: the corpus is missing from \(Self.corpus.path)")
        let paths = files.map { Self.corpus.appendingPathComponent($0).path }

        let reference = try await ExternalTool.run(
            "/usr/bin/perl", [Repository.root.appendingPathComponent("Tests/Fixtures/sisimai_verdicts.pl").path] + paths
        )
        try #require(reference.status == 0, "\(reference.stderr)")
        var expected: [String: [String: String]] = [:]
        for line in reference.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 else { continue }
            expected[URL(fileURLWithPath: fields[0]).lastPathComponent, default: [:]][fields[1]] = fields[3]
        }

        // One run over every file: none may stop it.
        let ours = try await ExternalTool.run(
            NurtureBinary.url.path, ["inbound", "--classify", "--format", "tsv"] + paths)
        #expect(ours.status == 0, "\(ours.stderr)")
        var read: [String: [String: String]] = [:]
        for line in ours.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 4 else { continue }
            let verdict = ["bounce", "complaint"].contains(fields[1]) ? fields[3] : "-"
            read[URL(fileURLWithPath: fields[0]).lastPathComponent, default: [:]][fields[2]] = verdict
        }
        #expect(Set(read.keys) == Set(files), "every file is read and answered: \(Set(files).subtracting(read.keys))")

        var agreed = 0
        var total = 0
        var differences: [String] = []
        for (file, recipients) in expected.sorted(by: { $0.key < $1.key }) {
            for (recipient, verdict) in recipients.sorted(by: { $0.key < $1.key }) {
                total += 1
                let ourVerdict = read[file]?[recipient] ?? (verdict == "-" ? "-" : "not found")
                if ourVerdict == verdict {
                    agreed += 1
                } else {
                    differences.append("\(file) \(recipient): sisimai \(verdict), ours \(ourVerdict)")
                }
            }
        }
        try #require(total > 100, "sisimai found too few recipients: \(total)")
        let agreement = Double(agreed) / Double(total)
        print(
            "bounce corpus: \(agreed) of \(total) recipients as sisimai reads them (\(String(format: "%.1f", agreement * 100))%)"
        )
        #expect(agreement >= 0.95, "\(agreed) of \(total):\n\(differences.joined(separator: "\n"))")
    }
}
