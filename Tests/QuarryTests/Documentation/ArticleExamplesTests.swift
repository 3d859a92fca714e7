import Foundation
import Quarry
import Testing

/// Every query in the DocC articles runs, and answers what the article
/// says after `;; =>`.
///
/// An article's examples are its ```` ```clojure ```` blocks: the query,
/// then `;; in: EDN` lines for its inputs and a `;; => EDN` line for the
/// answer (a block without one must only run). They run against the
/// article's first ```` ```edn ```` block, or the query language
/// article's when it has none.
@Suite struct ArticleExamplesTests {
    struct Example: CustomTestStringConvertible, Sendable {
        let article: String
        let query: String
        let inputs: [String]
        let expected: String?
        let data: String
        var testDescription: String { "\(article): \(query.prefix(60))" }
    }

    static let catalog = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../Sources/Quarry/Quarry.docc").standardized

    static func blocks(_ text: String, language: String) -> [String] {
        text.components(separatedBy: "```" + language + "\n").dropFirst().compactMap {
            $0.components(separatedBy: "```").first
        }
    }

    static let examples: [Example] = {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: catalog.path) else { return [] }
        let languageText = (try? String(contentsOf: catalog.appendingPathComponent("QueryLanguage.md"), encoding: .utf8)) ?? ""
        let defaultData = blocks(languageText, language: "edn").first ?? "[]"
        var out: [Example] = []
        for file in files.sorted() where file.hasSuffix(".md") {
            guard let text = try? String(contentsOf: catalog.appendingPathComponent(file), encoding: .utf8) else { continue }
            let data = blocks(text, language: "edn").first ?? defaultData
            for block in blocks(text, language: "clojure") {
                var query: [String] = [], inputs: [String] = [], expected: String?
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(";; in: ") { inputs.append(String(line.dropFirst(7))) }
                    else if line.hasPrefix(";; => ") { expected = String(line.dropFirst(6)) }
                    else { query.append(String(line)) }
                }
                out.append(Example(article: file, query: query.joined(separator: "\n"), inputs: inputs,
                                   expected: expected, data: data))
            }
        }
        return out
    }()

    @Test func theArticlesHaveExamples() {
        #expect(Self.examples.count >= 70, "found \(Self.examples.count) examples in \(Self.catalog.path)")
    }

    @Test(arguments: examples)
    func runs(_ example: Example) throws {
        guard let expected = example.expected else {
            let db = try Conformance.database(example.data)
            _ = try db.query(example.query, inputs: try example.inputs.map { try EDNReader.readOne($0) })
            return
        }
        try Conformance.run(ConformanceCase("article", example.article, data: example.data, example.query,
                                            inputs: example.inputs, expect: expected))
    }
}
