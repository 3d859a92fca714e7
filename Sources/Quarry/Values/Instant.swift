import Foundation

/// A point in time with millisecond precision, UTC, as EDN's `#inst`.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSinceEpoch: Int64

    /// The instant `millisecondsSinceEpoch` after 1970-01-01T00:00:00Z.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The instant of `date`, to the millisecond; nil when `date` is not
    /// finite or lies outside the ±292 million years that 64-bit
    /// milliseconds hold.
    public init?(_ date: Date) {
        let ms = (date.timeIntervalSince1970 * 1000).rounded(.down)
        guard let exact = Int64(exactly: ms) else { return nil }
        self.millisecondsSinceEpoch = exact
    }

    /// The current time, to the millisecond.
    public static var now: Instant { Instant(Date()) ?? Instant(millisecondsSinceEpoch: 0) }

    /// The instant as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000) }

    /// The calendar fields of this instant in UTC.
    public var fields: CivilTime { CivilTime(millisecondsSinceEpoch) }

    /// ISO-8601 with milliseconds, e.g. `2024-01-02T03:04:05.006Z`.
    public var description: String {
        let f = fields
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        let year = f.year < 0 ? "-" + pad(-f.year, 4) : pad(f.year, 4)
        return "\(year)-\(pad(f.month, 2))-\(pad(f.day, 2))T\(pad(f.hour, 2)):\(pad(f.minute, 2)):"
            + "\(pad(f.second, 2)).\(pad(f.millisecond, 3))Z"
    }

    /// Parses an RFC 3339 timestamp as EDN's `#inst` accepts it: a date
    /// alone (`2024-01-02`), or with a time, optional fractional seconds and
    /// `Z` or an offset. Fractions beyond milliseconds are truncated.
    public init?(iso8601 text: String) {
        var p = Array(text.utf8)[...]
        func digits(_ n: Int) -> Int? {
            guard p.count >= n else { return nil }
            var v = 0
            for b in p.prefix(n) {
                guard b >= 48, b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            p = p.dropFirst(n)
            return v
        }
        func take(_ c: Character) -> Bool {
            guard let b = p.first, b == c.asciiValue else { return false }
            p = p.dropFirst()
            return true
        }
        var negativeYear = false
        if take("-") { negativeYear = true }
        guard var year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2),
              (1...12).contains(month) else { return nil }
        if negativeYear { year = -year }
        guard day >= 1, day <= CivilTime.daysIn(month: month, year: year) else { return nil }
        var hour = 0, minute = 0, second = 0, millis = 0, offset = 0
        if take("T") || take("t") || take(" ") {
            guard let h = digits(2), take(":"), let m = digits(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if take(":") {
                // 60 only as a leap second, at the end of an hour's last minute (as Clojure's reader).
                guard let s = digits(2), s < 60 || (s == 60 && m == 59) else { return nil }
                second = s
                if take(".") {
                    var scale = 100, any = false
                    while let b = p.first, b >= 48, b <= 57 {
                        millis += Int(b - 48) * scale
                        scale /= 10
                        any = true
                        p = p.dropFirst()
                    }
                    guard any else { return nil }
                }
            }
            if take("Z") || take("z") {
            } else if let sign = p.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                p = p.dropFirst()
                guard let oh = digits(2), take(":"), let om = digits(2), oh < 24, om < 60 else { return nil }
                offset = (oh * 60 + om) * (sign == UInt8(ascii: "-") ? -1 : 1)
            } else if !p.isEmpty {
                return nil
            }
        }
        guard p.isEmpty else { return nil }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset * 60)
        self.millisecondsSinceEpoch = seconds * 1000 + Int64(millis)
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }
}

/// Calendar fields of an instant in UTC (proleptic Gregorian calendar).
public struct CivilTime: Sendable, Equatable {
    /// The year.
    public var year: Int
    /// The month, 1 to 12.
    public var month: Int
    /// The day of the month, from 1.
    public var day: Int
    /// The hour, 0 to 23.
    public var hour: Int
    /// The minute, 0 to 59.
    public var minute: Int
    /// The second, 0 to 59.
    public var second: Int
    /// The millisecond, 0 to 999.
    public var millisecond: Int

    /// The fields of the instant `millisecondsSinceEpoch`.
    public init(_ millisecondsSinceEpoch: Int64) {
        let ms = millisecondsSinceEpoch
        var days = ms / 86_400_000
        var rest = ms % 86_400_000
        if rest < 0 {
            rest += 86_400_000
            days -= 1
        }
        (year, month, day) = Self.civilFromDays(Int(days))
        hour = Int(rest / 3_600_000)
        minute = Int(rest / 60_000 % 60)
        second = Int(rest / 1000 % 60)
        millisecond = Int(rest % 1000)
    }

    /// The days of `month` (1-12) in `year` of the proleptic Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
