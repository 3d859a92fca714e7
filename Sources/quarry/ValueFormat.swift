import Quarry

/// How `quarry pull` and `quarry transact` print the one value they
/// answer with: EDN, or JSON (keywords as their text without the colon).
enum ValueFormat: String {
    case edn, json

    /// The format `--format` names, or the error for one it does not.
    init(option: String) throws {
        guard let format = ValueFormat(rawValue: option) else {
            throw QueryError("unknown format \(option) (expected edn or json)")
        }
        self = format
    }

    func render(_ value: Value) -> String {
        switch self {
        case .edn: EDNWriter.write(value)
        case .json: ResultFormat.json(value)
        }
    }
}
