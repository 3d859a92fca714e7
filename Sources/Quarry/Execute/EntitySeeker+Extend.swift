import QuarryCore

extension DatomRun.EntitySeeker {
    /// A ``PatternJoin``'s lookup by entity for the rows of `batch` from
    /// `k` on, in one C loop (`qc_lookup_extend`) while their entities rise
    /// within the seeker's chunk: each row widened by each of its entity's
    /// datoms (`output`: the new column, the datom's entity or value) into
    /// `out`, at most `room` rows. The rows taken (0: the next row is for
    /// the general path, which searches).
    mutating func extend(_ batch: RowBuffer, from k: Int, entityColumn: Int, into out: RowBuffer, room: Int,
                         output: (position: Int, column: Int)?) throws -> Int {
        // Room for a datom a row, not a whole batch: a small input (a
        // streaming subquery's run) keeps a small buffer. A row with more
        // datoms than the room left goes to the general path, which grows it.
        let room = min(room, batch.count - k)
        guard var window, out.stride > 0, room > 0, output.map({ $0.position == 0 || $0.position == 2 }) ?? true
        else { return 0 }
        var layout = qc_lookup_layout(rowStride: batch.stride, arity: batch.arity, entityColumn: entityColumn)
        let taken = try out.appendRows(upTo: room) { to in
            var written = 0
            let taken = qc_lookup_extend(batch.rowPointer(k), batch.count - k, &layout, batch.arity, &window, to,
                                         out.stride, out.arity, room, Int32(output?.position ?? 0),
                                         output?.column ?? -1, &written)
            return (written, taken)
        }
        walked(window)
        return taken
    }
}
