/// The query benchmark's data: customers, products and orders, written as
/// EDN transaction data (entity maps), deterministic for a datom count.
///
/// Customers and products hold 2 datoms each and are 1% of the datoms
/// apiece; orders hold 4 (customer ref, product ref, amount, quantity).
struct QueryWorkload {
    static let regions = 20
    static let categories = 50

    let customers: Int
    let products: Int
    let orders: Int

    var datoms: Int { 2 * customers + 2 * products + 4 * orders }

    init(datoms: Int) {
        customers = max(1, datoms / 100)
        products = max(1, datoms / 100)
        orders = max(1, (datoms - 2 * customers - 2 * products) / 4)
    }

    /// The transaction data: the schema, then every entity as a map.
    func edn() -> String {
        var out = """
        [{:db/ident :order/customer :db/valueType :db.type/ref}
         {:db/ident :order/product :db/valueType :db.type/ref}
         {:db/ident :order/amount :db/valueType :db.type/double}
         {:db/ident :order/qty :db/valueType :db.type/long}
         {:db/ident :customer/name :db/valueType :db.type/string :db/unique :db.unique/identity}
         {:db/ident :product/name :db/valueType :db.type/string}

        """
        out.reserveCapacity(orders * 90 + (customers + products) * 60)
        for c in 0..<customers {
            out += "{:db/id \(customerID(c)) :customer/name \"customer-\(c)\" :customer/region :region/r\(c % Self.regions)}\n"
        }
        for p in 0..<products {
            out += "{:db/id \(productID(p)) :product/name \"product-\(p)\" :product/category :category/c\(p % Self.categories)}\n"
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for o in 0..<orders {
            // A multiplicative hash spreads orders over customers and products without a pattern the planner could exploit.
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let c = Int((state >> 33) % UInt64(customers))
            let p = Int((state >> 13) % UInt64(products))
            let amount = Double((o * 37) % 1000) / 4
            out += "{:db/id \(orderID(o)) :order/customer \(customerID(c)) :order/product \(productID(p)) :order/amount \(amount) :order/qty \(1 + o % 10)}\n"
        }
        out += "]"
        return out
    }

    func customerID(_ c: Int) -> Int { 1 + c }
    func productID(_ p: Int) -> Int { 1 + customers + p }
    func orderID(_ o: Int) -> Int { 1 + customers + products + o }

    /// The benchmark's queries: a name, what it shows, and the EDN.
    static let queries: [(name: String, text: String)] = [
        ("point join", """
         [:find ?product ?amount :where [?c :customer/name "customer-42"] [?o :order/customer ?c]
          [?o :order/product ?p] [?p :product/name ?product] [?o :order/amount ?amount]]
         """),
        ("3-way join", """
         [:find ?o ?region ?category :where [?o :order/customer ?c] [?o :order/product ?p]
          [?c :customer/region ?region] [?p :product/category ?category]]
         """),
        ("aggregate, 20 groups", """
         [:find ?region (count ?o) (sum ?amount) :where [?o :order/customer ?c] [?c :customer/region ?region]
          [?o :order/amount ?amount]]
         """),
        ("range, 1% of amounts", """
         [:find ?o ?amount :where [?o :order/amount ?amount] [(> ?amount 247.5)]]
         """),
        ("aggregate, 1% groups", """
         [:find ?p (sum ?q) (max ?amount) :with ?o :where [?o :order/product ?p] [?o :order/qty ?q]
          [?o :order/amount ?amount]]
         """),
    ]
}
