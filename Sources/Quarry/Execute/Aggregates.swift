/// The aggregate functions of `:find`, Datomic's set.
enum Aggregates {
    static let names: Set<String> = [
        "count", "count-distinct", "sum", "avg", "min", "max", "median", "variance", "stddev", "distinct", "rand",
        "sample",
    ]

    /// The most values `(rand n ?x)` may draw.
    static let maxRandomDraws: Int64 = 100_000

    /// Checks an aggregate's name and arguments at planning time.
    /// `functions`: the registered aggregates; `defersNamespaced`: accept
    /// any namespaced name (a prepared query, checked before its run).
    static func validate(_ element: FindElement, functions: QueryFunctions, defersNamespaced: Bool) throws {
        guard case .aggregate(let name, let args, _, let position) = element else { return }
        if functions.aggregates[name] != nil || defersNamespaced && QueryFunctions.isNamespaced(name) {
            guard args.isEmpty else { throw QueryError("expected (\(name) ?x)", at: position) }
            return
        }
        guard names.contains(name) else { throw QueryError("unknown aggregate \(name)", at: position) }
        switch name {
        case "min", "max":
            guard args.isEmpty || (args.count == 1 && args[0].intValue != nil) else {
                throw QueryError("expected (\(name) ?x) or (\(name) n ?x)", at: position)
            }
        case "rand", "sample":
            guard args.count == 1, args[0].intValue != nil else {
                throw QueryError("expected (\(name) n ?x)", at: position)
            }
        default:
            guard args.isEmpty else { throw QueryError("expected (\(name) ?x)", at: position) }
        }
        if let n = args.first?.intValue, n < 0 {
            throw QueryError("(\(name) n ?x) needs n of 0 or more, found \(n)", at: position)
        }
        // rand draws n values whatever the group's size: n is the result's size.
        if name == "rand", let n = args.first?.intValue, n > maxRandomDraws {
            throw QueryError("(rand n ?x) takes n up to \(maxRandomDraws), found \(n)", at: position)
        }
    }

    /// The error of a numeric aggregate meeting a value that is no number.
    static func nonNumber(_ name: String, _ v: EncodedValue, space: ValueSpace, at position: SourcePosition) -> QueryError {
        QueryError("\(name) of a non-number \(EDNWriter.write(space.decode(v)))", at: position)
    }

    /// The aggregate of one group's values.
    static func compute(_ element: FindElement, _ values: [EncodedValue], space: ValueSpace,
                        random: QueryRandom, functions: QueryFunctions) throws -> Value {
        guard case .aggregate(let name, let args, _, let position) = element else { return .int(0) }
        if let custom = functions.aggregates[name] {
            do {
                return try custom(values.map(space.decode))
            } catch {
                throw QueryError("\(name): \(error)", at: position)
            }
        }
        let n = args.first?.intValue.map(Int.init)
        func sorted() -> [EncodedValue] { values.sorted { ValueOrder.sortCompare($0, $1, in: space) < 0 } }
        func number(_ v: EncodedValue) throws -> Double {
            guard ValueOrder.isNumber(v.tag) else { throw nonNumber(name, v, space: space, at: position) }
            return ValueOrder.number(v)
        }
        func numbers() throws -> [Double] { try values.map(number) }
        func distinctValues() -> [EncodedValue] {
            var seen: Set<EncodedValue> = []
            return sorted().filter { seen.insert($0).inserted }
        }
        switch name {
        case "count":
            return .int(Int64(values.count))
        case "count-distinct":
            return .int(Int64(Set(values).count))
        case "sum":
            if values.allSatisfy({ $0.tag == .int || $0.tag == .ref }) {
                var total: Int64 = 0
                for v in values {
                    let (r, overflow) = total.addingReportingOverflow(Int64(bitPattern: v.word))
                    if overflow { throw QueryError("integer overflow in sum", at: position) }
                    total = r
                }
                return .int(total)
            }
            return .double(try numbers().reduce(0, +))
        case "avg":
            var total = 0.0
            for v in values { total += try number(v) }
            return .double(total / Double(values.count))
        case "min" where n == nil, "max" where n == nil:
            // One pass; on ties the first minimum and the last maximum, as a stable sort gives.
            var best = values[0]
            for v in values.dropFirst() {
                let c = ValueOrder.sortCompare(v, best, in: space)
                if name == "min" ? c < 0 : c >= 0 { best = v }
            }
            return space.decode(best)
        case "min", "max":
            let s = sorted()
            if let n { return .tuple((name == "min" ? Array(s.prefix(n)) : Array(s.reversed().prefix(n))).map(space.decode)) }
            return space.decode(name == "min" ? s.first! : s.last!)
        case "median":
            let xs = try numbers().sorted()
            let mid = xs.count / 2
            if xs.count % 2 == 1 {
                let v = values.sorted { ValueOrder.sortCompare($0, $1, in: space) < 0 }[mid]
                return space.decode(v)
            }
            return .double((xs[mid - 1] + xs[mid]) / 2)
        case "variance", "stddev":
            let xs = try numbers()
            let mean = xs.reduce(0, +) / Double(xs.count)
            let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)
            return .double(name == "variance" ? variance : variance.squareRoot())
        case "distinct":
            return .tuple(distinctValues().map(space.decode))
        case "rand":
            return .tuple(random.draw(n ?? 1, from: values).map(space.decode))
        case "sample":
            return .tuple(random.sample(n ?? 1, from: distinctValues()).map(space.decode))
        default:
            throw QueryError("unknown aggregate \(name)", at: position)
        }
    }
}

extension EDN {
    var intValue: Int64? { if case .int(let i) = form { i } else { nil } }
}
