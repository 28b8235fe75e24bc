import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension RESPConnection {
    /// TCP keepalive settings: `SO_KEEPALIVE`, with the probe timing where the platform lets a socket set it.
    ///
    /// With the defaults, a peer that vanished is noticed after about a minute of silence (30 s idle, then 3
    /// probes 10 s apart), and the probes keep NAT and load-balancer mappings of an idle link alive.
    package struct Keepalive: Sendable, Hashable {
        /// Silence before the first probe.
        package var idle: Duration
        /// Time between probes.
        package var interval: Duration
        /// Unanswered probes before the connection is dropped.
        package var count: Int

        /// Creates keepalive settings.
        package init(idle: Duration = .seconds(30), interval: Duration = .seconds(10), count: Int = 3) {
            self.idle = idle
            self.interval = interval
            self.count = count
        }
    }
}

extension ClientBootstrap {
    /// Turns on TCP keepalive with `settings`; nil leaves the socket as it is.
    func keepalive(_ settings: RESPConnection.Keepalive?) -> ClientBootstrap {
        guard let settings else { return self }
        let idle = Int(clamping: settings.idle.components.seconds)
        let interval = Int(clamping: settings.interval.components.seconds)
        #if canImport(Darwin)
            let idleOption = NIOBSDSocket.Option(rawValue: TCP_KEEPALIVE)
        #else
            let idleOption = NIOBSDSocket.Option(rawValue: TCP_KEEPIDLE)
        #endif
        return
            self
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(ChannelOptions.Types.SocketOption(level: .tcp, name: idleOption), value: max(1, idle))
            .channelOption(
                ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: TCP_KEEPINTVL)),
                value: max(1, interval)
            )
            .channelOption(
                ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: TCP_KEEPCNT)),
                value: max(1, settings.count))
    }
}
