import Foundation
import NurtureCore
import NurtureTestSupport
import Testing

@Suite struct LinkRewriterTests {
    let links = TrackingLinks(baseURL: "https://t.acme.example/", signer: LinkSigner(secret: "s"))
    var rewriter: LinkRewriter { LinkRewriter(links: links) }

    /// The click targets in `text`, decoded from their tokens, in order.
    func targets(_ text: String) -> [TrackedLink] {
        text.components(separatedBy: "https://t.acme.example/c/").dropFirst().compactMap { rest in
            // A token ends where base64url and its one dot end; a full stop after it is prose.
            var token = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
            while token.hasSuffix(".") { token.removeLast() }
            return links.click(token: token)
        }
    }

    @Test func wrapsWebLinksAndLeavesTheRestAlone() {
        let html = """
            <html><body class="x"><p><a href="https://acme.example/pricing?plan=pro&amp;ref=mail#top">Pricing</a>
            <A class=btn HREF='http://acme.example/a'>A</A> <a href=https://acme.example/bare>bare</a>
            <a href="mailto:help@acme.example">mail</a> <a href="tel:+4930123">call</a> <a href="#section">anchor</a>
            <a href="https://t.acme.example/u/TOKEN">unsubscribe</a> <a name="x">no href</a></p></body></html>
            """
        let out = rewriter.rewriteHTML(html, messageRow: 7)
        let clicks = targets(out)
        #expect(
            clicks == [
                .decoy(messageRow: 7),
                .click(messageRow: 7, link: 0, url: "https://acme.example/pricing?plan=pro&ref=mail#top"),
                .click(messageRow: 7, link: 1, url: "http://acme.example/a"),
                .click(messageRow: 7, link: 2, url: "https://acme.example/bare"),
            ])
        #expect(out.contains("href=\"mailto:help@acme.example\""))
        #expect(out.contains("href=\"tel:+4930123\""))
        #expect(out.contains("href=\"#section\""))
        #expect(out.contains("href=\"https://t.acme.example/u/TOKEN\""), "links to serve itself stay as they are")
        #expect(!out.contains("acme.example/pricing"), "the original URL only lives inside the signed token")
    }

    @Test func addsPixelBeforeBodyEndAndDecoyFirst() throws {
        let out = rewriter.rewriteHTML("<html><body><p>Hi</p></body></html>", messageRow: 3)
        let pixel = try #require(out.range(of: "<img src=\"https://t.acme.example/o/"))
        let bodyEnd = try #require(out.range(of: "</body>"))
        #expect(pixel.lowerBound < bodyEnd.lowerBound)
        #expect(out.hasPrefix("<html><body><a href=\"https://t.acme.example/c/"), "the decoy opens the body")
        #expect(out.contains("display:none"))
        let token = String(out[pixel.upperBound...].prefix { $0 != "\"" })
        #expect(links.open(token: token) == .open(messageRow: 3))
        // Without <body>, both still go in.
        let fragment = rewriter.rewriteHTML("<p>Hi</p>", messageRow: 3)
        #expect(fragment.hasPrefix("<a href=") && fragment.contains("<img src="))
    }

    @Test func neutralisesScriptLinksFromVariables() {
        let out = rewriter.rewriteHTML(
            "<a href=\" JaVaScript:alert(1)\">x</a><a href='data:text/html,x'>y</a>", messageRow: 1)
        #expect(!out.lowercased().contains("javascript:"))
        #expect(!out.contains("data:text"))
        #expect(out.contains("href=\"#\"") && out.contains("href='#'"))
    }

    @Test func wrapsTextLinksWithoutTheirPunctuation() {
        let text =
            "See https://acme.example/docs. Or (https://en.wikipedia.org/wiki/Drip_(marketing)), or <http://acme.example/x>!\nhttps://t.acme.example/u/T stays; mailto:a@b.c stays."
        let out = rewriter.rewriteText(text, messageRow: 9)
        #expect(
            targets(out).map { if case .click(_, _, let url) = $0 { url } else { "" } } == [
                "https://acme.example/docs", "https://en.wikipedia.org/wiki/Drip_(marketing)", "http://acme.example/x",
            ])
        #expect(out.contains(". Or ("), "the full stop stays outside")
        #expect(
            out.contains("), or <") && !out.contains(")), or <"),
            "the closing bracket the URL did not open stays outside")
        #expect(out.contains(">!\n"))
        #expect(out.contains("https://t.acme.example/u/T stays"))
    }

    @Test func tamperedOrForeignTokensAreRefused() throws {
        let url = links.clickURL(messageRow: 5, link: 0, url: "https://acme.example/")
        let token = String(url.dropFirst("https://t.acme.example/c/".count))
        #expect(links.click(token: token) == .click(messageRow: 5, link: 0, url: "https://acme.example/"))
        let other = TrackingLinks(baseURL: "https://t.acme.example", signer: LinkSigner(secret: "other"))
        let forged = other.clickURL(messageRow: 5, link: 0, url: "https://evil.example/").dropFirst(
            "https://t.acme.example/c/".count)
        #expect(links.click(token: String(forged)) == nil)
        #expect(links.click(token: String(token.dropLast())) == nil)
        #expect(links.click(token: String(repeating: "A", count: 10_000)) == nil)
        #expect(links.open(token: token) == nil, "a click token is not an open token")
        // A token signed with a javascript: URL (impossible from the rewriter) still never redirects.
        let signer = LinkSigner(secret: "s")
        #expect(links.click(token: signer.token(purpose: "c", payload: "5.0.javascript:alert(1)")) == nil)
    }
}

@Suite struct ActivityClassifierTests {
    let classifier = ActivityClassifier(machineWindow: 2)
    let delivered = Date(timeIntervalSince1970: 1_000_000)
    var message: TrackedMessage { TrackedMessage(row: 1, deliveredAt: delivered) }
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

    func verdict(
        after seconds: TimeInterval, agent: String?,
        link: TrackedLink = .click(messageRow: 1, link: 0, url: "https://a.example"),
        head: Bool = false, purpose: String? = nil, decoy: Bool = false
    ) -> ActivityClass {
        let request = TrackingRequest(
            link: link, at: delivered.addingTimeInterval(seconds), isHead: head, userAgent: agent, ip: "192.0.2.1",
            purpose: purpose)
        return classifier.classify(request, message: message, decoyFollowed: decoy).activityClass
    }

    @Test func aPersonLaterIsHuman() {
        #expect(verdict(after: 60, agent: firefox) == .human)
        #expect(verdict(after: 2.0, agent: firefox) == .human, "the window is [0, 2) seconds")
    }

    @Test func machineSignals() {
        #expect(verdict(after: 1.5, agent: firefox) == .machine, "within 2 s of delivery")
        #expect(verdict(after: -30, agent: firefox) == .machine, "before delivery was recorded")
        #expect(verdict(after: 60, agent: firefox, head: true) == .machine)
        #expect(verdict(after: 60, agent: firefox, purpose: "prefetch") == .machine)
        #expect(verdict(after: 60, agent: firefox, decoy: true) == .machine)
        #expect(verdict(after: 60, agent: firefox, link: .decoy(messageRow: 1)) == .machine)
        #expect(verdict(after: 60, agent: "Mozilla/5.0 (compatible; Barracuda Sentinel)") == .machine)
        #expect(verdict(after: 60, agent: "python-requests/2.31") == .machine)
        #expect(
            verdict(after: 60, agent: "Mozilla/5.0", link: .open(messageRow: 1)) == .machine,
            "Apple Mail Privacy Protection")
    }

    @Test func proxiesThatFetchForReadersAreHuman() {
        #expect(
            verdict(
                after: 60,
                agent: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
                link: .open(messageRow: 1)) == .human)
    }

    /// The one-pass search finds every listed name wherever it stands, and reports the
    /// first in the list's order when several occur.
    @Test func everyMachineNameIsFoundAndTheListsOrderDecides() {
        for name in ActivityClassifier.machineAgents {
            for agent in ["\(name)", "Mozilla/5.0 \(name.uppercased())", "\(name)/1.0 (x)", "x\(name)"] {
                let request = TrackingRequest(
                    link: .click(messageRow: 1, link: 0, url: "https://a.example"),
                    at: delivered.addingTimeInterval(60), userAgent: agent)
                let verdict = classifier.classify(request, message: message)
                #expect(verdict.activityClass == .machine, "\(agent)")
            }
        }
        let index = NameIndex(["spider", "bot", "b"])
        #expect(
            index.firstMatch(in: Array("a robot spider".utf8)) == 0,
            "spider comes first in the list, though later in the text")
        #expect(index.firstMatch(in: Array("robot".utf8)) == 1)
        #expect(index.firstMatch(in: Array("ab".utf8)) == 2, "a name at the very end")
        #expect(index.firstMatch(in: Array("bo".utf8)) == 2 && index.firstMatch(in: Array("xyz".utf8)) == nil)
        #expect(NameIndex([]).firstMatch(in: Array("bot".utf8)) == nil && index.firstMatch(in: []) == nil)
    }

    @Test func noUserAgentIsUnknown() {
        #expect(verdict(after: 60, agent: nil) == .unknown)
        #expect(verdict(after: 60, agent: "  ") == .unknown)
    }
}

/// The decoy rule both stores apply.
@Suite struct TrackingOutcomeTests {
    let t0 = Date(timeIntervalSince1970: 1_900_000_000)

    @Test func aDecoyHitUnmasksItsAddressesClicksWithinReach() throws {
        let hit = TrackingRequest(link: .decoy(messageRow: 9), at: t0.addingTimeInterval(10), ip: "a")
        let window = try #require(TrackingOutcome(storing: hit, reach: 30).unmask)
        #expect(window.ip == "a")
        #expect(
            window.fromMilliseconds == t0.addingTimeInterval(-20).epochMilliseconds,
            "a scanner may click a little before the decoy")
        #expect(window.toMilliseconds == t0.addingTimeInterval(40).epochMilliseconds)
        #expect(
            TrackingOutcome(storing: TrackingRequest(link: .decoy(messageRow: 9), at: t0, ip: nil), reach: 30).unmask
                == nil, "no address, nothing to tie")
        #expect(
            TrackingOutcome(storing: TrackingRequest(link: .open(messageRow: 9), at: t0, ip: "a"), reach: 30).unmask
                == nil)
        let click = TrackingRequest(link: .click(messageRow: 9, link: 0, url: "https://x.example"), at: t0, ip: "a")
        #expect(TrackingOutcome(storing: click, reach: 30).unmask == nil)
    }
}
