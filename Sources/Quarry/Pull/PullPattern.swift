/// A pull pattern in Datomic's grammar: which attributes of an entity to
/// read, and how deep to follow its references.
///
/// ```clojure
/// [:person/name                         ; an attribute
///  *                                    ; every attribute of the entity
///  :db/id                               ; the entity id
///  :person/_friend                      ; a reverse reference: who names this entity
///  [:person/alias :limit 2 :as "aka"]   ; options: :as, :limit, :default
///  (default :person/age 0)              ; the older list forms of :default and :limit
///  {:person/friend [:person/name]}      ; a nested pattern for the entities referenced
///  {:person/friend 2}                   ; recursion of this pattern, two levels deep
///  {:person/friend ...}]                ; recursion to any depth (cycles stop at {:db/id e})
/// ```
///
/// A pattern is read once and may be used against any number of
/// databases and entities.
public struct PullPattern: Sendable, Hashable {
    /// Whether the pattern holds `*`.
    var wildcard = false
    /// The attribute specifications, in the order written.
    var specs: [PullSpec] = []

    /// The pattern written in `text`, a vector.
    public init(_ text: String) throws(QuarryError) {
        self = try QuarryError.mapping {
            try PullPattern(edn: EDNReader.readOne(text, what: "a pull pattern"))
        }
    }

    /// The pattern of an EDN vector; errors name their position in it.
    public init(edn: EDN) throws(QuarryError) {
        self = try QuarryError.mapping { try PullPattern(form: edn) }
    }

    init(form: EDN) throws {
        guard let items = form.vector else {
            throw QueryError("a pull pattern is a vector, found a \(form.kindName)", at: form.position)
        }
        for item in items {
            switch item.form {
            case .symbol("*"), .string("*"):
                wildcard = true
            case .map:
                for (key, value) in item.mapPairs ?? [] {
                    var spec = try PullSpec(attribute: key)
                    spec.nested = try Self.nested(value)
                    specs.append(spec)
                }
            default:
                specs.append(try PullSpec(attribute: item))
            }
        }
    }

    /// The value side of a map entry: a pattern, `...` or a depth.
    private static func nested(_ form: EDN) throws -> PullSpec.Nested {
        switch form.form {
        case .vector: return .pattern(try PullPattern(form: form))
        case .symbol("..."): return .recurse(depth: nil)
        case .int(let n) where n >= 0: return .recurse(depth: Int(min(n, Int64(Int32.max))))
        default:
            throw QueryError("a map in a pull pattern takes a pattern, ... or a recursion depth, found \(EDNWriter.write(form))",
                             at: form.position)
        }
    }
}

/// One attribute of a pull pattern and its options.
struct PullSpec: Sendable, Hashable {
    /// What the pattern follows beyond the attribute's values.
    enum Nested: Sendable, Hashable {
        /// Refs shown as `{:db/id e}` (components in full).
        case none
        /// Each referenced entity pulled with a pattern of its own.
        case pattern(PullPattern)
        /// Each referenced entity pulled with the enclosing pattern again;
        /// nil depth: until no new entity is found.
        case recurse(depth: Int?)
    }

    /// The attribute as stored: for `:person/_friend`, `:person/friend`.
    var attribute: Keyword
    /// Whether the attribute was written reversed (`:ns/_name`).
    var reverse: Bool
    /// The key in the result: `:as`, else the attribute as written.
    var key: Value
    /// `:limit` on the number of values; nil for none.
    var limit: Int?
    /// `:default`, given when the entity has no value.
    var defaultValue: Value?
    var nested: Nested = .none

    /// Whether the spec is `:db/id`.
    var isEntityID: Bool { attribute.text == "db/id" && !reverse }

    /// An attribute written as a keyword, `[:attr option value ...]`,
    /// `(:attr option value ...)`, `(limit :attr n)` or `(default :attr v)`.
    init(attribute form: EDN) throws {
        var options: ArraySlice<EDN> = []
        let ident: EDN
        switch form.form {
        case .keyword:
            ident = form
        case .vector(let items) where items.first?.keyword != nil:
            ident = items[0]
            options = items.dropFirst()
        case .list(let items) where items.first?.keyword != nil:
            ident = items[0]
            options = items.dropFirst()
        case .list(let items) where items.count == 3 && (items[0].symbol == "limit" || items[0].symbol == "default"):
            guard items[1].keyword != nil else {
                throw QueryError("(\(items[0].symbol!) ...) names an attribute first, found \(EDNWriter.write(items[1]))",
                                 at: items[1].position)
            }
            ident = items[1]
            options = [EDN(.keyword(Keyword(items[0].symbol!)), at: items[0].position), items[2]]
        default:
            throw QueryError("expected an attribute, a map or * in a pull pattern, found \(EDNWriter.write(form))",
                             at: form.position)
        }
        let written = ident.keyword!
        reverse = written.isReverse
        attribute = written.forward
        key = .keyword(written)
        guard options.count % 2 == 0 else {
            throw QueryError("pull attribute options come in pairs: \(EDNWriter.write(form))", at: form.position)
        }
        var i = options.startIndex
        while i < options.endIndex {
            let (name, value) = (options[i], options[i + 1])
            switch name.keyword?.text {
            case "as":
                guard let v = Value(edn: value) else {
                    throw QueryError(":as takes a scalar, found \(EDNWriter.write(value))", at: value.position)
                }
                key = v
            case "limit":
                switch value.form {
                case .nil: limit = nil
                case .int(let n) where n >= 0: limit = Int(min(n, Int64(Int32.max)))
                default:
                    throw QueryError(":limit takes a count or nil, found \(EDNWriter.write(value))", at: value.position)
                }
            case "default":
                guard let v = Value(edn: value) else {
                    throw QueryError(":default takes a scalar, found \(EDNWriter.write(value))", at: value.position)
                }
                defaultValue = v
            default:
                throw QueryError("unknown pull option \(EDNWriter.write(name)); expected :as, :limit or :default",
                                 at: name.position)
            }
            i += 2
        }
    }
}
