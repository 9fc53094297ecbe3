// swift-tools-version:6.2
import PackageDescription

/// Our own targets build with every warning an error (the compiler's warnings have caught
/// real bugs here, such as a `where` that applied to one pattern of two).
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Nurture",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nurture", targets: ["nurture"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Exact: the tracking fast path (TrackingFirstHTTP1Channel) takes out and puts back
        // HummingbirdCore's connection-state handler, an internal a minor release may change.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Both come with Hummingbird; named here because `serve` uses them directly.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The scale-out store: PostgresClient (a pool run as a service), bound parameters, COPY.
        // Exact: ConnectionLossWatch works around how 1.33.2 loses a query written to a
        // closing connection; a new release is to be checked against the restart tests.
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        // The pure domain: campaigns, validation, rendering, leads. No I/O but reading
        // the files it is asked to read, no clock.
        // RFC 5322/2045/2047 messages: headers, encoded-words, quoted-printable, dates.
        .target(name: "NurtureMIME", swiftSettings: strict),
        .target(
            name: "NurtureCore",
            dependencies: [
                "NurtureMIME",
                .product(name: "Crypto", package: "swift-crypto"),
                // RSA for DKIM signatures (Ed25519 is in Crypto).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                // The send loop's log lines go to whatever handler its caller injects.
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Debian's libsqlite3 (libsqlite3-dev), reached through a module map.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "NurtureStore", dependencies: ["NurtureCore", "CSQLite"], swiftSettings: strict),
        // The PostgreSQL store: same contract as the SQLite one, its own SQL and migrations.
        .target(
            name: "NurturePostgres",
            dependencies: [
                "NurtureCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The C side of libcurl (Debian's libcurl4-openssl-dev): setopt is variadic.
        .target(
            name: "CCurlShim", cSettings: [.treatAllWarnings(as: .error)], linkerSettings: [.linkedLibrary("curl")]),
        // Transports: the outbox folder, and SMTP through libcurl.
        .target(name: "NurtureDelivery", dependencies: ["NurtureCore", "CCurlShim"], swiftSettings: strict),
        // The HTTP side: tracking, unsubscribe, lead capture, previews and reports.
        .target(
            name: "NurtureServer",
            dependencies: [
                "NurtureCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "nurture",
            dependencies: [
                "NurtureCore",
                "NurtureStore",
                "NurturePostgres",
                "NurtureDelivery",
                "NurtureServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Helpers shared by the test targets (temporary folders, the example project).
        .target(
            name: "NurtureTestSupport", dependencies: ["NurtureCore", "NurtureStore", "NurturePostgres"],
            path: "Tests/NurtureTestSupport",
            swiftSettings: strict),
        .testTarget(
            name: "NurtureCoreTests", dependencies: ["NurtureCore", "NurtureTestSupport"], swiftSettings: strict),
        .testTarget(name: "NurtureMIMETests", dependencies: ["NurtureMIME"], swiftSettings: strict),
        .testTarget(
            name: "NurtureStoreTests", dependencies: ["NurtureStore", "NurtureCore", "NurtureTestSupport"],
            swiftSettings: strict),
        // End-to-end tests run the built `nurture` binary; depending on the
        // executable target makes `swift test` build it first.
        .testTarget(name: "NurtureCLITests", dependencies: ["nurture", "NurtureTestSupport"], swiftSettings: strict),
    ]
)
