/// A function call with its arguments resolved against an input's columns.
struct CallEvaluator {
    enum Argument {
        case column(Int)
        case constant(EncodedValue)
        case source(Database)
    }

    let call: Call
    let arguments: [Argument]
    let context: ExecutionContext
    private let function: ([FunctionArgument], ExecutionContext) throws -> Value?

    /// Resolves the call's terms: variables to columns of `columns`,
    /// constants to values, `$` names to sources.
    init(_ call: Call, columns: [String], context: ExecutionContext) throws {
        if let custom = context.functions.functions[call.name] {
            function = Self.registered(custom, name: call.name, at: call.position)
        } else if context.defersNamespaced && QueryFunctions.isNamespaced(call.name) {
            function = { _, _ in nil }
        } else {
            guard Builtins.isKnown(call.name) else { throw QueryError("unknown function \(call.name)", at: call.position) }
            function = try Builtins.resolve(call.name, at: call.position)
        }
        self.call = call
        self.context = context
        arguments = try call.args.map { term throws -> Argument in
            switch term.kind {
            case .variable(let v):
                guard let c = columns.firstIndex(of: v) else {
                    throw QueryError("unbound variable \(v) in \(call.name)", at: term.position)
                }
                return .column(c)
            case .constant(let edn):
                return .constant(try context.space.encode(try Self.constant(edn)))
            case .source(let s):
                return .source(try context.source(s, at: term.position))
            case .blank:
                throw QueryError("_ is not allowed as an argument of \(call.name)", at: term.position)
            }
        }
    }

    /// A registered function as the executor calls it: arguments decoded,
    /// what it throws named with the call's position.
    private static func registered(_ f: @escaping QueryFunctions.Function, name: String, at position: SourcePosition)
        -> ([FunctionArgument], ExecutionContext) throws -> Value? {
        { args, context in
            let values = try args.map { a throws -> Value in
                guard case .value(let v) = a else { throw QueryError("\(name) cannot take a source", at: position) }
                return context.space.decode(v)
            }
            do {
                return try f(values)
            } catch {
                throw QueryError("\(name): \(error)", at: position)
            }
        }
    }

    /// A constant argument: a scalar, or a vector/list/set as a tuple.
    static func constant(_ edn: EDN) throws -> Value {
        if let v = Value(edn: edn) { return v }
        switch edn.form {
        case .vector(let items), .list(let items), .set(let items):
            return .tuple(try items.map(constant))
        default:
            throw QueryError("unsupported constant \(EDNWriter.write(edn))", at: edn.position)
        }
    }

    func evaluate(_ batch: RowBuffer, row r: Int, scratch: inout [FunctionArgument]) throws -> Value? {
        scratch.removeAll(keepingCapacity: true)
        for a in arguments {
            switch a {
            case .column(let c): scratch.append(.value(batch.value(r, c)))
            case .constant(let v): scratch.append(.value(v))
            case .source(let db): scratch.append(.source(db))
            }
        }
        return try function(scratch, context)
    }

    var text: String {
        "(" + ([call.name] + call.args.map(\.text)).joined(separator: " ") + ")"
    }
}

/// Keeps the rows for which a predicate holds (anything but false).
final class Filter: Operator {
    let evaluator: CallEvaluator
    private let output: RowBuffer
    private var scratch: [FunctionArgument] = []

    init(input: Operator, evaluator: CallEvaluator, estimatedRows: Double) throws {
        self.evaluator = evaluator
        self.output = try RowBuffer(arity: input.columns.count, account: evaluator.context.account)
        super.init(columns: input.columns, inputs: [input], estimatedRows: estimatedRows)
        clusteredBy = input.clusteredBy
    }

    override var detail: String { evaluator.text }

    override func produce() throws -> RowBuffer? {
        guard let batch = try inputs[0].next() else { return nil }
        output.removeAll()
        for r in 0..<batch.count {
            let result = try evaluator.evaluate(batch, row: r, scratch: &scratch)
            if let result, result != .bool(false) { try output.append(copyOf: r, from: batch) }
        }
        return output
    }
}

/// Binds the result of a function to a binding form: one output row per
/// binding of each input row (none when the result is nil, an empty
/// collection, or disagrees with a variable already bound).
final class Bind: Operator {
    let evaluator: CallEvaluator
    let binding: Binding
    /// Output column of each variable of the binding, and whether it was bound before.
    private let targets: [String: (column: Int, bound: Bool)]
    fileprivate let output: RowBuffer
    fileprivate var scratch: [FunctionArgument] = []

    init(input: Operator, evaluator: CallEvaluator, binding: Binding, estimatedRows: Double) throws {
        self.evaluator = evaluator
        self.binding = binding
        var columns = input.columns
        var targets: [String: (Int, Bool)] = [:]
        for v in binding.variables {
            if let c = input.columns.firstIndex(of: v) {
                targets[v] = (c, true)
            } else {
                targets[v] = (columns.count, false)
                columns.append(v)
            }
        }
        self.targets = targets
        self.output = try RowBuffer(arity: columns.count, account: evaluator.context.account)
        super.init(columns: columns, inputs: [input], estimatedRows: estimatedRows)
        // Each input row's bindings come out together, in input order.
        clusteredBy = input.clusteredBy
    }

    override var detail: String { "\(evaluator.text) -> \(BindingText.text(binding))" }

    override func produce() throws -> RowBuffer? {
        guard let batch = try inputs[0].next() else { return nil }
        output.removeAll()
        if case .variable(let v) = binding, let target = targets[v] {
            return try produceScalar(batch, target: target)
        }
        for r in 0..<batch.count {
            guard let result = try evaluator.evaluate(batch, row: r, scratch: &scratch) else { continue }
            var assignments: [[String: EncodedValue]] = []
            try BindingText.destructure(binding, result, context: evaluator.context, at: evaluator.call.position,
                                        into: &assignments)
            for assignment in assignments {
                if !assignment.allSatisfy({ v, value in
                    guard let t = targets[v], t.bound else { return true }
                    return batch.value(r, t.column) == value
                }) { continue }
                try output.appendRow { w in
                    w.copyAll(from: batch, row: r)
                    for (v, value) in assignment {
                        if let t = targets[v], !t.bound { w.set(t.column, value) }
                    }
                }
            }
        }
        return output
    }
}

extension Bind {
    /// `[(f ...) ?x]`, the common form: one value per row, no dictionaries.
    private func produceScalar(_ batch: RowBuffer, target: (column: Int, bound: Bool)) throws -> RowBuffer {
        let space = evaluator.context.space
        for r in 0..<batch.count {
            guard let result = try evaluator.evaluate(batch, row: r, scratch: &scratch) else { continue }
            let value = try space.encode(result)
            if target.bound {
                if batch.value(r, target.column) == value { try output.append(copyOf: r, from: batch) }
            } else {
                try output.appendRow(extending: r, of: batch) { $0.set(target.column, value) }
            }
        }
        return output
    }
}

/// Binding forms: their text and how a value destructures into them.
enum BindingText {
    static func text(_ b: Binding) -> String {
        switch b {
        case .variable(let v): v
        case .blank: "_"
        case .tuple(let items): "[" + items.map(text).joined(separator: " ") + "]"
        case .collection(let inner): "[" + text(inner) + " ...]"
        }
    }

    /// Every assignment of variables that binding `b` makes of `value`.
    static func destructure(_ b: Binding, _ value: Value, context: ExecutionContext, at position: SourcePosition,
                            into out: inout [[String: EncodedValue]]) throws {
        var partial: [[String: EncodedValue]] = [[:]]
        try walk(b, value, context: context, at: position, partial: &partial)
        out.append(contentsOf: partial)
    }

    private static func walk(_ b: Binding, _ value: Value, context: ExecutionContext, at position: SourcePosition,
                             partial: inout [[String: EncodedValue]]) throws {
        switch b {
        case .blank:
            return
        case .variable(let v):
            let e = try context.space.encode(value)
            partial = partial.compactMap { a in
                var a = a
                if let old = a[v], old != e { return nil }
                a[v] = e
                return a
            }
        case .tuple(let items):
            guard case .tuple(let values) = value else {
                throw QueryError("cannot bind \(EDNWriter.write(value)) to the tuple \(text(b))", at: position)
            }
            guard values.count >= items.count else {
                throw QueryError("cannot bind a tuple of \(values.count) to \(text(b))", at: position)
            }
            for (item, v) in zip(items, values) { try walk(item, v, context: context, at: position, partial: &partial) }
        case .collection(let inner):
            guard case .tuple(let values) = value else {
                throw QueryError("cannot bind \(EDNWriter.write(value)) to the collection \(text(b))", at: position)
            }
            var all: [[String: EncodedValue]] = []
            for v in values {
                var branch = partial
                try walk(inner, v, context: context, at: position, partial: &branch)
                all.append(contentsOf: branch)
            }
            partial = all
        }
    }
}
