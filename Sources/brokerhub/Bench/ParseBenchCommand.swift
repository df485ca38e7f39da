import ArgumentParser
import BrokerWire
import Foundation

/// `brokerhub bench parse`: realtime parsing throughput on one core.
struct ParseBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Records/s for KIS H0STCNT0 frames and Kiwoom 0B messages (short and broker-sized), parsed on one core."
    )

    @Option(help: "Seconds to measure each case.")
    var seconds: Double = 3

    @Option(help: "H0STCNT0 records per frame (KIS batches several under load).")
    var recordsPerFrame: Int = 4

    @Option(help: "Write the measured messages here (kis_h0stcnt0.txt, kiwoom_0b.txt, kiwoom_0b_broker_sized.txt; one a line), so a reference parser can read the very same ones (scripts/bench-compare.sh).")
    var writeMessages: String?

    @Option(help: "Write the figures as JSON to this file (records/s by case).")
    var report: String?

    func run() async throws {
        #if DEBUG
        print("warning: debug build; figures are only meaningful with `swift run -c release brokerhub bench parse`")
        #endif
        var generator = SyntheticFrames(seed: 42)
        let kisFrames = generator.kisTradeFrames(count: 2_000, recordsPerFrame: recordsPerFrame)
        let kiwoomMessages = generator.kiwoomTradeMessages(count: 2_000)
        let brokerSized = generator.kiwoomTradeMessages(count: 2_000, brokerSized: true)
        if let writeMessages {
            let directory = URL(fileURLWithPath: writeMessages)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (name, lines) in [("kis_h0stcnt0.txt", kisFrames), ("kiwoom_0b.txt", kiwoomMessages), ("kiwoom_0b_broker_sized.txt", brokerSized)] {
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent(name))
            }
        }
        let receivedAt = Date()
        var figures: [String: Double] = [:]

        let kis = try measure(seconds: seconds) {
            var records = 0
            for frame in kisFrames {
                if case .ticks(_, let ticks) = try KISRealtimeParser.parse(frame, receivedAt: receivedAt) { records += ticks.count }
            }
            return records
        }
        figures["kis_h0stcnt0"] = report("KIS H0STCNT0", kis, bytesPerPass: kisFrames.utf8Count)

        for (key, name, messages) in [("kiwoom_0b", "Kiwoom 0B", kiwoomMessages), ("kiwoom_0b_broker_sized", "Kiwoom 0B full", brokerSized)] {
            let kiwoom = try measure(seconds: seconds) {
                var records = 0
                for message in messages {
                    if case .real(let parsed, _) = try KiwoomRealtimeParser.parse(message, receivedAt: receivedAt) { records += parsed.count }
                }
                return records
            }
            figures[key] = report(name, kiwoom, bytesPerPass: messages.utf8Count)
        }
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(figures).write(to: URL(fileURLWithPath: report))
        }
    }

    struct Measurement {
        var records: Int
        var passes: Int
        var elapsed: Duration
    }

    private func measure(seconds: Double, _ pass: () throws -> Int) throws -> Measurement {
        _ = try pass() // warm-up
        let clock = ContinuousClock()
        let start = clock.now
        let budget = Duration.milliseconds(Int64(seconds * 1000))
        var records = 0, passes = 0
        while clock.now - start < budget {
            records += try pass()
            passes += 1
        }
        return Measurement(records: records, passes: passes, elapsed: clock.now - start)
    }

    /// Prints one case and returns its records/s.
    private func report(_ name: String, _ measurement: Measurement, bytesPerPass: Int) -> Double {
        let elapsed = Double(measurement.elapsed.components.seconds) + Double(measurement.elapsed.components.attoseconds) / 1e18
        let rate = Double(measurement.records) / elapsed
        let megabytes = Double(bytesPerPass * measurement.passes) / elapsed / 1_048_576
        let nanos = elapsed * 1e9 / Double(max(measurement.records, 1))
        print(String(
            format: "%@ %12.0f records/s  %7.1f MiB/s  %6.0f ns/record  (%d records in %.2f s)",
            name.padding(toLength: 16, withPad: " ", startingAt: 0) as NSString, rate, megabytes, nanos, measurement.records, elapsed
        ))
        return rate
    }
}

private extension [String] {
    var utf8Count: Int { reduce(0) { $0 + $1.utf8.count } }
}
