import Quarry
import Testing

@Suite struct ScanShapeRulesTests {
    let open = Keyword("price/open"), close = Keyword("price/close")

    func shape(_ attrs: [Keyword], _ params: PositionSet, _ kinds: [ValueTag], projection: PositionSet = [],
               filter: ScanFilter = ScanFilter()) -> ScanShape {
        ScanShape(source: "s", attributes: attrs, parameters: params, parameterKinds: kinds, projection: projection,
                  filter: filter)
    }

    @Test func fingerprintsAreEqualForEqualShapesOnly() {
        #expect(shape([open], .e, [.int]).fingerprint == shape([open], .e, [.int]).fingerprint)
        #expect(shape([open], .e, [.int]).fingerprint != shape([close], .e, [.int]).fingerprint)
        #expect(shape([open], .e, [.int]).fingerprint != shape([open], .e, [.int], projection: .tx).fingerprint)
    }

    @Test func aScanKeyedByFewerPositionsServesANarrowerOne() {
        let byEntity = shape([open], .e, [.int])
        let byEntityAndValue = shape([open], [.e, .v], [.int, .double])
        #expect(byEntity.canSatisfy(byEntityAndValue))
        #expect(!byEntityAndValue.canSatisfy(byEntity))
        #expect(byEntity.key(of: [.int(7), .double(1)], for: byEntityAndValue) == [.int(7)])
    }

    @Test func projectionAttributesAndKindsMustCover() {
        #expect(!shape([open], .e, [.int]).canSatisfy(shape([open], .e, [.int], projection: .tx)))
        #expect(shape([open], .e, [.int], projection: .tx).canSatisfy(shape([open], .e, [.int])))
        #expect(!shape([open], .v, [.string]).canSatisfy(shape([open], .v, [.int])))
        #expect(!shape([open], .e, [.int]).canSatisfy(shape([close], .e, [.int])))
        #expect(shape([open, close], .e, [.int]).canSatisfy(shape([close], .e, [.int])))
        #expect(shape([], .e, [.int]).canSatisfy(shape([close], .e, [.int])))
        #expect(!shape([close], .e, [.int]).canSatisfy(shape([], .e, [.int])))
        #expect(!shape([open], [], []).canSatisfy(shape([open], [], [], projection: .tx)))
    }

    @Test func filtersSubsume() {
        let above10 = ScanFilter(lower: .init(.int(10), inclusive: false))
        let above20 = ScanFilter(lower: .init(.double(20), inclusive: true))
        #expect(shape([open], .e, [.int], filter: above10).canSatisfy(shape([open], .e, [.int], filter: above20)))
        #expect(!shape([open], .e, [.int], filter: above20).canSatisfy(shape([open], .e, [.int], filter: above10)))
        #expect(shape([open], .e, [.int]).canSatisfy(shape([open], .e, [.int], filter: above10)))
        #expect(!shape([open], .e, [.int], filter: above10).canSatisfy(shape([open], .e, [.int])))
        #expect(above10.admits(.double(10.5)) && !above10.admits(.int(10)) && !above10.admits(.string("x")))
    }

    @Test func mergeUnitesAttributesProjectionsAndBindings() throws {
        let a = ScanRequest(shape: shape([open], .e, [.int]), bindings: [[.int(1)], [.int(2)]])
        let b = ScanRequest(shape: shape([close], .e, [.int], projection: .tx), bindings: [[.int(2)], [.int(3)]])
        let (merged, positions) = try #require(ScanRequest.merge([a, b]))
        #expect(merged.shape.attributes == [close, open])
        #expect(merged.shape.projection == [.a, .v, .tx])
        #expect(merged.bindings == [[.int(1)], [.int(2)], [.int(3)]])
        #expect(positions == [[0, 1], [1, 2]])
        #expect(merged.shape.canSatisfy(a.shape) && merged.shape.canSatisfy(b.shape))
        #expect(ScanRequest.merge([a, ScanRequest(shape: shape([open], .v, [.int]), bindings: [])]) == nil)
    }

    @Test func strategiesFollowTheFigures() {
        let base = ScanStrategy.Figures(keys: 10, estimatedRows: 10, rowBytes: 20, distinctKeys: 1000, attributeRows: 1000,
                                        consumers: 1, headroomBytes: nil, cacheBytes: 1 << 20)
        #expect(ScanStrategy.choose(base).strategy == .batched)
        var most = base
        most.keys = 600
        #expect(ScanStrategy.choose(most).strategy == .full)
        var tight = base
        tight.headroomBytes = 400
        let partial = ScanStrategy.choose(tight)
        #expect(partial.strategy == .partial && partial.chunkKeys == 5)
        var huge = base
        huge.estimatedRows = 1e6
        #expect(ScanStrategy.choose(huge).strategy == .stream)
        huge.consumers = 2
        #expect(ScanStrategy.choose(huge).strategy == .batched)
    }
}
