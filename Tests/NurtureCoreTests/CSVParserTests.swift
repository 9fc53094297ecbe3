import NurtureCore
import Testing

@Suite struct CSVParserTests {
    func records(_ text: String, chunkSize: Int = .max) -> [CSVRecord] {
        var parser = CSVParser()
        var out: [CSVRecord] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunkSize)
            parser.feed(bytes[start..<end]) { out.append($0) }
            start = end
        }
        parser.finish { out.append($0) }
        return out
    }

    @Test func plainRowsWithLineNumbers() {
        let parsed = records("email,name\na@b.example,Ada\r\nc@d.example,Cy\n")
        #expect(parsed.map(\.fields) == [["email", "name"], ["a@b.example", "Ada"], ["c@d.example", "Cy"]])
        #expect(parsed.map(\.line) == [1, 2, 3])
        #expect(parsed.allSatisfy { $0.problem == nil })
    }

    @Test func quotedFieldsWithCommasQuotesAndLineBreaks() {
        let parsed = records("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\nlast,row")
        #expect(parsed.map(\.fields) == [["a", "b"], ["x, y", "say \"hi\""], ["two\nlines", "z"], ["last", "row"]])
        // A record is named by the line it starts on; the one after a multi-line field moves down.
        #expect(parsed.map(\.line) == [1, 2, 3, 5])
    }

    @Test func blankLinesAreSkippedButCounted() {
        let parsed = records("a\n\nb\n\n\nc")
        #expect(parsed.map(\.fields) == [["a"], ["b"], ["c"]])
        #expect(parsed.map(\.line) == [1, 3, 6])
    }

    @Test func byteOrderMarkIsDropped() {
        let parsed = records("\u{FEFF}email\nx@y.example\n")
        #expect(parsed.first?.fields == ["email"])
    }

    @Test func emptyFieldsAreKept() {
        #expect(records("a,,\"\",b\n").first?.fields == ["a", "", "", "b"])
    }

    @Test func brokenQuotingIsReportedOnItsRecord() {
        let parsed = records("a,b\nx\"y,z\nok,1\n\"never closed,2\n")
        #expect(parsed[1].problem != nil)
        #expect(parsed[2].problem == nil)
        #expect(parsed[3].problem?.hasPrefix("the quote opened on line 4 is never closed") == true)
    }

    /// Issue 11.9: the line where an unclosed quote opened is named, however far the
    /// file goes on after it.
    @Test func unclosedQuoteNamesTheLineItOpenedOn() {
        let parsed = records("email,name\na@b.example,\"Ada\nb@b.example,Bo\nc@b.example,Cy\n")
        #expect(parsed.count == 2)
        #expect(parsed[1].line == 2)
        #expect(
            parsed[1].problem?.hasPrefix("the quote opened on line 2 is never closed") == true,
            "\(parsed[1].problem ?? "")")
    }

    /// Issue 11.9: a huge cell, a huge row or thousands of columns cost bounded memory and
    /// reject only their own row.
    @Test func oversizedCellsRowsAndColumnsAreRejectedPerRow() {
        let hugeCell = String(repeating: "x", count: 200_000)
        let manyColumns = Array(repeating: "c", count: 5_000).joined(separator: ",")
        let wideRow = Array(repeating: String(repeating: "y", count: 60_000), count: 30).joined(separator: ",")
        let parsed = records(
            "email,note\na@b.example,\(hugeCell)\n\(manyColumns)\n\(wideRow)\nok@b.example,fine\n", chunkSize: 4096)
        #expect(parsed.count == 5)
        #expect(parsed[1].problem == "field 2 is longer than 65536 bytes")
        #expect(parsed[1].fields[1].utf8.count == CSVParser.maxFieldBytes)
        #expect(parsed[2].problem == "the row has more than 1000 columns")
        #expect(parsed[2].fields.count == CSVParser.maxFields)
        #expect(parsed[3].problem == "the row is longer than 1048576 bytes")
        #expect(parsed[4].problem == nil && parsed[4].fields == ["ok@b.example", "fine"])
    }

    @Test func invalidUTF8IsReported() {
        var parser = CSVParser()
        var out: [CSVRecord] = []
        parser.feed(Array("a\n".utf8) + [0xFF, 0xFE] + Array("\n".utf8)) { out.append($0) }
        parser.finish { out.append($0) }
        #expect(out[1].problem?.contains("UTF-8") == true)
    }

    /// Where the file is cut into chunks must never change what is read.
    @Test(arguments: [1, 2, 3, 7, 64])
    func chunkBoundariesDoNotMatter(chunkSize: Int) {
        let text = "\u{FEFF}email,\"note\"\r\n\"a@b.example\",\"x \"\"q\"\"\r\ny\"\r\n\r\nc@d.example,Zoë ✓\n"
        #expect(records(text, chunkSize: chunkSize) == records(text))
    }
}

@Suite struct LeadCSVMappingTests {
    @Test func mapsKnownColumnsAndKeepsTheRestAsAttributes() throws {
        let mapping = try LeadCSVMapping(
            header: ["Email", "First Name", "last_name", "timezone", "tags", "Company Size"], extraTags: ["import"])
        let result = mapping.lead(
            from: CSVRecord(
                line: 2, fields: ["Ada@Acme.example", "Ada", "", "Europe/London", "trial; vip webinar", "50"]))
        let lead = try result.get()
        #expect(lead.email.normalized == "ada@acme.example")
        #expect(lead.firstName == "Ada")
        #expect(lead.lastName == nil)
        #expect(lead.timeZone == "Europe/London")
        #expect(lead.tags == ["import", "trial", "vip", "webinar"])
        #expect(lead.attributes == ["company_size": "50"])
    }

    @Test func headerWithoutEmailIsRefused() {
        #expect(throws: LeadCSVMapping.HeaderProblem.self) { try LeadCSVMapping(header: ["name", "company"]) }
        #expect(throws: LeadCSVMapping.HeaderProblem.self) { try LeadCSVMapping(header: ["email", "Email"]) }
    }

    @Test func rowsAreRejectedWithAReason() throws {
        let mapping = try LeadCSVMapping(header: ["email", "first_name", "timezone", "tags"])
        func reason(_ fields: [String]) -> String? {
            if case .failure(let rejection) = mapping.lead(from: CSVRecord(line: 7, fields: fields)) {
                return rejection.reason
            }
            return nil
        }
        #expect(reason(["not-an-email", "", "", ""])?.hasPrefix("email 'not-an-email' is malformed") == true)
        #expect(reason(["", "Ann", "", ""]) == "email is empty")
        #expect(reason(["a@b.example", "", "Mars/Olympus", ""])?.contains("not an IANA time zone") == true)
        #expect(reason(["a@b.example", "Eve\r\nBcc: x@y.example", "", ""])?.contains("line break") == true)
        #expect(reason(["a@b.example", "", ""]) == "has 3 fields but the header has 4")
        #expect(reason(["a@b.example", "", "", "ok bad/tag"])?.contains("bad/tag") == true)
        #expect(reason(["a@b.example", "", "", ""]) == nil)
    }
}

@Suite struct CSVCellTests {
    @Test func formulasAreDefusedAndSpecialsQuoted() {
        #expect(CSVCell.escape("=HYPERLINK(\"http://evil\")") == "\"'=HYPERLINK(\"\"http://evil\"\")\"")
        #expect(CSVCell.escape("+1 555") == "'+1 555")
        #expect(CSVCell.escape("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVCell.escape("-3") == "-3")
        #expect(CSVCell.escape("a,b") == "\"a,b\"")
        #expect(CSVCell.escape("welcome") == "welcome")
    }
}

/// Issue 14.3: where a lead came from, read from a file or a form.
@Suite struct LeadSourceTests {
    @Test func utmColumnsAreTheSourceNotAttributes() throws {
        let mapping = try LeadCSVMapping(header: ["email", "UTM Source", "utm-medium", "utm_campaign", "plan"])
        let record = CSVRecord(line: 2, fields: ["a@b.example", " ads ", "cpc", "", "pro"], problem: nil)
        let lead = try mapping.lead(from: record).get()
        #expect(lead.source == LeadSource(source: "ads", medium: "cpc"))
        #expect(lead.attributes == ["plan": "pro"])
        let plain = try LeadCSVMapping(header: ["email", "source"]).lead(
            from: CSVRecord(line: 2, fields: ["a@b.example", ""], problem: nil)
        ).get()
        #expect(plain.source == nil, "an empty cell is no source")
    }

    @Test func formValuesAreCleanedAndBounded() throws {
        #expect(LeadSource(source: "  ", medium: nil, campaign: "\n") == nil)
        let source = try #require(LeadSource(source: "ads\r\nX-Evil: 1", medium: String(repeating: "m", count: 500)))
        #expect(source.source == "adsX-Evil: 1", "no line breaks reach a page or a CSV")
        #expect(source.medium?.count == LeadSource.limit)
        #expect(source.description == "adsX-Evil: 1 / \(String(repeating: "m", count: 200)) / -")
    }
}

/// Issue 14.6: attribute values are bounded; a longer one is a rejected row, by line.
@Test func anOverlongAttributeRejectsItsRow() throws {
    let mapping = try LeadCSVMapping(header: ["email", "title"])
    let long = String(repeating: "x", count: attributeValueLimit + 1)
    let rejected = mapping.lead(from: CSVRecord(line: 7, fields: ["a@b.example", long]))
    guard case .failure(let rejection) = rejected else {
        Issue.record("accepted \(rejected)")
        return
    }
    #expect(rejection.description == "line 7: title is longer than 1000 characters")
    #expect(
        (try? mapping.lead(from: CSVRecord(line: 8, fields: ["a@b.example", String(long.dropFirst())])).get())?
            .attributes["title"]?.count == attributeValueLimit)
}
