#if Postgres
import Logging
import PostgresNIO
@_spi(Stores) import Quarry

/// The parts of a write beside the datoms: exact figures, uniqueness, the
/// schema (see ``PostgresSource/transact(_:)``).
extension PostgresSource {
    typealias Figures = [Keyword: SourceDescription.AttributeFigures]

    /// The stored figures of `attributes` (zero where none are stored).
    func storedFigures(_ attributes: Set<Keyword>, on conn: PostgresConnection) async throws -> Figures {
        var figures: Figures = [:]
        for a in attributes { figures[a] = .init(datoms: 0, distinctEntities: 0, distinctValues: 0) }
        counted()
        for try await (a, datoms, entities, values) in try await conn.send("""
            SELECT a, datoms, entities, vals FROM quarry_figures WHERE a = ANY(\(attributes.map(\.text))::TEXT[])
            """, logger: logger).decode((String, Int64, Int64, Int64).self) {
            figures[Keyword(a)] = .init(datoms: Int(datoms), distinctEntities: Int(entities), distinctValues: Int(values))
        }
        return figures
    }

    /// Counts `rows` (one typed `column`'s values) into `figures`: their
    /// datoms, and the entities and values no datom of the attribute holds
    /// (outside the rows). Called after removed rows are deleted (`sign`
    /// -1: those are gone) and before added ones are inserted (+1: those
    /// are new).
    func tally(_ figures: inout Figures, _ rows: PostgresChangeRows, _ column: PostgresValues.Column, sign: Int,
               on conn: PostgresConnection) async throws {
        counted()
        let result = try await conn.send(rows.query("""
            SELECT r.a, count(*)::BIGINT,
                (count(DISTINCT r.e) FILTER (WHERE NOT EXISTS (SELECT 1 FROM quarry_datoms d WHERE d.a = r.a AND d.e = r.e)))::BIGINT,
                (count(DISTINCT (r.vt, r.\(column.rawValue))) FILTER (WHERE NOT EXISTS (
                    SELECT 1 FROM quarry_datoms d WHERE d.a = r.a AND \(PostgresChangeRows.sameValue(column)))))::BIGINT
            FROM CHANGES GROUP BY r.a
            """), logger: logger)
        for try await (a, datoms, entities, values) in result.decode((String, Int64, Int64, Int64).self) {
            var f = figures[Keyword(a)] ?? .init(datoms: 0, distinctEntities: 0, distinctValues: 0)
            // A damaged store may hold figures below the truth: they stop at 0.
            f.datoms = max(0, f.datoms + sign * Int(datoms))
            f.distinctEntities = max(0, f.distinctEntities + sign * Int(entities))
            f.distinctValues = max(0, f.distinctValues + sign * Int(values))
            figures[Keyword(a)] = f
        }
    }

    /// Writes `figures` back; an attribute left without datoms has none.
    func save(_ figures: Figures, on conn: PostgresConnection) async throws {
        let kept = figures.filter { $0.value.datoms > 0 }.sorted { $0.key < $1.key }
        let gone = figures.filter { $0.value.datoms <= 0 }.map(\.key.text)
        if !kept.isEmpty {
            counted()
            try await conn.send("""
                INSERT INTO quarry_figures (a, datoms, entities, vals)
                SELECT * FROM unnest(\(kept.map(\.key.text))::TEXT[], \(kept.map { Int64($0.value.datoms) })::BIGINT[],
                    \(kept.map { Int64($0.value.distinctEntities) })::BIGINT[],
                    \(kept.map { Int64($0.value.distinctValues) })::BIGINT[])
                ON CONFLICT (a) DO UPDATE SET datoms = excluded.datoms, entities = excluded.entities, vals = excluded.vals
                """, logger: logger)
        }
        if !gone.isEmpty {
            counted()
            try await conn.send("DELETE FROM quarry_figures WHERE a = ANY(\(gone)::TEXT[])", logger: logger)
        }
    }

    /// Every unique value the write added is held by one entity in the
    /// whole table; an attribute the write made unique is checked whole.
    func checkUnique(_ added: [DatomChange], schema: [Attribute], was: [Attribute],
                     on conn: PostgresConnection) async throws {
        let unique = Set(schema.filter { $0.unique != nil }.map(\.ident))
        guard !unique.isEmpty else { return }
        let checked = added.filter { unique.contains($0.attribute) }
        for (column, changes) in Dictionary(grouping: checked, by: { PostgresValues.column($0.value.tag) }) {
            counted()
            let result = try await conn.send(PostgresChangeRows(changes).query("""
                SELECT r.a, min(d.e), max(d.e), r.vt, r.vi, r.vd, r.vs, r.vb
                FROM CHANGES JOIN quarry_datoms d ON d.a = r.a AND \(PostgresChangeRows.sameValue(column))
                GROUP BY r.a, r.vt, r.vi, r.vd, r.vs, r.vb HAVING count(DISTINCT d.e) > 1 LIMIT 1
                """), logger: logger)
            for try await (a, first, second, vt, vi, vd, vs, vb) in result.decode(
                (String, Int64, Int64, Int16, Int64?, Double?, String?, ByteBuffer?).self) {
                throw TransactionError.uniqueConflict(Keyword(a), try PostgresValues.value(tag: vt, vi: vi, vd: vd, vs: vs, vb: vb),
                                                      first, second)
            }
        }
        let wasUnique = Set(was.filter { $0.unique != nil }.map(\.ident))
        for a in unique.subtracting(wasUnique).sorted() {
            counted()
            let result = try await conn.send("""
                SELECT min(e), max(e), vt, vi, vd, vs, vb FROM quarry_datoms WHERE a = \(a.text)
                GROUP BY vt, vi, vd, vs, vb HAVING count(DISTINCT e) > 1 LIMIT 1
                """, logger: logger)
            for try await (first, second, vt, vi, vd, vs, vb) in result.decode(
                (Int64, Int64, Int16, Int64?, Double?, String?, ByteBuffer?).self) {
                throw TransactionError.uniqueConflict(a, try PostgresValues.value(tag: vt, vi: vi, vd: vd, vs: vs, vb: vb),
                                                      first, second)
            }
        }
    }

    /// Writes the attributes whose definition the write changed.
    func saveSchema(_ attributes: [Attribute], was: [Attribute], on conn: PostgresConnection) async throws {
        let old = Dictionary(was.map { ($0.ident, $0) }, uniquingKeysWith: { a, _ in a })
        for a in attributes where old[a.ident] != a {
            counted()
            try await conn.send("""
                INSERT INTO quarry_attributes (ident, value_type, many, uniq, indexed, component)
                VALUES (\(a.ident.text), \(a.valueType?.rawValue), \(a.cardinalityMany), \(a.unique?.rawValue),
                        \(a.indexed), \(a.isComponent))
                ON CONFLICT (ident) DO UPDATE SET value_type = excluded.value_type, many = excluded.many,
                    uniq = excluded.uniq, indexed = excluded.indexed, component = excluded.component
                """, logger: logger)
        }
    }
}
#endif
