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

    @Test func anErrorFarAlongALineNamesItsColumn() throws {
        let text = "[" + String(repeating: ":a ", count: 1000) + "#inst 5]"
        #expect { try EDNReader.readAll(text) } throws: { error in
            (error as? EDNError)?.position == SourcePosition(line: 1, column: 3008)
        }
    }
}
