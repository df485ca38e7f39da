import ArgumentParser
import BrokerWire
import Foundation

/// `brokerhub bench parse`: realtime parsing throughput on one core.
struct ParseBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Records/s for KIS H0STCNT0 frames and Kiwoom 0B messages, parsed on one core."
    )

    @Option(help: "Seconds to measure each case.")
    var seconds: Double = 3

    @Option(help: "H0STCNT0 records per frame (KIS batches several under load).")
    var recordsPerFrame: Int = 4

    func run() async throws {
        #if DEBUG
        print("warning: debug build; figures are only meaningful with `swift run -c release brokerhub bench parse`")
        #endif
        var generator = SyntheticFrames(seed: 42)
        let kisFrames = generator.kisTradeFrames(count: 2_000, recordsPerFrame: recordsPerFrame)
        let kiwoomMessages = generator.kiwoomTradeMessages(count: 2_000)
        let receivedAt = Date()

        let kisBytes = kisFrames.reduce(0) { $0 + $1.utf8.count }
        let kis = try measure(seconds: seconds) {
            var records = 0
            for frame in kisFrames {
                if case .ticks(_, let ticks) = try KISRealtimeParser.parse(frame, receivedAt: receivedAt) { records += ticks.count }
            }
            return records
        }
        report("KIS H0STCNT0", kis, bytesPerPass: kisBytes, recordsPerPass: kisFrames.count * recordsPerFrame)

        let kiwoomBytes = kiwoomMessages.reduce(0) { $0 + $1.utf8.count }
        let kiwoom = try measure(seconds: seconds) {
            var records = 0
            for message in kiwoomMessages {
                if case .real(let parsed, _) = try KiwoomRealtimeParser.parse(message, receivedAt: receivedAt) { records += parsed.count }
            }
            return records
        }
        report("Kiwoom 0B", kiwoom, bytesPerPass: kiwoomBytes, recordsPerPass: kiwoomMessages.count)
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

    private func report(_ name: String, _ measurement: Measurement, bytesPerPass: Int, recordsPerPass: Int) {
        let elapsed = Double(measurement.elapsed.components.seconds) + Double(measurement.elapsed.components.attoseconds) / 1e18
        let rate = Double(measurement.records) / elapsed
        let megabytes = Double(bytesPerPass * measurement.passes) / elapsed / 1_048_576
        let nanos = elapsed * 1e9 / Double(max(measurement.records, 1))
        print(String(
            format: "%-14@ %12.0f records/s  %7.1f MiB/s  %6.0f ns/record  (%d records in %.2f s)",
            name as NSString, rate, megabytes, nanos, measurement.records, elapsed
        ))
    }
}
