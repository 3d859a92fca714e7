/// Flattens EDN transaction data into schema attributes and ``TxOp``s.
///
/// Entity maps become one assertion per key (a vector value of a
/// cardinality-many attribute one per element, a nested map a new entity
/// referenced from its parent); list forms `[:db/add e a v]`,
/// `[:db/retract e a v]`, `[:db/retract e a]` and `[:db/retractEntity e]`
/// pass through. Maps that declare an attribute (`:db/valueType`,
/// `:db/cardinality` or `:db/unique` beside `:db/ident`) go to the schema.
struct TxParser {
    var schema: Schema
    let resolveAttribute: (Keyword) throws(CoreError) -> UInt32
    private(set) var ops: [TxOp] = []
    private var anonymous = 0

    init(schema: Schema, resolveAttribute: @escaping (Keyword) throws(CoreError) -> UInt32) {
        self.schema = schema
        self.resolveAttribute = resolveAttribute
    }

    func attribute(_ ident: Keyword) throws(CoreError) -> Attribute? {
        schema.attribute(try resolveAttribute(ident))
    }

    mutating func parse(_ data: EDN) throws -> [TxOp] {
        guard let forms = data.sequence else {
            throw TransactionError("expected a vector of transaction data, found a \(data.kindName)", at: data.position)
        }
        // Schema maps first, wherever they stand. A data file is mostly maps:
        // their keys are looked at in place, and a map's pairs are made once,
        // by the pass that uses them. The ops are counted on the way (a pair
        // or a list form each; nested maps and many values add a few): a
        // million ops grown by doubling are copied about twice over into
        // fresh pages.
        var expected = 1
        var schemaMaps = Set<Int>()
        for (i, form) in forms.enumerated() {
            guard case .map(let kv) = form.form else {
                expected += 1
                continue
            }
            expected += kv.count / 2
            if Self.isSchemaMap(kv), let pairs = form.mapPairs {
                schemaMaps.insert(i)
                try declareSchema(form, pairs: pairs)
            }
        }
        ops.reserveCapacity(ops.count + expected)
        for (i, form) in forms.enumerated() {
            switch form.form {
            case .map:
                if !schemaMaps.contains(i), let pairs = form.mapPairs { _ = try entityMap(form, pairs: pairs) }
            case .vector(let items), .list(let items):
                try listForm(items, at: form.position)
            default:
                throw TransactionError("expected an entity map or a list form, found a \(form.kindName)", at: form.position)
            }
        }
        // Handed over, not shared: the caller appends to them, which would copy every op.
        var out: [TxOp] = []
        swap(&out, &ops)
        return out
    }

    // MARK: Schema

    /// A map (its keys and values alternating) with `:db/ident` and at
    /// least one other schema key. Only keys in the `db` namespace are
    /// hashed: this runs on every map of the data.
    private static func isSchemaMap(_ kv: [EDN]) -> Bool {
        var ident = false, declares = false
        for i in stride(from: 0, to: kv.count - 1, by: 2) {
            guard case .keyword(let k) = kv[i].form else { continue }
            let text = k.text
            guard text.utf8.starts(with: "db/".utf8), schemaKeys.contains(text) else { continue }
            if text == "db/ident" { ident = true } else { declares = true }
        }
        return ident && declares
    }

    private mutating func declareSchema(_ form: EDN, pairs: [(key: EDN, value: EDN)]) throws {
        guard let identForm = pairs.first(where: { $0.key.keyword?.text == "db/ident" })?.value,
              let ident = identForm.keyword
        else { throw TransactionError(":db/ident must be a keyword", at: form.position) }
        var attribute = Attribute(ident: ident)
        for (key, value) in pairs {
            switch key.keyword?.text {
            case "db/valueType":
                guard let k = value.keyword, k.namespace == "db.type", let t = AttributeType(rawValue: k.name) else {
                    throw TransactionError("unknown :db/valueType \(EDNWriter.write(value))", at: value.position)
                }
                attribute.valueType = t
            case "db/cardinality":
                switch value.keyword?.text {
                case "db.cardinality/one": attribute.cardinalityMany = false
                case "db.cardinality/many": attribute.cardinalityMany = true
                default:
                    throw TransactionError("unknown :db/cardinality \(EDNWriter.write(value))", at: value.position)
                }
            case "db/unique":
                switch value.keyword?.text {
                case "db.unique/identity": attribute.unique = .identity
                case "db.unique/value": attribute.unique = .value
                default: throw TransactionError("unknown :db/unique \(EDNWriter.write(value))", at: value.position)
                }
            case "db/index":
                attribute.indexed = value.form == .bool(true)
            case "db/isComponent":
                attribute.isComponent = value.form == .bool(true)
            default:
                break
            }
        }
        if attribute.isComponent && attribute.valueType == nil { attribute.valueType = .ref }
        schema.byID[try resolveAttribute(ident)] = attribute
        addSchemaDatoms(attribute, pairs: pairs, at: form.position)
    }

    /// The declaration as datoms of the attribute's entity, so that the
    /// schema is queryable (`[?a :db/valueType ?t]`): each schema key the
    /// map leaves out is retracted, so the datoms say what the schema
    /// holds. Values are keywords (`:db.type/string`), flags booleans;
    /// other keys of the map (`:db/doc`) are asserted as they are.
    private mutating func addSchemaDatoms(_ a: Attribute, pairs: [(key: EDN, value: EDN)], at position: SourcePosition) {
        let entity = EntityRef.attribute(a.ident)
        func set(_ name: String, _ value: Value?) {
            ops.append(TxOp(kind: value == nil ? .retractAttribute : .add, entity: entity, attribute: Keyword(name),
                            value: value.map { .value($0) } ?? .none, position: position))
        }
        set("db/ident", .keyword(a.ident))
        set("db/valueType", a.valueType.map { .keyword(Keyword("db.type/" + $0.rawValue)) })
        set("db/cardinality", .keyword(Keyword(a.cardinalityMany ? "db.cardinality/many" : "db.cardinality/one")))
        set("db/unique", a.unique.map { .keyword(Keyword("db.unique/" + $0.rawValue)) })
        set("db/index", a.indexed ? .bool(true) : nil)
        set("db/isComponent", a.isComponent ? .bool(true) : nil)
        for (key, value) in pairs {
            guard let k = key.keyword, !Self.schemaKeys.contains(k.text), k.text != "db/id", let v = Value(edn: value)
            else { continue }
            ops.append(TxOp(kind: .add, entity: entity, attribute: k, value: .value(v), position: value.position))
        }
    }

    /// The keys that declare an attribute; as datoms, each says what the schema holds.
    private static let schemaKeys: Set<String> = ["db/ident", "db/valueType", "db/cardinality", "db/unique", "db/index",
                                                  "db/isComponent"]

    // MARK: Entity maps

    /// Adds the ops of an entity map and returns the entity it names.
    private mutating func entityMap(_ form: EDN, pairs known: [(key: EDN, value: EDN)]? = nil) throws -> EntityRef {
        guard let pairs = known ?? form.mapPairs else { throw TransactionError("expected a map", at: form.position) }
        var entity: EntityRef
        if let idForm = pairs.first(where: { $0.key.keyword?.text == "db/id" })?.value {
            entity = try entityRef(idForm)
        } else {
            anonymous += 1
            entity = .tempid("map \(anonymous)")
        }
        for (key, value) in pairs {
            guard let attr = key.keyword else {
                throw TransactionError("expected a keyword attribute, found a \(key.kindName)", at: key.position)
            }
            if attr.text == "db/id" { continue }
            if attr.isReverse {
                // A reverse attribute: the value(s) point at this entity.
                let forward = attr.forward
                for v in value.vector ?? [value] {
                    let source = v.mapPairs != nil ? try entityMap(v) : try entityRef(v)
                    ops.append(TxOp(kind: .add, entity: source, attribute: forward, value: .entity(entity),
                                    position: v.position))
                }
                continue
            }
            let schemaAttr = try attribute(attr)
            let values: [EDN]
            if case .set(let items) = value.form {
                values = items
            } else if let items = value.vector, schemaAttr?.cardinalityMany == true,
                      !(schemaAttr?.isRef == true && isLookupRef(value)) {
                values = items
            } else {
                values = [value]
            }
            for v in values {
                ops.append(TxOp(kind: .add, entity: entity, attribute: attr, value: try operand(v, for: schemaAttr),
                                position: v.position))
            }
        }
        return entity
    }

    private func isLookupRef(_ form: EDN) -> Bool {
        guard let items = form.vector, items.count == 2, items[0].keyword != nil else { return false }
        return true
    }

    private mutating func operand(_ form: EDN, for attribute: Attribute?) throws -> TxOp.Operand {
        if form.mapPairs != nil { return .entity(try entityMap(form)) }
        if attribute?.isRef == true { return .entity(try entityRef(form)) }
        guard let value = Value(edn: form) else {
            throw TransactionError("unsupported value \(EDNWriter.write(form))", at: form.position)
        }
        return .value(value)
    }

    /// An entity named by an id, tempid, lookup ref or ident.
    private func entityRef(_ form: EDN) throws -> EntityRef {
        switch form.form {
        case .int(let i): return i < 0 ? .tempid("\(i)") : .id(i)
        case .string(let s): return .tempid("\"\(s)\"")
        case .keyword(let k): return .ident(k)
        case .vector(let items) where items.count == 2:
            guard let attr = items[0].keyword else {
                throw TransactionError("a lookup ref starts with a keyword attribute", at: form.position)
            }
            return .lookup(attr, items[1])
        default:
            throw TransactionError("expected an entity id, tempid or lookup ref, found \(EDNWriter.write(form))",
                                   at: form.position)
        }
    }

    // MARK: List forms

    private mutating func listForm(_ items: [EDN], at position: SourcePosition) throws {
        guard let op = items.first?.keyword else {
            throw TransactionError("expected :db/add, :db/retract or :db/retractEntity", at: position)
        }
        func arg(_ i: Int) throws -> EDN {
            guard i < items.count else {
                throw TransactionError("\(op) needs \(i) arguments, found \(items.count - 1)", at: position)
            }
            return items[i]
        }
        switch op.text {
        case "db/add", "db/retract":
            let kind: TxOp.Kind = op.text == "db/add" ? .add : .retract
            let maxArgs = 4
            guard items.count <= maxArgs else {
                throw TransactionError("\(op) takes an entity, an attribute and a value", at: position)
            }
            let entity = try entityRef(try arg(1))
            guard let attr = try arg(2).keyword else {
                throw TransactionError("expected a keyword attribute", at: items[2].position)
            }
            if items.count == 3 {
                guard kind == .retract else { throw TransactionError(":db/add needs a value", at: position) }
                ops.append(TxOp(kind: .retractAttribute, entity: entity, attribute: attr, value: .none, position: position))
                return
            }
            let value = try arg(3)
            let operand: TxOp.Operand = kind == .add ? try operand(value, for: try attribute(attr))
                : (try attribute(attr)?.isRef == true ? .entity(try entityRef(value))
                   : .value(try plainValue(value)))
            ops.append(TxOp(kind: kind, entity: entity, attribute: attr, value: operand, position: position))
        case "db/cas", "db.fn/cas":
            // Compare and swap: the new value is asserted only if the old one is there.
            guard items.count == 5 else {
                throw TransactionError("\(op) takes an entity, an attribute, the old value and the new one", at: position)
            }
            let entity = try entityRef(try arg(1))
            guard let attr = try arg(2).keyword else {
                throw TransactionError("expected a keyword attribute", at: items[2].position)
            }
            guard try attribute(attr)?.cardinalityMany != true else {
                throw TransactionError("\(op) needs a cardinality-one attribute, \(attr) is many", at: position)
            }
            let old = try arg(3)
            let expected: TxOp.Operand = old.form == .nil ? .none
                : try attribute(attr)?.isRef == true ? .entity(try entityRef(old)) : .value(try plainValue(old))
            var add = TxOp(kind: .add, entity: entity, attribute: attr, value: try operand(try arg(4), for: try attribute(attr)),
                           position: position)
            add.expected = expected
            ops.append(add)
        case "db/retractEntity", "db.fn/retractEntity":
            ops.append(TxOp(kind: .retractEntity, entity: try entityRef(try arg(1)), attribute: Keyword("db/id"),
                            value: .none, position: position))
        default:
            throw TransactionError("unknown transaction operation \(op)", at: items[0].position)
        }
    }

    private func plainValue(_ form: EDN) throws -> Value {
        guard let value = Value(edn: form) else {
            throw TransactionError("unsupported value \(EDNWriter.write(form))", at: form.position)
        }
        return value
    }
}

extension Value {
    /// The value an EDN scalar denotes; nil for nil, collections and symbols.
    public init?(edn: EDN) {
        switch edn.form {
        case .int(let v): self = .int(v)
        case .double(let v): self = .double(v)
        case .bool(let v): self = .bool(v)
        case .string(let v): self = .string(v)
        case .keyword(let k): self = .keyword(k)
        case .instant(let t): self = .instant(t)
        case .uuid(let u): self = .uuid(u)
        case .char(let c): self = .string(String(c))
        default: return nil
        }
    }
}
