/// How transaction data names an entity.
enum EntityRef: Hashable {
    /// An entity id used as given.
    case id(Int64)
    /// A tempid: a negative integer, a string, or an entity map without
    /// `:db/id`; resolved consistently within one transaction.
    case tempid(String)
    /// `[:attr value]` for a unique attribute.
    case lookup(Keyword, EDN)
    /// A keyword naming the entity whose `:db/ident` it is.
    case ident(Keyword)
    /// The entity of the attribute a schema map declares: the one that
    /// has the ident already, or a new attribute entity.
    case attribute(Keyword)

    /// `"datomic.tx"` and `:db/current-tx`: the transaction's own entity.
    var isCurrentTransaction: Bool {
        switch self {
        case .tempid(let t): t == Self.transactionTempid
        case .ident(let k): k.text == "db/current-tx"
        default: false
        }
    }

    /// The tempid `"datomic.tx"` as the parser records string tempids.
    static let transactionTempid = "\"datomic.tx\""
}

/// One assertion or retraction after maps and nesting are flattened.
struct TxOp {
    enum Kind {
        case add
        case retract
        /// `[:db/retract e a]`: every value of the attribute.
        case retractAttribute
        /// `[:db/retractEntity e]`: the entity's datoms and the refs to it.
        case retractEntity
    }

    enum Operand {
        case value(Value)
        case entity(EntityRef)
        case none
    }

    var kind: Kind
    var entity: EntityRef
    var attribute: Keyword
    var value: Operand
    var position: SourcePosition
    /// `[:db/cas e a old new]`: an `.add` of `new` that first requires the
    /// database before the transaction to hold `old` (`.none`: no value).
    var expected: Operand? = nil
}
