/// The data the suite loads into the source under test: one transaction
/// with every kind of value a datom holds, references, attributes of
/// several values per entity, ids far apart, and text a store could
/// mangle (empty, long, not ASCII, with quotes).
enum ConformanceData {
    /// Entities of the data: 1...people, and one far above them.
    static let people = 40
    static let farEntity: Int64 = 9_007_199_254_740_993

    static let attributes = """
        {:db/ident :person/name :db/unique :db.unique/identity}
        {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
        {:db/ident :person/tag :db/cardinality :db.cardinality/many}
        {:db/ident :person/age :db/index true}
        {:db/ident :person/score}
        {:db/ident :person/born}
        {:db/ident :person/active}
        {:db/ident :person/id}
        {:db/ident :person/note}
        """

    /// Integers, doubles and texts that sit at the edges of their types.
    static let ages: [String] = ["0", "-1", "1", "42", "9223372036854775807", "-9223372036854775808", "9007199254740993"]
    static let scores: [String] = ["0.0", "2.5", "-2.5", "1e300", "-1e300", "##Inf", "##-Inf", "42.0", "9.3e18"]
    static let notes: [String] = [
        "\"\"", "\"é à 漢字 🙂\"", "\"quote \\\" and backslash \\\\\"", "\"" + String(repeating: "long ", count: 400) + "\"",
        "\"42\"", "\"a\\nb\"",
    ]

    static var transaction: String {
        var out = "[" + attributes + "\n"
        for p in 1...people {
            let i = p - 1
            var fields = ":db/id \(p) :person/name \"person-\(p)\" :person/age \(ages[i % ages.count])"
            fields += " :person/score \(scores[i % scores.count]) :person/active \(p % 3 == 0)"
            fields += " :person/born #inst \"19\(60 + p % 40)-0\(1 + p % 9)-1\(p % 10)T0\(p % 10):00:00Z\""
            fields += " :person/friend [\(1 + p % people) \(1 + (p * 7) % people)]"
            fields += " :person/tag [:tag/t\(p % 4) :tag/u\(p % 3)]"
            if p % 2 == 0 { fields += " :person/note \(notes[i % notes.count])" }
            if p % 5 == 0 { fields += " :person/id #uuid \"00000000-0000-4000-8000-0000000000\(p < 10 ? "0" : "")\(p)\"" }
            out += "{\(fields)}\n"
        }
        out += "{:db/id \(farEntity) :person/name \"far\" :person/age 1 :person/friend 1}\n"
        return out + "]"
    }
}
