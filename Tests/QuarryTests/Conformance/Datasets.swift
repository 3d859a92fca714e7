/// The data the conformance suite queries (written for it).
enum Datasets {
    /// People, friendships, ages, salaries; the classic DataScript-style example.
    static let people = """
    [{:db/ident :person/email :db/unique :db.unique/identity}
     {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
     {:db/ident :person/parent :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
     {:db/ident :person/aka :db/cardinality :db.cardinality/many}
     {:db/ident :person/salary :db/valueType :db.type/double}
     {:db/id 1 :person/name "Ivan" :person/age 15 :person/sex :male :person/salary 100.5 :person/aka ["Vanya" "Ivanushka"]
      :person/born #inst "2009-03-04T10:00:00.000Z"}
     {:db/id 2 :person/name "Petr" :person/age 37 :person/sex :male :person/salary 200 :person/friend [1 3]
      :person/born #inst "1987-11-30T23:59:59.999Z"}
     {:db/id 3 :person/name "Oleg" :person/age 37 :person/sex :male :person/friend 4 :person/parent 2}
     {:db/id 4 :person/name "Anna" :person/age 22 :person/sex :female :person/salary 300.25 :person/parent [2 5]}
     {:db/id 5 :person/name "Maria" :person/age 61 :person/sex :female :person/email "maria@example.com"}
     {:db/id 6 :person/name "Ivan" :person/age 44}]
    """

    /// A small graph for recursive rules: 1 -> 2 -> 3 -> 4, 2 -> 5, 6 -> 6.
    static let graph = """
    [{:db/ident :edge/to :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
     {:db/id 1 :node/name "a" :edge/to 2}
     {:db/id 2 :node/name "b" :edge/to [3 5]}
     {:db/id 3 :node/name "c" :edge/to 4}
     {:db/id 4 :node/name "d"}
     {:db/id 5 :node/name "e"}
     {:db/id 6 :node/name "f" :edge/to 6}]
    """

    /// Orders and items with mixed numeric types.
    static let shop = """
    [{:db/ident :order/item :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
     {:db/ident :item/sku :db/unique :db.unique/identity}
     {:db/id "i1" :item/sku "A" :item/price 10}
     {:db/id "i2" :item/sku "B" :item/price 2.5}
     {:db/id "i3" :item/sku "C" :item/price 10.0}
     {:db/id "o1" :order/id 100 :order/item ["i1" "i2"] :order/paid true}
     {:db/id "o2" :order/id 101 :order/item ["i1" "i3"] :order/paid false}
     {:db/id "o3" :order/id 102 :order/paid true}]
    """
}
