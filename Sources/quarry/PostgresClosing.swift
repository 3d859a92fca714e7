#if Postgres
import QuarryPostgres

extension PostgresSource {
    /// `body` with this source, which is closed afterwards, whether `body`
    /// returned or threw: a command's pool never outlives it.
    func closing<T>(_ body: (PostgresSource) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}
#endif
