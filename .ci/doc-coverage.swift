// Lists every public symbol of the Quarry module that has no documentation
// comment, from the symbol graph the DocC build extracted, and fails when
// there is one. Implementations of protocol requirements from other
// modules (`description`, `hash(into:)`, `next()`) take the requirement's
// documentation and are not listed.
import Foundation

// The DocC build's symbol graph: .build-docs/TRIPLE/extracted-symbols/PACKAGE-FOLDER/Quarry/.
func symbolGraph() -> String? {
    let fm = FileManager.default
    for triple in (try? fm.contentsOfDirectory(atPath: ".build-docs")) ?? [] {
        let extracted = ".build-docs/\(triple)/extracted-symbols"
        for folder in (try? fm.contentsOfDirectory(atPath: extracted)) ?? [] {
            let path = "\(extracted)/\(folder)/Quarry/Quarry.symbols.json"
            if fm.fileExists(atPath: path) { return path }
        }
    }
    return nil
}
let path = CommandLine.arguments.dropFirst().first ?? symbolGraph() ?? ".build-docs"
guard let data = FileManager.default.contents(atPath: path),
      let graph = try JSONSerialization.jsonObject(with: data) as? [String: Any],
      let symbols = graph["symbols"] as? [[String: Any]],
      let relationships = graph["relationships"] as? [[String: Any]] else {
    print("doc-coverage: cannot read the symbol graph at \(path)")
    exit(2)
}

let inheriting = Set(relationships.compactMap { r in r["sourceOrigin"] == nil ? nil : r["source"] as? String })
var missing: [(file: String, line: Int, name: String)] = []
for symbol in symbols {
    guard symbol["docComment"] == nil,
          let id = (symbol["identifier"] as? [String: Any])?["precise"] as? String, !inheriting.contains(id),
          let location = symbol["location"] as? [String: Any], let uri = location["uri"] as? String,
          let range = uri.range(of: "Sources/Quarry/") else { continue }
    let line = ((location["position"] as? [String: Any])?["line"] as? Int ?? 0) + 1
    let name = (symbol["pathComponents"] as? [String])?.joined(separator: ".") ?? id
    missing.append(("Sources/Quarry/" + uri[range.upperBound...], line, name))
}
if missing.isEmpty {
    print("doc-coverage: every public symbol of Quarry is documented")
    exit(0)
}
print("doc-coverage: \(missing.count) public symbols have no documentation comment:")
for m in missing.sorted(by: { ($0.file, $0.line) < ($1.file, $1.line) }) { print("  \(m.file):\(m.line): \(m.name)") }
exit(1)
