import Archiver
import Foundation
import Testing

/// The archiver's policy without I/O: retries, spooling, probes and acknowledgement, step by step.
@Suite("ArchiverMachine")
struct ArchiverMachineTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    var configuration: ArchiverConfiguration {
        var configuration = ArchiverConfiguration()
        configuration.attemptsBeforeSpooling = 3
        configuration.backoffBase = .seconds(1)
        configuration.backoffCap = .seconds(4)
        return configuration
    }

    @Test func aBatchIsRetriedWithBackoffThenSpooledAndAcknowledged() {
        var machine = ArchiverMachine(configuration: configuration)
        #expect(machine.batchRead(at: start, shuttingDown: false) == .write(after: .zero))
        #expect(machine.writeFailed(at: start, shuttingDown: false) == .write(after: .seconds(1)))
        #expect(machine.writeFailed(at: start, shuttingDown: false) == .write(after: .seconds(2)))
        #expect(machine.health == .up, "down only once every attempt failed")
        #expect(machine.writeFailed(at: start, shuttingDown: false) == .spool)
        #expect(machine.health == .down(failedProbes: 1, nextProbe: start.addingTimeInterval(1)))
        #expect(machine.spooled() == .acknowledge(spooled: true))
        #expect(machine.batch == .none)
    }

    @Test func aWrittenBatchIsAcknowledgedAndBringsTheDatabaseBack() {
        var machine = ArchiverMachine(configuration: configuration)
        machine.databaseFailed(at: start)
        #expect(machine.batchRead(at: start.addingTimeInterval(1), shuttingDown: false) == .write(after: .zero), "the probe is due: one attempt")
        #expect(machine.written() == .acknowledge(spooled: false))
        #expect(machine.health == .up)
    }

    @Test func whileDownBatchesAreSpooledAtOnceAndProbesBackOffToTheCap() {
        var machine = ArchiverMachine(configuration: configuration)
        machine.databaseFailed(at: start)  // e.g. the schema could not be prepared
        var now = start
        for (index, backoff) in [1.0, 2, 4, 4].enumerated() {
            #expect(!machine.databaseDue(at: now.addingTimeInterval(backoff - 0.001)))
            #expect(machine.batchRead(at: now.addingTimeInterval(backoff / 2), shuttingDown: false) == .spool, "probe \(index) not due: no attempt")
            #expect(machine.spooled() == .acknowledge(spooled: true))
            now = now.addingTimeInterval(backoff)
            #expect(machine.databaseDue(at: now))
            #expect(machine.batchRead(at: now, shuttingDown: false) == .write(after: .zero))
            #expect(machine.writeFailed(at: now, shuttingDown: false) == .spool, "one attempt while down")
            #expect(machine.spooled() == .acknowledge(spooled: true))
        }
        #expect(machine.health == .down(failedProbes: 5, nextProbe: now.addingTimeInterval(4)))
    }

    @Test func aFailedSpoolWriteTriesTheDatabaseAgainAfterABackoff() {
        var machine = ArchiverMachine(configuration: configuration)
        machine.databaseFailed(at: start)
        #expect(machine.batchRead(at: start, shuttingDown: false) == .spool)
        #expect(machine.spoolFailed(shuttingDown: false) == .write(after: .seconds(1)))
        #expect(machine.writeFailed(at: start, shuttingDown: false) == .spool)
        #expect(machine.spoolFailed(shuttingDown: false) == .write(after: .seconds(2)))
        #expect(machine.written() == .acknowledge(spooled: false), "the database took it after all")
        #expect(machine.health == .up)
    }

    @Test func shuttingDownOneAttemptAndAFailingSpoolLeavesTheBatchUnacknowledged() {
        var machine = ArchiverMachine(configuration: configuration)
        #expect(machine.batchRead(at: start, shuttingDown: true) == .write(after: .zero))
        #expect(machine.writeFailed(at: start, shuttingDown: true) == .spool)
        #expect(machine.spoolFailed(shuttingDown: true) == .abandon)
        #expect(machine.batch == .none)
    }

    @Test func aReplayThatWritesEverythingMarksTheDatabaseUp() {
        var machine = ArchiverMachine(configuration: configuration)
        machine.databaseFailed(at: start)
        machine.databaseFailed(at: start.addingTimeInterval(1))
        #expect(machine.health == .down(failedProbes: 2, nextProbe: start.addingTimeInterval(3)))
        machine.databaseAnswered()
        #expect(machine.health == .up)
        #expect(machine.databaseDue(at: start))
    }
}
