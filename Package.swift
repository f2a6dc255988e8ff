// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "model-catalog",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "model-catalog", targets: ["model-catalog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // libpq, found through pkg-config; Debian's libpq-dev provides it.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Swift over libpq: connections, parameterised queries, pool, LISTEN, embedded server.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Pure domain: no I/O, no dependency of ours.
        .target(
            name: "Catalog",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                // TreeDictionary: the snapshot's persistent id and tenant indexes (DeploymentIndex).
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ]
        ),
        // SQL: migrations, repositories, change feed.
        .target(
            name: "CatalogStore",
            dependencies: [
                "Catalog",
                "Postgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Migrations"), .copy("Resources/model_prices_and_context_window.json")]
        ),
        // The HTTP application.
        .target(
            name: "CatalogServer",
            dependencies: [
                "Catalog",
                "CatalogStore",
                "Postgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // The HTTP part types of the connection guard, and the codec's conversion errors.
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The OpenAPI description served at /openapi.json (the repository's openapi.yaml links here).
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/ui")]
        ),
        .executableTarget(
            name: "model-catalog",
            dependencies: [
                "CatalogServer",
                "CatalogStore",
                "Postgres",
                "Catalog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The benchmark's ceiling server (bench/run.sh): a static body on the same stack.
        .executableTarget(
            name: "catalog-bench-ceiling",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
        // Starts one PostgreSQL for the whole test run and hands each test its own database.
        .target(
            name: "TestSupport",
            dependencies: ["Postgres", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "CatalogStoreTests", dependencies: ["CatalogStore", "Postgres", "TestSupport"]),
        .testTarget(
            name: "CatalogServerTests",
            dependencies: [
                "CatalogServer",
                "CatalogStore",
                "Postgres",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                // The change stream's tests read Server-Sent Events as they arrive.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
