import Quarry
import Testing

/// Positions the EDN reader records: line and column in characters.
@Suite struct EDNReaderTests {
    @Test func formsOnOneLongLineKeepTheirColumns() throws {
        // Many forms on one line, a multi-byte character among them: the
        // column of each is counted from the last, not the line's start.
        let items = (0..<500).map { "{:k \($0)}" }
        let text = "[" + items.joined(separator: " ") + " \"é\" :after]\n  :next"
        let forms = try EDNReader.readAll(text)
        #expect(forms.count == 2)
        let vector = try #require(forms[0].sequence)
        var column = 2
        for (i, form) in vector.prefix(500).enumerated() {
            #expect(form.position == SourcePosition(line: 1, column: column), "form \(i)")
            column += items[i].count + 1
        }
        #expect(vector[500].position == SourcePosition(line: 1, column: column))
        // The string is 3 characters ("é" one of them) but 4 bytes.
        #expect(vector[501].position == SourcePosition(line: 1, column: column + 4))
        #expect(forms[1].position == SourcePosition(line: 2, column: 3))
    }

    @Test func numbersReadAsIntegersOrDoubles() throws {
        let read = { (text: String) in try EDNReader.readOne(text).form }
        #expect(try read("42") == .int(42))
        #expect(try read("-7") == .int(-7))
        #expect(try read("+3") == .int(3))
        #expect(try read("42N") == .int(42))
        #expect(try read("1.5") == .double(1.5))
        #expect(try read("1.5M") == .double(1.5))
        #expect(try read("-2e3") == .double(-2000))
        #expect(try read("7M") == .int(7))
        for (text, message) in [("9223372036854775808", "integer 9223372036854775808 is out of the 64-bit range"),
                                ("99999999999999999999N", "is out of the 64-bit range"),
                                ("0x10", "malformed number 0x10"), ("1nan", "malformed number 1nan"),
                                ("1inf", "malformed number 1inf"), ("12abc", "malformed number 12abc")] {
            #expect { try EDNReader.readOne(text) } throws: { "\($0)".contains(message) }
        }
    }

    @Test func anErrorFarAlongALineNamesItsColumn() throws {
        let text = "[" + String(repeating: ":a ", count: 1000) + "#inst 5]"
        #expect { try EDNReader.readAll(text) } throws: { error in
            (error as? EDNError)?.position == SourcePosition(line: 1, column: 3008)
        }
    }
}
