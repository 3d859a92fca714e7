import Foundation
import Quarry

/// A small database of people for the embedding API's tests.
enum EmbeddingFixture {
    static let schema = """
        [{:db/ident :name :db/cardinality :db.cardinality/one}
         {:db/ident :age :db/cardinality :db.cardinality/one}
         {:db/ident :friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
        """

    static func people() throws -> Database {
        let text = """
            [{:db/id -1 :name "Ann" :age 31 :friend -2}
             {:db/id -2 :name "Bo" :age 42 :friend -3}
             {:db/id -3 :name "Cy" :age 17}
             {:db/id -4 :name "Di" :age 42 :friend -1}]
            """
        return try Database().transact(try EDNReader.readOne(schema)).transact(try EDNReader.readOne(text))
    }

    /// `count` entities with `:n` 0..<count.
    static func numbers(_ count: Int) throws -> Database {
        let ops = (0..<count).map { "{:n \($0)}" }.joined(separator: " ")
        return try Database().transact(try EDNReader.readOne("[" + ops + "]"))
    }
}
