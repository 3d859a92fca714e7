/// One datom as the store keeps it: 32 bytes, flat.
///
/// The attribute is the interned id of its ident's text, so that a pattern
/// variable in attribute position binds a keyword without a lookup. Entity
/// ids and refs are integers (`ValueTag.int`), as in Datomic, so that an
/// entity in one pattern joins a ref value in another.
struct Datom: BitwiseCopyable, Equatable {
    var e: Int64
    var v: UInt64
    var tx: Int64
    var a: UInt32
    var vTag: UInt8

    var value: EncodedValue { EncodedValue(word: v, tag: ValueTag(rawValue: vTag) ?? .int) }

    /// Orders by (e, a, v, tx): the EAVT index.
    @inline(__always)
    static func eavt(_ x: Datom, _ y: Datom) -> Bool {
        if x.e != y.e { return x.e < y.e }
        if x.a != y.a { return x.a < y.a }
        return valueThenTx(x, y)
    }

    /// Orders by (a, e, v, tx): each attribute's datoms in entity order,
    /// the order a database's runs are built in.
    @inline(__always)
    static func aevt(_ x: Datom, _ y: Datom) -> Bool {
        if x.a != y.a { return x.a < y.a }
        if x.e != y.e { return x.e < y.e }
        return valueThenTx(x, y)
    }

    /// The last keys of both orders: the value (tag, word), then the transaction.
    @inline(__always)
    private static func valueThenTx(_ x: Datom, _ y: Datom) -> Bool {
        if x.vTag != y.vTag { return x.vTag < y.vTag }
        if x.v != y.v { return x.v < y.v }
        return x.tx < y.tx
    }
}
