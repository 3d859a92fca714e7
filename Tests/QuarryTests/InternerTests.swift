import Testing
@_spi(Core) @testable import Quarry

@Suite("Interner")
struct InternerTests {
    @Test("equal text gets an equal id; ids are dense and round-trip")
    func equalTextEqualId() throws {
        let interner = try Interner()
        let words = ["Ivan", "Petr", "", "Ivan", "ünïcødé ✓", "person/name", "Petr"]
        let ids = try words.map { try interner.intern($0) }
        #expect(ids == [0, 1, 2, 0, 3, 4, 1])
        #expect(interner.count == 5)
        for (w, id) in zip(words, ids) { #expect(interner.string(for: id) == w) }
        #expect(interner.id(of: "Petr") == 1)
        #expect(interner.id(of: "nobody") == nil)
        #expect(interner.string(for: 99) == nil)
    }

    @Test("many strings, long strings and raw bytes survive growth")
    func growthAndLongText() throws {
        let interner = try Interner()
        let long = String(repeating: "x", count: 100_000)
        let longId = try interner.intern(long)
        for i in 0..<50_000 { #expect(try interner.intern("s\(i)") == UInt64(i + 1)) }
        #expect(interner.string(for: longId) == long)
        #expect(try interner.intern(long) == longId)
        for i in stride(from: 0, to: 50_000, by: 101) { #expect(interner.string(for: UInt64(i + 1)) == "s\(i)") }
        let raw: [UInt8] = [0, 1, 2, 0, 255]
        let rawId = try interner.intern(bytes: raw)
        #expect(interner.bytes(for: rawId) == raw)
        #expect(try interner.intern(bytes: raw) == rawId)
    }
}
