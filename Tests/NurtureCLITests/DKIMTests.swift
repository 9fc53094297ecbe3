import Foundation
import NurtureTestSupport
import Testing

/// Issue 37.1 with the built binary: mail signed with an RSA and an Ed25519 key of the
/// From domain's parent, every signature verified by dkimpy (Debian's python3-dkim),
/// with the public keys taken from the key files by openssl, not by Nurture.
@Suite struct DKIMTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-dkim")
        try project.write("templates/hello.txt.mustache", "Hello {{first_name}},   here   is  the text  \n\n\n")
        try project.write(
            "templates/hello.html.mustache",
            "<p>Hello {{first_name}}, <a href=\"https://acme.example/start\">start here</a></p>\n")
        try project.write(
            "campaigns/welcome.yml",
            """
            from: "Ada Lovelace <ada@mail.acme.example>"
            reply_to: help@acme.example
            enroll: { tags: [trial] }
            steps:
              - { id: hello, subject: "Hello {{first_name}}, a subject long enough to be folded over two lines of the header", template: hello }
            """)
        try project.write(
            "nurture.yml",
            """
            base_url: https://t.acme.example
            dkim:
              - { domain: acme.example, selector: rsa1, key_file: keys/rsa.pem }
              - { domain: acme.example, selector: ed1, key_file: keys/ed.pem }

            """)
        try FileManager.default.createDirectory(
            at: project.url.appendingPathComponent("keys"), withIntermediateDirectories: true)
        _ = try ExternalTool.output(
            "/usr/bin/openssl",
            ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path("keys/rsa.pem")])
        _ = try ExternalTool.output(
            "/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", path("keys/ed.pem")])
        for key in ["keys/rsa.pem", "keys/ed.pem"] { chmod(path(key), 0o600) }
        // The DNS records, from openssl: the RSA key's SubjectPublicKeyInfo, Ed25519's raw 32 bytes.
        let rsa = try ExternalTool.output(
            "/usr/bin/openssl", ["pkey", "-in", path("keys/rsa.pem"), "-pubout", "-outform", "DER"])
        let ed = try ExternalTool.output(
            "/usr/bin/openssl", ["pkey", "-in", path("keys/ed.pem"), "-pubout", "-outform", "DER"])
        let records = [
            "rsa1._domainkey.acme.example.": "v=DKIM1; k=rsa; p=" + rsa.base64EncodedString(),
            "ed1._domainkey.acme.example.": "v=DKIM1; k=ed25519; p=" + ed.suffix(32).base64EncodedString(),
        ]
        try JSONSerialization.data(withJSONObject: records).write(
            to: project.url.appendingPathComponent("records.json"))
    }

    func path(_ relative: String) -> String { project.url.appendingPathComponent(relative).path }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// dkimpy's verdict on every signature of each file, one line each.
    func verify(_ files: [String]) throws -> [String] {
        let output = try ExternalTool.output(
            "/usr/bin/python3",
            [Repository.root.appendingPathComponent("Tests/Fixtures/dkim_verify.py").path, path("records.json")]
                + files, exitOneToo: true)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func everyMessageSentIsSignedWithBothKeysAndVerifies() async throws {
        var csv = "email,first_name,tags\n"
        for index in 0..<5 { csv += "lead\(index)@example.com,Léa \(index),trial\n" }
        try project.write("leads.csv", csv)
        #expect(try NurtureBinary.run(["leads", "import", "leads.csv"], in: project.url).status == 0)
        let smtp = try SMTPTestServer([], kind: .scripted)
        let sent = try NurtureBinary.run(
            ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url,
            environment: ["NURTURE_SMTP_URL": smtp.url])
        #expect(sent.status == 0, "\(sent.stderr)")
        let folder = smtp.folder.url.appendingPathComponent("received")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }.map
        { folder.appendingPathComponent($0).path }
        #expect(files.count == 5)
        let verdicts = try verify(files)
        #expect(verdicts.count == 10 && verdicts.allSatisfy { $0.hasPrefix("ok ") }, "\(verdicts)")
        #expect(
            verdicts.filter { $0.hasPrefix("ok rsa1 rsa-sha256 ") }.count == 5
                && verdicts.filter { $0.hasPrefix("ok ed1 ed25519-sha256 ") }.count == 5)
        let signed =
            "from:to:subject:date:message-id:mime-version:content-type:reply-to:list-id:list-unsubscribe:list-unsubscribe-post:from"
        #expect(
            verdicts.allSatisfy { $0.hasSuffix(" " + signed) },
            "h= covers the one-click unsubscribe, From over-signed: \(verdicts)")
        let message = try String(contentsOfFile: try #require(files.first), encoding: .utf8)
        #expect(message.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
        #expect(!message.contains("; l="), "no body length limit")
    }

    @Test func aPreviewShowsTheSignatureAVerifierAccepts() throws {
        let preview = try NurtureBinary.run(
            ["preview", "welcome", "hello", "--attr", "first_name=Zoë", "--format", "eml"], in: project.url)
        #expect(preview.status == 0, "\(preview.stderr)")
        try project.write("preview.eml", preview.stdout)
        #expect(try verify([path("preview.eml")]).allSatisfy { $0.hasPrefix("ok ") })
    }

    @Test func validateNamesTheCampaignsNoKeySigns() throws {
        try project.write(
            "campaigns/other.yml",
            """
            from: "Bo <bo@other.example>"
            enroll: { tags: [other] }
            steps: [{ id: hi, subject: Hi, template: hello }]
            """)
        let result = try NurtureBinary.run(["validate"], in: project.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "campaign 'other' is not DKIM-signed: no key in nurture.yml's dkim: for other.example"),
            "\(result.stderr)")
        #expect(
            !result.stderr.contains("campaign 'welcome' is not DKIM-signed"),
            "mail.acme.example is signed by acme.example's keys")
    }

    @Test func aKeyFileOthersMayReadIsRefusedWithTheFix() throws {
        chmod(path("keys/ed.pem"), 0o644)
        let result = try NurtureBinary.run(["preview", "welcome", "hello", "--format", "eml"], in: project.url)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("may be read by others")
                && result.stderr.contains("chmod 600 \(path("keys/ed.pem"))"), "\(result.stderr)")
    }
}
