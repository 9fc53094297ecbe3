import HTTPTypes
import HummingbirdCore
import NIOCore
import NurtureCore

/// Answers opens and clicks on a connection straight from its bytes, first in the
/// pipeline: a request the reader's mail client or browser sends as the plain case
/// (`PlainTrackingRequest`) is recorded and answered without the HTTP parser, the
/// header conversions and the response encoder, which cost more than the rest of a
/// redirect together.
///
/// The first request that is not the plain case, with the bytes after it, goes to the
/// HTTP stack, and so does everything after it on that connection: from then on the
/// connection is Hummingbird's (with `TrackingFastPath` still answering plain tracking
/// requests at the HTTP level), so answers always keep the requests' order. Until then
/// this handler keeps the connection's idle timeout and graceful shutdown itself, as
/// Hummingbird's `HTTPConnectionStateHandler` would (it joins the pipeline at the
/// hand-over: before it, it would see no requests and close a busy connection as idle).
final class TrackingWirePath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = Any
    typealias OutboundOut = ByteBuffer

    private let tracking: TrackingRoutes
    private let batchers: TrackingBatchers
    /// This connection's loop's batcher, looked up once (`handlerAdded`).
    private var batcher: TrackingBatcher?
    private let dates: HTTPDateCache
    private let serverName: String
    private let idleTimeout: TimeAmount
    /// Adds the HTTP stack's connection-state handler, at the hand-over.
    private let handOver: (ChannelHandlerContext) throws -> Void

    private enum State {
        /// Reading requests from the bytes.
        case reading
        /// Recording one: what arrives meanwhile waits in `pending`.
        case answering
        /// The HTTP stack's connection from here on.
        case handedOver
    }

    private var state = State.reading
    /// Bytes read and not yet answered: the start of the next request, or more.
    private var pending: ByteBuffer?
    /// Events that came while answering (the client closing its side): the HTTP stack's
    /// after the answer.
    private var heldInbound = HeldInbound()
    private var closeWhenAnswered = false
    /// Within a read (between `channelRead` and `channelReadComplete`).
    private var inRead = false
    private var lastActive = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?

    init(
        tracking: TrackingRoutes, batchers: TrackingBatchers, dates: HTTPDateCache, serverName: String,
        idleTimeout: TimeAmount,
        handOver: @escaping (ChannelHandlerContext) throws -> Void
    ) {
        self.tracking = tracking
        self.batchers = batchers
        self.dates = dates
        self.serverName = serverName
        self.idleTimeout = idleTimeout
        self.handOver = handOver
    }

    func handlerAdded(context: ChannelHandlerContext) {
        batcher = batchers.batcher(for: context.eventLoop)
        lastActive = .now()
        if context.channel.isActive { scheduleIdleCheck(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        lastActive = .now()
        scheduleIdleCheck(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .handedOver = state else {
            // Not counted as activity: a head trickling in byte by byte must still arrive
            // within the idle timeout, as the HTTP stack requires.
            inRead = true
            var bytes = unwrapInboundIn(data)
            if pending == nil { pending = bytes } else { pending!.writeBuffer(&bytes) }
            if case .reading = state { readRequests(context) }
            return
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inRead = false
        if case .handedOver = state { context.fireChannelReadComplete() }
    }

    /// Answers the plain requests at the front of `pending`, one at a time; hands the
    /// connection over at the first that is not one.
    private func readRequests(_ context: ChannelHandlerContext) {
        while case .reading = state, let bytes = pending, bytes.readableBytes > 0 {
            let reading = bytes.withUnsafeReadableBytes { PlainTrackingRequest.read($0) }
            switch reading {
            case .incomplete:
                return
            case .notPlain:
                handOverConnection(context)
                return
            case .plain(let request):
                let method: HTTPRequest.Method = request.isHead ? .head : .get
                // A bad token or the decoy is answered (and judged) by the routes.
                guard case .some(.some(let link)) = tracking.link(method: method, path: request.path),
                    link.isAnsweredHere
                else {
                    handOverConnection(context)
                    return
                }
                pending!.moveReaderIndex(forwardBy: request.length)
                if pending!.readableBytes == 0 { pending = nil }
                state = .answering
                let ip = NurtureRequestContext.clientIP(
                    peer: context.channel.remoteAddress?.ipAddress, forwardedFor: request.forwardedFor)
                let seen = TrackingRoutes.Seen(
                    isHead: request.isHead, userAgent: request.userAgent, purpose: request.purpose, ip: ip)
                (batcher ?? batchers.batcher(for: context.eventLoop)).record(link, seen: seen).assumeIsolated()
                    .whenComplete { _ in
                        self.answered(link, isHead: request.isHead, context: context)
                    }
            }
        }
    }

    /// Writes the answer of a recorded request, then reads on.
    private func answered(_ link: TrackedLink, isHead: Bool, context: ChannelHandlerContext) {
        state = .reading
        // Closed meanwhile: recorded, and nobody left to answer.
        guard context.channel.isActive else {
            pending = nil
            heldInbound.drop()
            return
        }
        let (response, body) = TrackingRoutes.answer(to: link, isHead: isHead, date: dates.now, server: serverName)
        context.writeAndFlush(
            wrapOutboundOut(Self.wireBytes(response, body: body, allocator: context.channel.allocator)), promise: nil)
        lastActive = .now()
        if closeWhenAnswered {
            context.close(promise: nil)
            return
        }
        readRequests(context)
        guard case .reading = state else { return }
        if heldInbound.hasEvents { handOverConnection(context) } else { heldInbound.release(context) }
    }

    /// From now on the connection is the HTTP stack's: the bytes not answered, then the
    /// events held, go to it.
    private func handOverConnection(_ context: ChannelHandlerContext) {
        state = .handedOver
        idleCheck?.cancel()
        idleCheck = nil
        do {
            try handOver(context)
        } catch {
            context.fireErrorCaught(error)
            return
        }
        if let bytes = pending, bytes.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(bytes))
            // Within a read, the channel's own read-complete follows.
            if !inRead { context.fireChannelReadComplete() }
        }
        pending = nil
        heldInbound.release(context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch state {
        case .handedOver:
            context.fireUserInboundEventTriggered(event)
        case .answering:
            if event is ChannelShouldQuiesceEvent { closeWhenAnswered = true } else { heldInbound.hold(event) }
        case .reading:
            // Shutting down: nothing is being answered, so the connection closes now.
            if event is ChannelShouldQuiesceEvent {
                context.close(promise: nil)
                return
            }
            heldInbound.hold(event)
            handOverConnection(context)
        }
    }

    /// Reading goes on while an answer is recorded (holding it back would cost two
    /// `epoll_ctl` calls per request); only a client that sends more than a head's worth
    /// ahead of its answers is made to wait.
    func read(context: ChannelHandlerContext) {
        if case .answering = state, (pending?.readableBytes ?? 0) >= PlainTrackingRequest.limit {
            heldInbound.readWaiting = true
            return
        }
        context.read()
    }

    /// Closes the connection once it has been idle for `idleTimeout` with no answer
    /// being recorded, as the HTTP stack does; checks again later while it is not.
    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline? = nil) {
        idleCheck?.cancel()
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline ?? lastActive + idleTimeout) {
            self.idleCheck = nil
            guard context.channel.isActive else { return }
            let idleUntil = self.lastActive + self.idleTimeout
            switch self.state {
            case .handedOver:
                return
            case .reading where NIODeadline.now() >= idleUntil:
                context.close(promise: nil)
            case .reading, .answering:
                self.scheduleIdleCheck(context, at: max(idleUntil, .now() + .seconds(1)))
            }
        }
    }

    /// An answer as HTTP/1.1 puts it on the wire: the bytes Hummingbird's encoder writes
    /// for the same response (status line, the fields in order, a blank line, the body).
    static func wireBytes(_ response: HTTPResponse, body: [UInt8]?, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 512 + (body?.count ?? 0))
        buffer.writeString("HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n")
        for field in response.headerFields {
            buffer.writeString(field.name.rawName)
            buffer.writeString(": ")
            buffer.writeString(field.value)
            buffer.writeString("\r\n")
        }
        buffer.writeString("\r\n")
        if let body { buffer.writeBytes(body) }
        return buffer
    }
}

extension TrackedLink {
    /// Opens and clicks are answered ahead of the router; the decoy goes to it, which
    /// judges who followed it.
    var isAnsweredHere: Bool {
        switch self {
        case .open, .click: true
        case .decoy: false
        }
    }
}
