import BrokerCore
import Foundation
import Realtime

/// A batch split by table, with duplicate ids inside the batch removed (first one wins).
struct ArchiveBatch: Sendable {
    struct Row<Payload: Sendable>: Sendable {
        var event: RealtimeEvent
        var payload: Payload
        var key: LedgerKey { event.archiveLedgerKey }
    }

    var ticks: [Row<Tick>] = []
    var orderBooks: [Row<OrderBook>] = []
    var alerts: [Row<RealtimeAlert>] = []

    init(_ events: [RealtimeEvent]) {
        var seen = Set<String>(minimumCapacity: events.count)
        for event in events where seen.insert(event.id).inserted {
            switch event.payload {
            case .tick(let tick): ticks.append(Row(event: event, payload: tick))
            case .orderBook(let book): orderBooks.append(Row(event: event, payload: book))
            case .alert(let alert): alerts.append(Row(event: event, payload: alert))
            }
        }
    }

    var isEmpty: Bool { ticks.isEmpty && orderBooks.isEmpty && alerts.isEmpty }
}

extension RealtimeEvent {
    /// The ledger row this event counts in: provider, channel, symbol (the alert kind for `system`); a backfilled
    /// trade counts in the backfill row beside it (`LedgerKey.backfill`), so what was recovered after the fact never
    /// hides what went missing in flight.
    public var archiveLedgerKey: LedgerKey {
        let key = LedgerKey(provider: provider.rawValue, channel: channel, symbol: symbol)
        if case .tick(let tick) = payload, tick.sourceType == .backfill { return key.backfill }
        return key
    }

    /// The time rows are partitioned by: the exchange time of ticks and books, the alert time of alerts.
    var archiveTime: Date {
        switch payload {
        case .tick(let tick): tick.time
        case .orderBook(let book): book.time
        case .alert(let alert): alert.at
        }
    }
}

extension Date {
    /// Microseconds since 1970 (what the sinks store; exact in both databases).
    var archiveMicroseconds: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The instant of an archive time in microseconds since 1970.
    init(archiveMicroseconds: Int64) { self.init(timeIntervalSince1970: Double(archiveMicroseconds) / 1_000_000) }

    /// The KST calendar day (days since 1970-01-01 KST) this instant falls on: the partition it belongs to.
    var archiveKSTDay: Int64 {
        let micros = archiveMicroseconds + 9 * 3_600 * 1_000_000
        return micros >= 0 ? micros / 86_400_000_000 : (micros - 86_399_999_999) / 86_400_000_000
    }
}

/// Civil date of a day number (days since 1970-01-01), Howard Hinnant's algorithm.
func archiveCivilDate(day: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = day + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}
