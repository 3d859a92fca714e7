#if Postgres
import NIOCore
import PostgresNIO
@_spi(Stores) import Quarry

/// Datoms a write adds or removes, as eight array parameters a statement
/// unnests into rows (``table``): a value fills its typed column and the
/// others are NULL. Keys never enter the SQL text.
struct PostgresChangeRows {
    private(set) var binds = PostgresBindings()
    let count: Int

    init(_ changes: some Collection<DatomChange>) {
        var e: [Int64] = [], a: [String] = [], vt: [Int16] = [], tx: [Int64] = []
        var vi: [Int64] = [], vd: [Double] = [], vs: [String] = [], vb: [ByteBuffer] = []
        for c in changes {
            e.append(c.entity)
            a.append(c.attribute.text)
            vt.append(PostgresValues.storedTag(c.value.tag))
            tx.append(c.tx)
            // Arrays hold no NULLs: a placeholder where the value's column is another.
            vi.append(PostgresValues.integer(c.value) ?? 0)
            if case .double(let d) = c.value { vd.append(d) } else { vd.append(0) }
            vs.append(PostgresValues.text(c.value) ?? "")
            vb.append(PostgresValues.bytes(c.value) ?? ByteBuffer())
        }
        count = e.count
        binds.append(e)
        binds.append(a)
        binds.append(vt)
        binds.append(vi)
        binds.append(vd)
        binds.append(vs)
        binds.append(vb)
        binds.append(tx)
    }

    /// The rows as a table `r(e, a, vt, vi, vd, vs, vb, tx)`, for `FROM`.
    static let table: String = {
        func tags(_ ts: [ValueTag]) -> String { ts.map { String(PostgresValues.storedTag($0)) }.joined(separator: ", ") }
        return """
            (SELECT e, a, vt, CASE WHEN vt IN (\(tags([.int, .bool, .instant]))) THEN vi END AS vi,
                CASE WHEN vt = \(tags([.double])) THEN vd END AS vd,
                CASE WHEN vt IN (\(tags([.string, .keyword]))) THEN vs END AS vs,
                CASE WHEN vt IN (\(tags([.uuid, .tuple, .map]))) THEN vb END AS vb, tx
             FROM unnest($1::BIGINT[], $2::TEXT[], $3::SMALLINT[], $4::BIGINT[], $5::FLOAT8[], $6::TEXT[], $7::BYTEA[],
                $8::BIGINT[]) AS u(e, a, vt, vi, vd, vs, vb, tx)) AS r
            """
    }()

    /// `sql` with `CHANGES` standing for ``table``.
    func query(_ sql: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: sql.replacingOccurrences(of: "CHANGES", with: Self.table), binds: binds)
    }

    /// The condition that datom `d` holds the value of row `r`, on the
    /// typed column `column` alone, so that the value indexes serve it.
    static func sameValue(_ column: PostgresValues.Column) -> String {
        switch column {
        case .vi: "d.vt = r.vt AND d.vi = r.vi"
        case .vd: "d.vt = r.vt AND d.vd = r.vd"
        case .vs: "d.vt = r.vt AND left(d.vs, 256) = left(r.vs, 256) AND d.vs = r.vs"
        case .vb: "d.vt = r.vt AND d.vb = r.vb"
        }
    }
}
#endif
