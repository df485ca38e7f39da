import Foundation
import Realtime

/// Published (or sent) against stored, per provider, channel and symbol.
public struct LedgerReport: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var key: LedgerKey
        /// Events the source side counted (bus: published; mock check: records the mock sent).
        public var published: Int64
        public var stored: Int64
        /// Rows `brokerhub backfill` recovered after the fact: counted apart, never against `missing`.
        public var backfilled: Int64 = 0
        /// `published - stored`: positive means events are missing from storage; negative means storage holds more
        /// than the source counted (another source, or a reset bus).
        public var missing: Int64 { published - stored }
    }

    /// What the `published` column means: `published` (bus) or `sent` (mock broker).
    public var sourceLabel: String
    public var rows: [Row]

    /// `stored` may hold backfill counts (`LedgerKey.backfill`): they become the `backfilled` column of their row.
    public init(sourceLabel: String = "published", published: [LedgerKey: Int64], stored: [LedgerKey: Int64]) {
        self.sourceLabel = sourceLabel
        var realtime: [LedgerKey: Int64] = [:], backfilled: [LedgerKey: Int64] = [:]
        for (key, count) in stored {
            if let row = key.backfilledRow { backfilled[row, default: 0] += count } else { realtime[key, default: 0] += count }
        }
        rows = Set(published.keys).union(realtime.keys).union(backfilled.keys).sorted().map {
            Row(key: $0, published: published[$0] ?? 0, stored: realtime[$0] ?? 0, backfilled: backfilled[$0] ?? 0)
        }
    }

    public var totalPublished: Int64 { rows.reduce(0) { $0 + $1.published } }
    public var totalStored: Int64 { rows.reduce(0) { $0 + $1.stored } }
    public var totalBackfilled: Int64 { rows.reduce(0) { $0 + $1.backfilled } }
    /// Events missing from storage, summed over the rows that miss some (surpluses do not hide gaps).
    public var totalMissing: Int64 { rows.reduce(0) { $0 + max(0, $1.missing) } }
    /// Rows where something is missing.
    public var gaps: [Row] { rows.filter { $0.missing > 0 } }
    /// True when nothing is missing anywhere.
    public var isComplete: Bool { gaps.isEmpty }

    /// Totals per provider and channel (symbols summed; `missing` sums only the rows that miss some), in row order:
    /// what the gauges and the hub's status show.
    public struct ChannelTotal: Sendable, Hashable {
        public var provider: String
        public var channel: RealtimeChannel
        public var published: Int64 = 0
        public var stored: Int64 = 0
        public var missing: Int64 = 0
    }

    public var channelTotals: [ChannelTotal] {
        var totals: [ChannelTotal] = []
        var index: [String: Int] = [:]
        for row in rows {
            let id = "\(row.key.provider)/\(row.key.channel.rawValue)"
            let at = index[id] ?? {
                totals.append(ChannelTotal(provider: row.key.provider, channel: row.key.channel))
                index[id] = totals.count - 1
                return totals.count - 1
            }()
            totals[at].published += row.published
            totals[at].stored += row.stored
            totals[at].missing += max(0, row.missing)
        }
        return totals
    }

    /// A fixed-width text table with a total line; rows with a difference are marked.
    public func table() -> String {
        let header = ["provider", "channel", "symbol", sourceLabel, "stored", "missing", "backfilled", ""]
        var lines = rows.map { row -> [String] in
            [row.key.provider, row.key.channel.rawValue, row.key.symbol, String(row.published), String(row.stored),
             String(row.missing), String(row.backfilled), row.missing > 0 ? "<< MISSING" : row.missing < 0 ? "<< EXTRA" : ""]
        }
        lines.append(["total", "", "", String(totalPublished), String(totalStored), String(totalMissing), String(totalBackfilled),
                      isComplete ? "ok" : "GAP"])
        let all = [header] + lines
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { cells in
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return (3...6).contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    /// `{"complete":…,"published":…,"stored":…,"missing":…,"backfilled":…,"rows":[{provider,channel,symbol,published,stored,missing,backfilled}]}`
    /// (the `published` key is named after `sourceLabel`).
    public func json() -> String {
        func string(_ value: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [value], options: [])) ?? Data("[\"\"]".utf8)
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        let label = string(sourceLabel)
        let rowsJSON = rows.map { row in
            "{\"provider\":\(string(row.key.provider)),\"channel\":\(string(row.key.channel.rawValue)),\"symbol\":\(string(row.key.symbol)),"
                + "\(label):\(row.published),\"stored\":\(row.stored),\"missing\":\(row.missing),\"backfilled\":\(row.backfilled)}"
        }
        return "{\"complete\":\(isComplete),\(label):\(totalPublished),\"stored\":\(totalStored),\"missing\":\(totalMissing),"
            + "\"backfilled\":\(totalBackfilled),\"rows\":[\(rowsJSON.joined(separator: ","))]}"
    }
}
