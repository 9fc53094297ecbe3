import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of `serve`: Hummingbird's basics plus the peer's address, which
/// tracking stores beside each open and click.
public struct NurtureRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's address: the peer, or, when the peer is a proxy on this machine, the
    /// last hop it names in `X-Forwarded-For` (the one it saw; earlier hops are the
    /// client's word).
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    func clientIP(_ request: Request) -> String? {
        Self.clientIP(peer: remoteAddress?.ipAddress, forwardedFor: request.headers[Self.forwardedFor])
    }

    static func clientIP(peer: String?, forwardedFor: String?) -> String? {
        if let peer, peer == "127.0.0.1" || peer == "::1",
            let forwarded = forwardedFor,
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return String(last.prefix(64))
        }
        return peer
    }
}
