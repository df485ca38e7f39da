import BrokerHubFuzzTargets
import Foundation

#if FUZZING
/// libFuzzer's entry point (built by `scripts/fuzz.sh` with `-sanitize=fuzzer -DFUZZING`); the target is named by
/// `BROKERHUB_FUZZ_TARGET`.
private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["BROKERHUB_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.named(name) else {
        fatalError("BROKERHUB_FUZZ_TARGET must be one of: \(FuzzTarget.all.map(\.name).joined(separator: ", "))")
    }
    return target
}()

/// One input from libFuzzer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The process entry: SwiftPM links an executable's `main` to `<module>_main`, so this runs libFuzzer's driver
/// (libFuzzer's own `main` would otherwise).
@_cdecl("brokerhub_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
/// Without the fuzzer: replays inputs (a seed corpus, a crash file) through a target.
///
///     brokerhub-fuzz list
///     brokerhub-fuzz replay TARGET PATH...   (files, or directories of files)
@main
enum FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "list":
            for target in FuzzTarget.all { print("\(target.name)\t\(target.summary)") }
        case "replay" where arguments.count >= 3:
            guard let target = FuzzTarget.named(arguments[1]) else { fail("unknown target \(arguments[1])") }
            var count = 0
            for path in arguments.dropFirst(2) {
                for file in files(at: path) {
                    guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
                    data.withUnsafeBytes { target.run($0.bindMemory(to: UInt8.self)) }
                    count += 1
                }
            }
            print("\(target.name): \(count) inputs replayed, no crash")
        default:
            fail("usage: brokerhub-fuzz list | brokerhub-fuzz replay TARGET PATH...")
        }
    }

    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { fail("no such file \(path)") }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("brokerhub-fuzz: \(message)\n".utf8))
        exit(2)
    }
}
#endif
