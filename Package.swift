// swift-tools-version: 6.1
import PackageDescription

// The C core allocates through a dedicated jemalloc arena when the
// `Jemalloc` trait is on (the default). Linking jemalloc replaces malloc for
// the whole process, which AddressSanitizer and ThreadSanitizer cannot live
// with, so sanitizer runs build with `--disable-default-traits` and the core
// falls back to the system allocator, still counting every byte.
let jemalloc: BuildSettingCondition = .when(traits: ["Jemalloc"])

let package = Package(
    name: "Quarry",
    products: [
        .library(name: "Quarry", targets: ["Quarry"]),
        .library(name: "QuarrySourceConformance", targets: ["QuarrySourceConformance"]),
        .library(name: "QuarryPostgres", targets: ["QuarryPostgres"]),
        .executable(name: "quarry", targets: ["quarry"]),
    ],
    traits: [
        .trait(name: "Jemalloc", description: "Allocate the engine's memory in a dedicated jemalloc arena."),
        .trait(name: "Postgres", description: "The PostgreSQL source (through postgres-nio) and postgres:// databases in the CLI."),
        .default(enabledTraits: ["Jemalloc", "Postgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/ordo-one/TextTable", from: "0.0.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "QuarryCore",
            path: "CSupport/QuarryCore",
            cSettings: [
                .define("QUARRY_JEMALLOC", jemalloc),
            ],
            linkerSettings: [
                .linkedLibrary("xxhash"),
                .linkedLibrary("jemalloc", jemalloc),
            ]
        ),
        .systemLibrary(
            name: "CSQLite",
            path: "CSupport/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "Quarry",
            dependencies: [
                "QuarryCore",
                "CSQLite",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Sources/Quarry"
        ),
        // The checks a third party runs against its own DatomSource.
        .target(
            name: "QuarrySourceConformance",
            dependencies: ["Quarry"],
            path: "Sources/QuarrySourceConformance"
        ),
        // Datoms in PostgreSQL (or a database that speaks its protocol). Empty
        // without the Postgres trait: sanitizer builds leave SwiftNIO out.
        .target(
            name: "QuarryPostgres",
            dependencies: [
                "Quarry",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
            ],
            path: "Sources/QuarryPostgres"
        ),
        // The demos' and benchmarks' workloads (OHLC bars, a market), outside
        // the library an embedder links.
        .target(
            name: "QuarryWorkloads",
            dependencies: ["Quarry"],
            path: "Sources/QuarryWorkloads"
        ),
        .target(
            name: "QuarryReport",
            dependencies: [.product(name: "TextTable", package: "TextTable")],
            path: "Sources/QuarryReport"
        ),
        .executableTarget(
            name: "quarry",
            dependencies: [
                "Quarry",
                "QuarryWorkloads",
                "QuarryReport",
                "QuarryPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/quarry"
        ),
        .executableTarget(
            name: "quarry-bench",
            dependencies: [
                "Quarry",
                "QuarryWorkloads",
                "QuarryReport",
                "CSQLite",
                "QuarryPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The network benchmark's delay proxy and its server counts.
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/QuarryBench"
        ),
        // libFuzzer targets (`.ci/fuzz` builds them with -sanitize=fuzzer);
        // a plain build replays corpus files through them.
        .executableTarget(
            name: "quarry-fuzz",
            dependencies: ["Quarry"],
            path: "Tests/Fuzz/Sources"
        ),
        .testTarget(
            name: "QuarryTests",
            dependencies: [
                "Quarry", "QuarryCore", "QuarryWorkloads", "QuarrySourceConformance", "QuarryPostgres",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/QuarryTests"
        ),
    ]
)
