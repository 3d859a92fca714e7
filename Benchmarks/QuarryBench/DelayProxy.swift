#if Postgres
import NIOCore
import NIOPosix

/// A TCP proxy that holds every chunk for a one-way delay before passing it
/// on, in both directions: a network's latency where the kernel has no
/// `netem`. Bytes keep their order (both ends of a connection share one
/// event loop, and every chunk waits the same time), and a close is
/// passed on after the bytes before it.
final class DelayProxy: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let server: Channel
    /// The port it listens on, on 127.0.0.1.
    let port: Int

    /// Listens on a free port of 127.0.0.1 and forwards each connection to
    /// `target` (host, port), `oneWay` late each way.
    init(to target: (host: String, port: Int), oneWay: Duration) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let delay = TimeAmount.nanoseconds(Int64(oneWay / .nanoseconds(1)))
        let address = try SocketAddress.makeAddressResolvingHost(target.host, port: target.port)
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { inbound in
                    // The client side connects on the same loop, so both directions share it.
                    ClientBootstrap(group: inbound.eventLoop)
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .connect(to: address)
                        .flatMap { outbound in
                            outbound.pipeline.addHandler(Relay(peer: inbound, delay: delay)).flatMap {
                                inbound.pipeline.addHandler(Relay(peer: outbound, delay: delay))
                            }
                        }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        self.group = group
        port = server.localAddress?.port ?? 0
    }

    /// Stops listening and closes every connection.
    func stop() async {
        try? await server.close()
        try? await group.shutdownGracefully()
    }
}

/// Passes what one side reads to the other, `delay` later.
private final class Relay: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let peer: Channel
    let delay: TimeAmount

    init(peer: Channel, delay: TimeAmount) {
        self.peer = peer
        self.delay = delay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let chunk = unwrapInboundIn(data)
        let peer = peer
        context.eventLoop.scheduleTask(in: delay) { peer.writeAndFlush(chunk, promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let peer = peer
        context.eventLoop.scheduleTask(in: delay) { peer.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
#endif
