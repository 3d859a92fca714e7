import Foundation

/// Where the tests' files go: one folder per test process, removed when the
/// process exits. A SQLite store leaves its side files (`-wal`, `-shm`)
/// behind when it is deleted before its last connection closes, and a test
/// cannot always know when that is (a materializer or a shared source may
/// hold it): removing the whole folder at exit leaves nothing in the
/// system's temporary folder, whichever test made a file and however it ended.
enum TemporaryFiles {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("quarry-tests-\(getpid())-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TemporaryFiles.folder) }
        return url
    }()

    /// A fresh path in the folder: `prefix`, a unique part, then `suffix`.
    static func path(_ prefix: String, suffix: String = ".sqlite") -> String {
        folder.appendingPathComponent("\(prefix)-\(UUID().uuidString)\(suffix)").path
    }
}
