import Foundation

/// The fuzz targets, one binary: `QUARRY_FUZZ_TARGET` names the target.
///
/// Built with `-sanitize=fuzzer` (and `-D FUZZING`), libFuzzer supplies
/// `main` and calls ``fuzzOneInput(_:_:)`` for every input it makes. Built
/// plainly, the binary replays files: `quarry-fuzz TARGET FILE...` runs each
/// file through the target once, which is how a crash found by a long run
/// becomes a regression check.
enum FuzzTargets {
    static let all: [String: @Sendable (Data) -> Void] = [
        "edn": FuzzEDN.run,
        "parser": FuzzParser.run,
        "query": FuzzQuery.run,
        "transaction": FuzzTransaction.run,
        "sqlite-value": FuzzSQLiteValue.run,
        "sqlite-store": FuzzSQLiteStore.run,
        "dedup": FuzzDedup.run,
        "pull": FuzzPull.run,
    ]

    static let selected: @Sendable (Data) -> Void = {
        let name = ProcessInfo.processInfo.environment["QUARRY_FUZZ_TARGET"] ?? ""
        guard let target = all[name] else {
            FileHandle.standardError.write(Data("QUARRY_FUZZ_TARGET must be one of: \(all.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    FuzzTargets.selected(Data(bytes: start, count: count))
    return 0
}

#if !FUZZING
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        guard let name = args.first, let target = FuzzTargets.all[name] else {
            print("usage: quarry-fuzz TARGET FILE_OR_DIRECTORY... (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))")
            exit(2)
        }
        var files = 0
        for path in args.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let paths = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                : [path]
            for p in paths {
                guard let data = FileManager.default.contents(atPath: p) else { continue }
                target(data)
                files += 1
            }
        }
        print("\(name): replayed \(files) inputs")
    }
}
#endif
