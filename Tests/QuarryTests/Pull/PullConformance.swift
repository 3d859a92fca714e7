import Foundation
import Quarry
import Testing

/// Pull patterns, Datomic's grammar: through the API, in `:find`, and
/// through `quarry pull`. Expectations are written as EDN: maps for pulled
/// entities, vectors for cardinality-many values and reverse references.
@Suite("Conformance: pull")
struct PullConformance {
    static let components = """
        [{:db/ident :order/line :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
         {:db/ident :order/customer :db/valueType :db.type/ref}
         {:db/ident :line/sku :db/unique :db.unique/identity}
         {:db/id 1 :order/id 7 :order/customer 9 :order/line [{:line/sku "A" :line/qty 2} {:line/sku "B" :line/qty 1}]}
         {:db/id 9 :customer/name "Cy"}]
        """

    /// A chain 1 -> 2 -> ... -> n through `:next`, and a cycle 100 -> 101 -> 100.
    static func chain(_ n: Int) -> String {
        var out = "[{:db/ident :next :db/valueType :db.type/ref}"
        for i in 1..<n { out += " {:db/id \(i) :name \"n\(i)\" :next \(i + 1)}" }
        out += " {:db/id \(n) :name \"n\(n)\"} {:db/id 100 :name \"x\" :next 101} {:db/id 101 :name \"y\" :next 100}]"
        return out
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let data: String
        let pattern: String
        let entity: String
        let expected: String
        init(_ name: String, data: String = Datasets.people, _ pattern: String, _ entity: String, _ expected: String) {
            (self.name, self.data, self.pattern, self.entity, self.expected) = (name, data, pattern, entity, expected)
        }
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init("attributes", "[:person/name :person/age]", "1", #"{:person/name "Ivan" :person/age 15}"#),
        .init("an attribute the entity lacks is left out", "[:person/name :person/email]", "1", #"{:person/name "Ivan"}"#),
        .init("cardinality many is a vector, in value order", "[:person/aka]", "1", #"{:person/aka ["Ivanushka" "Vanya"]}"#),
        .init("wildcard", "[*]", "5",
              #"{:db/id 5 :person/name "Maria" :person/age 61 :person/sex :female :person/email "maria@example.com"}"#),
        .init(":db/id", "[:db/id :person/name]", "3", #"{:db/id 3 :person/name "Oleg"}"#),
        .init("a reference without a pattern is {:db/id e}", "[:person/friend]", "2",
              "{:person/friend [{:db/id 1} {:db/id 3}]}"),
        .init("a nested pattern", "[:person/name {:person/friend [:person/name :person/age]}]", "2",
              #"{:person/name "Petr" :person/friend [{:person/name "Ivan" :person/age 15} {:person/name "Oleg" :person/age 37}]}"#),
        .init("wildcard with a nested pattern", "[* {:person/parent [:person/name]}]", "3",
              #"{:db/id 3 :person/name "Oleg" :person/age 37 :person/sex :male :person/friend [{:db/id 4}] :person/parent [{:person/name "Petr"}]}"#),
        .init("a reverse reference", "[:person/_friend]", "1", "{:person/_friend [{:db/id 2}]}"),
        .init("a reverse reference with a pattern", "[{:person/_parent [:person/name]}]", "2",
              #"{:person/_parent [{:person/name "Oleg"} {:person/name "Anna"}]}"#),
        .init(":as", #"[[:person/name :as "name"] [:person/age :as :years]]"#, "1", #"{"name" "Ivan" :years 15}"#),
        .init(":limit", "[[:person/aka :limit 1]]", "1", #"{:person/aka ["Ivanushka"]}"#),
        .init(":limit nil", "[[:person/aka :limit nil]]", "1", #"{:person/aka ["Ivanushka" "Vanya"]}"#),
        .init(":default", "[[:person/email :default \"none\"] :person/name]", "1", #"{:person/email "none" :person/name "Ivan"}"#),
        .init("the list forms", "[(limit :person/aka 1) (default :person/email \"none\")]", "1",
              #"{:person/aka ["Ivanushka"] :person/email "none"}"#),
        .init("an option on a nested attribute", "[{[:person/friend :limit 1] [:person/name]}]", "2",
              #"{:person/friend [{:person/name "Ivan"}]}"#),
        .init("a lookup ref names the entity", "[:person/name]", #"[:person/email "maria@example.com"]"#,
              #"{:person/name "Maria"}"#),
        .init("a lookup ref naming nothing", "[:person/name]", #"[:person/email "nobody"]"#, "{}"),
        .init("an entity with nothing pulled", "[:person/name]", "99", "{}"),
        .init(":db/id of any id", "[:db/id]", "99", "{:db/id 99}"),
        .init("an attribute's entity by its ident", "[:db/ident :db/cardinality :db/valueType]", ":person/friend",
              "{:db/ident :person/friend :db/cardinality :db.cardinality/many :db/valueType :db.type/ref}"),
        .init("recursion to a depth", data: chain(5), "[:name {:next 2}]", "1",
              #"{:name "n1" :next {:name "n2" :next {:name "n3"}}}"#),
        .init("recursion to the end", data: chain(4), "[:name {:next ...}]", "1",
              #"{:name "n1" :next {:name "n2" :next {:name "n3" :next {:name "n4"}}}}"#),
        .init("recursion stops at a cycle", data: chain(2), "[:name {:next ...}]", "100",
              #"{:name "x" :next {:name "y" :next {:db/id 100}}}"#),
        .init("components are pulled whole", data: components, "[:order/id :order/line :order/customer]", "1",
              #"{:order/id 7 :order/customer {:db/id 9} :order/line [{:db/id 10 :line/sku "A" :line/qty 2} {:db/id 11 :line/sku "B" :line/qty 1}]}"#),
        .init("a reverse component is one entity", data: components, "[{:order/_line [:order/id]}]", #"[:line/sku "B"]"#,
              "{:order/_line {:order/id 7}}"),
    ]

    @Test(arguments: cases)
    func pulls(_ c: Case) throws {
        let db = try Conformance.database(c.data)
        let entity = try Self.value(EDNReader.readOne(c.entity))
        let pulled = try db.pull(c.pattern, entity: entity)
        #expect(Value.map(pulled) == (try Self.value(EDNReader.readOne(c.expected))), "\(c.name): \(EDNWriter.write(.map(pulled)))")
    }

    @Test func inFind() throws {
        let db = try Conformance.database(Datasets.people)
        let result = try db.query("[:find ?n (pull ?e [:person/age]) :where [?e :person/name ?n] [?e :person/sex :male]]")
        #expect(result.columns == ["?n", "(pull ?e [:person/age])"])
        let rows = Set(result.rows)
        #expect(rows == [[.string("Ivan"), try Self.value(EDNReader.readOne("{:person/age 15}"))],
                         [.string("Petr"), try Self.value(EDNReader.readOne("{:person/age 37}"))],
                         [.string("Oleg"), try Self.value(EDNReader.readOne("{:person/age 37}"))]])
        let scalar = try db.query(#"[:find (pull ?e [:db/id]) . :where [?e :person/email "maria@example.com"]]"#)
        #expect(scalar.rows == [[try Self.value(EDNReader.readOne("{:db/id 5}"))]])
        let keyed = try db.query("[:find (pull ?e [:person/name]) :keys p :where [?e :person/age 61]]")
        #expect(keyed.rows == [[try Self.value(EDNReader.readOne(#"{:person/name "Maria"}"#))]])
    }

    @Test func fromAnotherSource() throws {
        let db = try Conformance.database(Datasets.people)
        let other = try Database.load(edn: #"[{:db/id 1 :city "Kyiv"}]"#)
        let result = try db.query(PreparedQuery("[:find (pull $b ?e [:city]) :in $ $b :where [?e :person/age 15]]"),
                                  [.database(other)])
        #expect(result.rows == [[try Self.value(EDNReader.readOne(#"{:city "Kyiv"}"#))]])
    }

    @Test func throughACursor() throws {
        let db = try Conformance.database(Datasets.people)
        let cursor = try db.cursor(PreparedQuery("[:find [(pull ?e [:person/name]) ...] :where [?e :person/age 37]]"))
        var names: Set<Value> = []
        while let row = try cursor.next() { names.insert(row[0]) }
        #expect(names == [.map([.keyword(Keyword("person/name")): .string("Petr")]),
                          .map([.keyword(Keyword("person/name")): .string("Oleg")])])
    }

    @Test func errors() throws {
        let db = try Conformance.database(Datasets.people)
        for (pattern, message) in [
            ("{:a 1}", "a pull pattern is a vector"),
            ("[42]", "expected an attribute, a map or * in a pull pattern, found 42"),
            ("[[:person/aka :limit]]", "options come in pairs"),
            ("[[:person/aka :size 2]]", "unknown pull option :size"),
            ("[{:person/friend :x}]", "takes a pattern, ... or a recursion depth"),
            ("[(limit 1 :person/aka)]", "names an attribute first"),
            ("[:person/name", "expected ]"),
        ] {
            #expect("\(try #require(throws: QuarryError.self) { try db.pull(pattern, entity: .int(1)) })".contains(message),
                    "\(pattern)")
        }
        #expect(throws: QuarryError.self) { try db.pull("[*]", entity: .string("x")) }
        #expect(throws: QuarryError.self) { try db.pull("[*]", entity: .tuple([.keyword(Keyword("person/age")), .int(15)])) }
    }

    /// Unbounded recursion down a long chain is an error, not a deep value or a deep stack.
    @Test func recursionIsBounded() throws {
        let db = try Database.load(edn: Self.chain(300))
        let error = try #require(throws: QuarryError.self) { try db.pull("[:name {:next ...}]", entity: .int(1)) }
        #expect(error.message.contains("nests deeper than"))
        let bounded = try db.pull("[:name {:next 10}]", entity: .int(1))
        var depth = 0, node: Value? = .map(bounded)
        while case .map(let m)? = node {
            depth += 1
            node = m[.keyword(Keyword("next"))]
        }
        #expect(depth == 11)
        let query = try #require(throws: QueryError.self) {
            try db.query("[:find (pull ?e [{:next ...}]) :where [?e :name \"n1\"]]")
        }
        #expect(query.message.contains("nests deeper than"))
    }

    @Test func theCommandPrintsEDNAndJSON() throws {
        let folder = try SQLiteFileTests.Folder()
        let data = folder.path("people.edn")
        try Datasets.people.write(toFile: data, atomically: true, encoding: .utf8)
        func run(_ arguments: [String]) throws -> (String, Int32) {
            let p = Process()
            p.executableURL = try ConcurrentWriterTests.quarryExecutable()
            p.arguments = arguments
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (text.trimmingCharacters(in: .whitespacesAndNewlines), p.terminationStatus)
        }
        #expect(try run(["pull", "--db", data, "[:person/name :person/aka]", "1"])
                == (#"{:person/aka ["Ivanushka" "Vanya"], :person/name "Ivan"}"#, 0))
        #expect(try run(["pull", "--db", data, "--format", "json", "[:db/id :person/name]", #"[:person/email "maria@example.com"]"#])
                == (#"{"db/id":5,"person/name":"Maria"}"#, 0))
        let store = folder.path("people.sqlite")
        #expect(try run(["load", data, "--into", store]).1 == 0)
        #expect(try run(["pull", "--db", store, "[{:person/friend [:person/name]}]", "2"])
                == (#"{:person/friend [{:person/name "Ivan"} {:person/name "Oleg"}]}"#, 0))
        #expect(try run(["query", "--db", store, "--format", "edn", "[:find (pull ?e [:person/age]) . :where [?e :person/name \"Anna\"]]"])
                == ("{:person/age 22}", 0))
        let (bad, status) = try run(["pull", "--db", data, "[:person/name", "1"])
        #expect(status == 1 && bad.hasPrefix("error: "))
        #expect(try run(["pull", "--db", data, "[*]", "-3"]).1 == 1)
    }

    /// EDN as a value: maps become `.map`, vectors and sets `.tuple`.
    static func value(_ e: EDN) throws -> Value {
        if let v = Value(edn: e) { return v }
        switch e.form {
        case .vector(let items), .list(let items), .set(let items): return .tuple(try items.map(value))
        case .map:
            var m: [Value: Value] = [:]
            for (k, v) in e.mapPairs ?? [] { m[try value(k)] = try value(v) }
            return .map(m)
        default:
            throw QuarryError(.input, "no value for \(EDNWriter.write(e))")
        }
    }
}
