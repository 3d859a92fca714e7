import QuarryCore

extension qc_lookup_layout {
    /// Where the core's lookup loops (`qc_lookup_fold_doubles`,
    /// `qc_lookup_extend`) find a row's entity (in `entityColumn` of rows
    /// of `arity` columns, `rowStride` bytes apart) and a datom's fields.
    init(rowStride: Int, arity: Int, entityColumn: Int) {
        self.init(row_stride: rowStride, entity_word: entityColumn * 8, entity_tag: arity * 8 + entityColumn,
                  datom_stride: MemoryLayout<Datom>.stride, datom_e: MemoryLayout<Datom>.offset(of: \.e)!,
                  datom_v: MemoryLayout<Datom>.offset(of: \.v)!, datom_tag: MemoryLayout<Datom>.offset(of: \.vTag)!,
                  tag_int: ValueTag.int.rawValue, tag_ref: ValueTag.ref.rawValue, tag_double: ValueTag.double.rawValue)
    }
}
