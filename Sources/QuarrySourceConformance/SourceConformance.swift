import Quarry

/// Checks that a ``Quarry/DatomSource`` answers as Quarry expects: every
/// shape of batched scan, value types, filters, the order of rows, the
/// schema and figures, read sessions and, for a writable source, what a
/// session sees of a write. The answers are compared with Quarry's
/// in-memory store holding the same data.
///
/// Run it from your own tests with a factory that makes a fresh store
/// holding exactly the transaction data it is given:
///
/// ```swift
/// let failures = await SourceConformance { data in
///     try await MySource.create(loading: data)
/// }.run()
/// #expect(failures.isEmpty, "\(failures)")
/// ```
///
/// The data is one EDN vector of transaction data (entity maps and
/// `:db/add` lists, the schema first), as ``Quarry/Database/transact(_:)``
/// takes it. A source made from it must hold the datoms the in-memory
/// transactor makes of it, except the transaction's own `:db/txInstant`
/// (its time differs), and keep exact figures.
public struct SourceConformance: Sendable {
    /// Makes a new store holding `data` and returns a source over it.
    public typealias MakeSource = @Sendable (_ data: EDN) async throws -> any DatomSource

    /// One check the source failed.
    public struct Failure: Sendable, CustomStringConvertible {
        /// The check's name (one of ``SourceConformance/checks``).
        public var check: String
        /// What went wrong, with the request that showed it.
        public var message: String

        public var description: String { "\(check): \(message)" }
    }

    private let makeSource: MakeSource

    /// A suite for the sources `makeSource` makes.
    public init(_ makeSource: @escaping MakeSource) {
        self.makeSource = makeSource
    }

    /// The checks, by name, in the order they run.
    public static var checks: [String] { ConformanceChecks.all.map(\.name) }

    /// Runs the checks (all of them, or those named in `only`) and returns
    /// every failure; empty when the source conforms. A source that cannot
    /// be made is one failure.
    public func run(only: Set<String>? = nil) async -> [Failure] {
        let data: EDN
        let reference: Database
        do {
            data = try EDNReader.readOne(ConformanceData.transaction)
            reference = try Database().transact(data)
        } catch {
            return [Failure(check: "setup", message: "the suite's own data failed: \(error)")]
        }
        let source: any DatomSource
        do {
            source = try await makeSource(data)
        } catch {
            return [Failure(check: "setup", message: "the source could not be made: \(error)")]
        }
        var failures: [Failure] = []
        for check in ConformanceChecks.all where only?.contains(check.name) ?? true {
            var context = ConformanceChecks.Context(source: source, reference: reference, makeSource: makeSource)
            do {
                try await check.run(&context)
            } catch {
                context.fail("threw \(error)")
            }
            failures += context.failures.map { Failure(check: check.name, message: $0) }
        }
        return failures
    }
}
