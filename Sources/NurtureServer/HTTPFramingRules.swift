import NIOCore
import NIOHTTP1

/// RFC 9112 rules that NIO's HTTP parser leaves to the application, applied to every
/// request right after it is parsed, before any answer path (the tracking fast path,
/// the router) sees it, so all of them answer the same:
/// - §3.2: an HTTP/1.1 request must carry exactly one Host field; one without, or with
///   several, is a 400 and the connection closes (as for a request NIO cannot parse).
/// - §9.3: an HTTP/1.0 request without `Connection: keep-alive` (or any request with
///   `Connection: close`) ends the connection once its answer is written.
final class HTTPFramingRules: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// For each request passed on and not yet answered, in order: whether its answer
    /// ends the connection.
    private var closesAfterAnswer = CircularBuffer<Bool>()
    /// A request was refused: nothing more is read from this connection.
    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .head(let head) = unwrapInboundIn(data) {
            if head.version >= .http1_1, head.headers["Host"].count != 1 {
                refused = true
                // HTTPServerProtocolErrorHandler answers a parse error with a 400 and closes.
                context.fireErrorCaught(HTTPParserError.invalidHeaderToken)
                return
            }
            closesAfterAnswer.append(!head.isKeepAlive)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data), let closes = closesAfterAnswer.popFirst(), closes else {
            context.write(data, promise: promise)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        if let promise { written.futureResult.cascade(to: promise) }
        context.writeAndFlush(data, promise: written)
    }
}

extension HTTPVersion {
    static func >= (lhs: HTTPVersion, rhs: HTTPVersion) -> Bool {
        (lhs.major, lhs.minor) >= (rhs.major, rhs.minor)
    }
}
