import BrokerCore
import Foundation

/// How one `SessionRunner` connects, ticks, reconnects and watches (the same for every broker).
struct SessionSettings: Sendable {
    var url: String
    var tickInterval: Duration = .milliseconds(250)
    var shutdownAckWait: Duration = .seconds(2)
    /// Reading goes on this long after the last unsubscribe ack, for frames the broker sent before it.
    var shutdownLinger: Duration = .milliseconds(250)
    var reconnect = ReconnectPolicy.Configuration()
    var watchdog = RealtimeWatchdog.Thresholds()
    var marketOpen: @Sendable (Date) -> Bool
}
