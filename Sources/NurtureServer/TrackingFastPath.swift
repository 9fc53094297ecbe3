import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NurtureCore

/// Answers opens and clicks on the connection's event loop, ahead of Hummingbird's
/// request machinery (a task per connection fed through an async sequence, a `Request`
/// and a `Response` per request, two thread hand-overs each way): a redirect is most of
/// `serve`'s traffic, and under load that machinery cost more than the redirect.
///
/// Only the plain case is taken: a `GET` or `HEAD` of `/o/TOKEN` or `/c/TOKEN` whose
/// token is a valid open or click, without a `Connection` header, when no request
/// handed on from this connection still awaits its answer. Everything else (a bad token,
/// the decoy, a query, a request pipelined behind another) goes on to Hummingbird,
/// which answers it through `TrackingRoutes` as it always has. Either way the request
/// is recorded before it is answered, by the same `TrackingRoutes.record`.
///
/// It sits after Hummingbird's `HTTPConnectionStateHandler`, which therefore still
/// sees every request and answer: idle timeouts and graceful shutdown count these too.
final class TrackingFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let tracking: TrackingRoutes
    private let batchers: TrackingBatchers
    private var batcher: TrackingBatcher?
    private let dates: HTTPDateCache
    private let serverName: String

    private enum State {
        case idle
        /// Passing a request on to Hummingbird, up to its end.
        case forwarding
        /// A request answered here, read up to its end.
        case reading(TrackedLink, TrackingRoutes.Seen)
        /// Recording it: what arrives meanwhile waits in `held`.
        case answering
    }

    private var state = State.idle
    /// Requests passed on whose answer Hummingbird has not written yet: while there are
    /// any, tracking requests are passed on too, so that answers keep the requests' order.
    private var forwardedUnanswered = 0
    /// Parts that arrived while an answer was being recorded, handled after it. Reading
    /// from the socket waits meanwhile (`read`), so this holds at most one read's worth.
    private var held = CircularBuffer<HTTPRequestPart>()
    /// Events that came after them (the client closing its side): passed on after them,
    /// or Hummingbird, which has nothing left to answer, would close the connection
    /// before this answer is written.
    private var heldInbound = HeldInbound()

    init(tracking: TrackingRoutes, batchers: TrackingBatchers, dates: HTTPDateCache, serverName: String) {
        self.tracking = tracking
        self.batchers = batchers
        self.dates = dates
        self.serverName = serverName
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .answering = state {
            held.append(part)
            return
        }
        handle(part, context: context)
    }

    /// Whether the part was passed on.
    @discardableResult
    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) -> Bool {
        switch (state, part) {
        case (.idle, .head(let head)):
            if forwardedUnanswered == 0, let (link, seen) = answerable(head, context: context) {
                state = .reading(link, seen)
                return false
            }
            forwardedUnanswered += 1
            state = .forwarding
        case (.forwarding, .end):
            state = .idle
        case (.reading(let link, let seen), .end):
            state = .answering
            answer(link, seen: seen, context: context)
            return false
        case (.reading, .body):
            return false  // a GET's body means nothing here
        default:
            break
        }
        context.fireChannelRead(wrapInboundOut(part))
        return true
    }

    /// The link and what the request says of itself, when it is the plain case.
    private func answerable(_ head: HTTPRequest, context: ChannelHandlerContext) -> (TrackedLink, TrackingRoutes.Seen)?
    {
        guard head.method == .get || head.method == .head, let path = head.path,
            path.utf8.allSatisfy(PlainTrackingRequest.isPathByte), head.headerFields[.connection] == nil,
            case .some(.some(let link)) = tracking.link(method: head.method, path: path), link.isAnsweredHere
        else { return nil }
        let ip = NurtureRequestContext.clientIP(
            peer: context.channel.remoteAddress?.ipAddress,
            forwardedFor: head.headerFields[NurtureRequestContext.forwardedFor])
        return (link, TrackingRoutes.Seen(isHead: head.method == .head, headers: head.headerFields, ip: ip))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        batcher = batchers.batcher(for: context.eventLoop)
    }

    /// Records the request (with the others its loop answers in this turn, off the loop,
    /// in the store), then answers it here.
    private func answer(_ link: TrackedLink, seen: TrackingRoutes.Seen, context: ChannelHandlerContext) {
        let batcher = batcher ?? batchers.batcher(for: context.eventLoop)
        batcher.record(link, seen: seen).assumeIsolated().whenComplete { _ in
            self.state = .idle
            // Closed meanwhile: recorded, and nobody left to answer.
            guard context.channel.isActive else {
                self.held.removeAll()
                self.heldInbound.drop()
                return
            }
            self.write(link, isHead: seen.isHead, context: context)
            self.handleHeld(context: context)
        }
    }

    /// The same answer, header for header, as Hummingbird writes for `TrackingRoutes`.
    private func write(_ link: TrackedLink, isHead: Bool, context: ChannelHandlerContext) {
        let (response, body) = TrackingRoutes.answer(to: link, isHead: isHead, date: dates.now, server: serverName)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if let body {
            context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Handles what arrived while recording, until it is done or another answer is
    /// being recorded; then lets reading go on.
    private func handleHeld(context: ChannelHandlerContext) {
        var passedOn = false
        while let part = held.first {
            if case .answering = state { break }
            held.removeFirst()
            if handle(part, context: context) { passedOn = true }
        }
        // Hummingbird's side delivers what it was given at the end of a read.
        if passedOn { context.fireChannelReadComplete() }
        if case .answering = state { return }
        heldInbound.release(context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .answering = state {
            heldInbound.hold(event)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        if case .answering = state {
            heldInbound.readWaiting = true
            return
        }
        context.read()
    }

    /// Counts the answers Hummingbird writes to the requests passed on to it.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { forwardedUnanswered -= 1 }
        context.write(data, promise: promise)
    }
}
