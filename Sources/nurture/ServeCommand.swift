import ArgumentParser
import Foundation
import NurtureServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer the links in sent mail: unsubscribe pages and one-click unsubscribes.",
        discussion: """
            In this version: GET /healthz, GET /u/TOKEN (a confirmation page that changes nothing)
            and POST /u/TOKEN (unsubscribes at once, RFC 8058). Tracking, the capture form,
            previews and reports are not here yet. Links are signed with NURTURE_SECRET (or a
            secret generated on first use and kept in the store); NURTURE_SECRET_PREVIOUS keeps
            the links of the previous secret working during a rotation. Stops on SIGTERM/SIGINT.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on.") var port = 8080

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
    }

    func run() async throws {
        let project = try Project(options: global)
        let store = try project.openStore()
        let signer = try await project.linkSigner(store: store)
        Terminal.writeError("serving on http://\(host):\(port) (links point at \(project.baseURL))\n")
        try await NurtureHTTPServer.run(store: store, signer: signer, host: host, port: port)
    }
}
