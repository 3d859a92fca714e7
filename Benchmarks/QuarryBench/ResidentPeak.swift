import Foundation

/// The process's resident-set high-water mark (Linux `VmHWM`), which can be
/// reset so that each measurement gets its own peak.
enum ResidentPeak {
    /// Starts a new high-water mark at the current resident size.
    static func reset() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// The peak resident bytes since the last reset, if the system says.
    static func bytes() -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = UInt64(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kib * 1024
    }
}
