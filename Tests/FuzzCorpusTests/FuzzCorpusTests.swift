import BrokerHubFuzzTargets
import Foundation
import Testing

/// Every committed fuzz input (the seeds and the crashes `scripts/fuzz.sh` found, kept as regressions) runs through
/// its target on every test run: a crash or a broken invariant fails the test process.
@Suite("Fuzz corpus replay")
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/corpus").standardizedFileURL

    @Test("every target has a seed corpus and every seed passes", arguments: FuzzTarget.all.map(\.name))
    func replay(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let directory = Self.corpus.appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }
        #expect(files.count >= 5, "Fuzz/corpus/\(name) has \(files.count) seeds")
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            data.withUnsafeBytes { target.run($0.bindMemory(to: UInt8.self)) }
        }
    }

    @Test func everyCorpusDirectoryNamesATarget() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { !$0.hasPrefix(".") }
        #expect(Set(directories) == Set(FuzzTarget.all.map(\.name)))
    }
}
