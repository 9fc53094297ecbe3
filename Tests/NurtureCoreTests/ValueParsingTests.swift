import NurtureCore
import Testing

@Suite struct DripDurationTests {
    @Test(arguments: [
        ("0m", DripDuration()), ("30m", DripDuration(minutes: 30)), ("12h", DripDuration(minutes: 720)),
        ("2d", DripDuration(days: 2)), ("1w", DripDuration(days: 7)), ("1d12h", DripDuration(minutes: 720, days: 1)),
        ("-3d", DripDuration(days: -3)),
    ])
    func parses(_ text: String, _ expected: DripDuration) throws {
        #expect(try DripDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "2", "d", "2 days", "2x", "1.5h", "--1d", "-", "h2"])
    func rejects(_ text: String) {
        #expect(throws: DripDuration.ParseError.self) { try DripDuration.parse(text) }
    }

    @Test func rejectsAbsurdLengths() {
        #expect(throws: DripDuration.ParseError.tooLarge) { try DripDuration.parse("99999w") }
    }

    @Test func describesItselfAsWritten() throws {
        for text in ["0m", "30m", "2h", "1d12h", "1w", "-3d"] {
            #expect(try DripDuration.parse(text).description == text)
        }
    }
}

@Suite struct EmailAddressTests {
    @Test(arguments: ["ada@acme.example", "a.b+tag@sub.example.co.uk", "O'Brien@example.ie", "x_y-z@a-b.io"])
    func accepts(_ text: String) throws {
        #expect(try EmailAddress(text).address == text)
    }

    @Test(arguments: [
        ("", EmailAddress.Problem.empty), ("ada", .missingAt), ("a@b@c.example", .missingAt),
        ("@acme.example", .badLocalPart),
        ("a..b@acme.example", .badLocalPart), ("a b@acme.example", .badLocalPart), ("ada@localhost", .badDomain),
        ("ada@-acme.example", .badDomain), ("ada@acme..example", .badDomain), ("zoë@acme.example", .nonASCII),
        ("ada@acme.example\r\nDATA", .badDomain), ("a@b.example\r\nRCPT TO:<x@y.example>", .missingAt),
        (".ada@acme.example", .badLocalPart), ("ada.@acme.example", .badLocalPart), ("ada@acme.example.", .badDomain),
        ("ada@acme-.example", .badDomain), ("ada@acme.123", .badDomain),
        ("ada@\(String(repeating: "a", count: 64)).example", .badDomain),
        ("\(String(repeating: "a", count: 65))@acme.example", .tooLong),
        ("a@\(String(repeating: "b", count: 250)).example", .tooLong),
        ("ada@acme_x.example", .badDomain), ("a(b)@acme.example", .badLocalPart),
    ])
    func rejects(_ text: String, _ problem: EmailAddress.Problem) {
        #expect(throws: problem) { try EmailAddress(text) }
    }

    @Test func comparesCaseInsensitively() throws {
        #expect(try EmailAddress("Ada@Acme.Example").normalized == EmailAddress("ada@acme.example").normalized)
    }

    @Test func mailboxForms() throws {
        let named = try Mailbox(parsing: "Ada from Acme <ada@acme.example>")
        #expect(named.displayName == "Ada from Acme")
        let quoted = try Mailbox(parsing: "\"Acme, Inc.\" <news@acme.example>")
        #expect(quoted.displayName == "Acme, Inc.")
        #expect(try Mailbox(parsing: "ada@acme.example").displayName == nil)
        #expect(throws: Mailbox.Problem.controlCharacter) {
            try Mailbox(parsing: "Eve\r\nBcc: victim@example.org <eve@example.org>")
        }
        #expect(throws: Mailbox.Problem.unbalancedBrackets) { try Mailbox(parsing: "Ada <ada@acme.example") }
    }
}

@Suite struct SuggestionTests {
    @Test func suggestsCloseWordsOnly() {
        #expect(Suggestion.closest(to: "subjct", among: ["subject", "template"]) == "subject")
        #expect(Suggestion.closest(to: "tempalte", among: ["subject", "template"]) == "template")
        #expect(Suggestion.closest(to: "colour", among: ["subject", "template"]) == nil)
    }
}
