@_spi(Core) import Quarry

/// DataScript's write benchmark data (its bench's `people20k`): people
/// with a name, a last name, a sex, an age and a salary drawn at random
/// (here from a fixed seed), entity ids 1, 2, 3... Five datoms each.
public struct PeopleWorkload: Sendable {
    public static let names = ["Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"]
    public static let lastNames = ["Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"]
    /// The attributes, in the order DataScript's add-1 asserts them.
    public static let attributes = ["name", "last-name", "sex", "age", "salary"].map { Keyword($0) }

    /// One person: entity id and the five values.
    public struct Person: Sendable {
        public var id: Int64
        public var values: [Value]
    }

    public let people: [Person]

    public init(count: Int, seed: UInt64 = 20_000) {
        let random = QueryRandom(seed: seed)
        func next() -> UInt64 { random.next() }
        func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
        people = (0..<max(0, count)).map { i in
            Person(id: Int64(i + 1), values: [.string(pick(Self.names)), .string(pick(Self.lastNames)),
                                             .keyword(Keyword(pick(["male", "female"]))),
                                             .int(Int64(next() % 100)), .int(Int64(next() % 100_000))])
        }
    }

    public var datoms: Int { people.count * Self.attributes.count }

    /// `[:db/add id attribute value]`.
    public static func add(_ id: Int64, _ attribute: Keyword, _ value: Value) -> EDN {
        EDN(.vector([EDN(.keyword(Keyword("db/add"))), EDN(.int(id)), EDN(.keyword(attribute)), edn(value)]))
    }

    /// One person's five datoms as list forms.
    public static func forms(_ p: Person) -> [EDN] {
        zip(attributes, p.values).map { add(p.id, $0, $1) }
    }

    /// Every person's datoms, one transaction.
    public var all: EDN { EDN(.vector(people.flatMap(Self.forms))) }

    static func edn(_ v: Value) -> EDN {
        switch v {
        case .int(let i): EDN(.int(i))
        case .string(let s): EDN(.string(s))
        case .keyword(let k): EDN(.keyword(k))
        default: EDN(.nil)
        }
    }
}
