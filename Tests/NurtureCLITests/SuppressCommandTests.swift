import Foundation
import NurtureTestSupport
import Testing

/// Issue 37.4 with the built binary: `nurture suppress` keeps addresses and domains from
/// ever being mailed, from the command line and from an ESP's export.
@Suite struct SuppressCommandTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-suppress")
        try project.write("templates/hello.txt.mustache", "Hello {{first_name}}\n")
        try project.write(
            "campaigns/welcome.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps: [{ id: hello, subject: Hello, template: hello }]
            """)
    }

    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url)
    }

    @Test func suppressedAddressesAndDomainsAreNeverMailed() throws {
        var csv = "email,first_name,tags\n"
        for email in ["ann@example.com", "bo@blocked.example", "cy@example.com", "dee@example.com", "eve@example.com"] {
            csv += "\(email),X,trial\n"
        }
        try project.write("leads.csv", csv)
        #expect(try nurture("leads", "import", "leads.csv").status == 0)

        let added = try nurture("suppress", "add", "@Blocked.example", "ANN@example.com", "--reason", "asked by phone")
        #expect(added.status == 0 && added.stdout.contains("suppressed 2 new of 2"), "\(added.stdout)\(added.stderr)")
        #expect(try nurture("suppress", "add", "not an address").status == 1)
        // Amazon SES's export: EmailAddress, Reason, LastUpdateTime; one row broken.
        try project.write(
            "ses.csv",
            "EmailAddress,Reason,LastUpdateTime\ncy@example.com,BOUNCE,2030-01-01\nnot-an-address,COMPLAINT,2030-01-02\n"
        )
        let imported = try nurture("suppress", "import", "ses.csv")
        #expect(
            imported.status == 0 && imported.stdout.contains("suppressed 1 new of 1")
                && imported.stdout.contains("1 rows skipped"), "\(imported.stdout)")
        #expect(imported.stderr.contains("ses.csv:3: no valid address in column 'EmailAddress'"), "\(imported.stderr)")
        try project.write("other.csv", "name,phone\nx,1\n")
        #expect(try nurture("suppress", "import", "other.csv").stderr.contains("has no column of addresses"))
        try project.write("postmark.csv", "Email,SuppressionReason\ndee@example.com,ManualSuppression\n")
        #expect(try nurture("suppress", "import", "postmark.csv").status == 0)
        #expect(try nurture("suppress", "remove", "dee@example.com").status == 0)
        #expect(try nurture("suppress", "remove", "dee@example.com").status == 1, "not on the list any more")

        let listed = try nurture("suppress", "list").stdout
        for entry in ["@blocked.example", "ann@example.com", "cy@example.com"] {
            #expect(listed.contains(entry), "\(listed)")
        }
        #expect(!listed.contains("dee@example.com") && listed.contains("asked by phone"))
        // The CRM's export says who is on the list, and by which entry (a cell starting
        // with @ gets a leading ' as every CSV cell a spreadsheet would take for a formula).
        let exported = try nurture("leads", "list", "--columns", "email,suppressed", "--format", "csv").stdout
        #expect(
            exported
                == "email,suppressed\nann@example.com,ann@example.com\nbo@blocked.example,'@blocked.example\n"
                + "cy@example.com,cy@example.com\ndee@example.com,\neve@example.com,\n", "\(exported)")

        let run = try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")
        #expect(run.status == 0 && run.stdout.contains("sent 2,"), "\(run.stdout)")
        let outbox = project.url.appendingPathComponent("outbox")
        let mailed = try FileManager.default.contentsOfDirectory(atPath: outbox.path).map {
            try String(contentsOf: outbox.appendingPathComponent($0), encoding: .utf8)
        }
        #expect(
            mailed.count == 2 && mailed.allSatisfy { $0.contains("dee@example.com") || $0.contains("eve@example.com") })
        let bo = try nurture("leads", "show", "bo@blocked.example").stdout
        #expect(
            bo.contains("suppression list (@blocked.example)")
                && bo.contains("suppressed: @blocked.example is on the suppression list"), "\(bo)")
        let eve =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("leads", "show", "eve@example.com", "--format", "json").stdout.utf8))
            as? [String: Any]
        #expect(eve?["suppressed_by"] is NSNull, "\(String(describing: eve))")
        let cy =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("leads", "show", "cy@example.com", "--format", "json").stdout.utf8))
            as? [String: Any]
        #expect(cy?["suppressed_by"] as? String == "cy@example.com")
    }
}
