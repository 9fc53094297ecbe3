import Hummingbird
import NurtureCore

import Foundation

/// The HTTP side of Nurture: for now `/healthz`, `/metrics` and the unsubscribe pages.
public enum NurtureHTTPServer {
    public static func router(store: any Store, signer: LinkSigner) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = try await store.metrics(now: Date()).prometheusText
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        UnsubscribeRoutes(store: store, signer: signer).add(to: router)
        return router
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in flight.
    public static func run(store: any Store, signer: LinkSigner, host: String, port: Int) async throws {
        let app = Application(
            router: router(store: store, signer: signer),
            configuration: .init(address: .hostname(host, port: port), serverName: "nurture"))
        try await app.runService()
    }
}
