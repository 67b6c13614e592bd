// swift-tools-version:6.1
import PackageDescription

// One library per pipeline stage; executables are thin shells over them.
// C libraries (libcsv, zlib) come in as system library targets.
let package = Package(
    name: "llr-returns",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "llr-validate", targets: ["llr-validate"]),
        .executable(name: "llr-bench", targets: ["llr-bench"]),
        .executable(name: "llr-synth", targets: ["llr-synth"]),
        .executable(name: "llr-normalise", targets: ["llr-normalise"]),
        .executable(name: "llr-dedupe", targets: ["llr-dedupe"]),
        .executable(name: "llr-merge", targets: ["llr-merge"]),
        .executable(name: "llr-docs", targets: ["llr-docs"]),
        .executable(name: "llr-measures", targets: ["llr-measures"]),
        .executable(name: "llr-serve", targets: ["llr-serve"]),
        .library(name: "LLRCore", targets: ["LLRCore"]),
        .library(name: "LLRValidation", targets: ["LLRValidation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CLibCSV", path: "Sources/CLibCSV", providers: [.apt(["libcsv-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CLLRSupport"),
        .target(
            name: "LLRCore",
            dependencies: [
                "CLibCSV", "CZlib", "CLLRSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "LLRValidation", dependencies: ["LLRCore"]),
        .target(name: "LLRSynth", dependencies: ["LLRCore", "LLRValidation"]),
        .target(
            name: "LLRCommandLine",
            dependencies: ["LLRCore", "LLRValidation", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The pseudonym key options, apart, so that llr-validate links no crypto or SQLite.
        .target(
            name: "LLRKeyOptions",
            dependencies: ["LLRCommandLine", "LLRDedupe", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "LLRNormalise", dependencies: ["LLRCore", "LLRValidation"]),
        .target(
            name: "LLRDedupe",
            dependencies: ["LLRCore", "LLRNormalise", "CSQLite", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "LLRMerge",
            dependencies: [
                "LLRCore", "LLRValidation", "LLRNormalise", "LLRDedupe", "LLRMeasures",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The board's measures (Pipelines/measures.yaml) over the aligned events.
        .target(name: "LLRMeasures", dependencies: ["LLRCore", .product(name: "Yams", package: "Yams")]),
        // The contract's reference pages in docs/contract/, written from Pipelines/.
        .target(name: "LLRDocs", dependencies: ["LLRCore", "LLRValidation", "LLRNormalise", "LLRDedupe", "LLRMeasures", "LLRMerge", "LLRWarehouse"]),
        .executableTarget(
            name: "llr-docs",
            dependencies: [
                "LLRDocs", "LLRCore", "LLRValidation", "LLRCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "llr-measures",
            dependencies: [
                "LLRMeasures", "LLRMerge", "LLRCore", "LLRValidation", "LLRCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The analysts' warehouse: the nightly dataset into PostgreSQL, swapped in whole.
        .target(
            name: "LLRWarehouse",
            dependencies: [
                "LLRCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The partners' upload portal (llr-serve): accounts, the API and pages, on Hummingbird.
        .target(
            name: "LLRPortal",
            dependencies: [
                "LLRCore", "LLRValidation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "llr-serve",
            dependencies: [
                "LLRPortal", "LLRCore", "LLRValidation", "LLRCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "LLRBench", dependencies: ["LLRCore", "LLRValidation", "LLRNormalise", "LLRSynth", "LLRDedupe"]),
        .executableTarget(
            name: "llr-validate",
            dependencies: [
                "LLRCore", "LLRValidation", "LLRCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "llr-normalise",
            dependencies: [
                "LLRNormalise", "LLRValidation", "LLRCore", "LLRCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "llr-dedupe",
            dependencies: [
                "LLRDedupe", "LLRCore", "LLRCommandLine", "LLRKeyOptions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "llr-merge",
            dependencies: [
                "LLRMerge", "LLRDedupe", "LLRCore", "LLRCommandLine", "LLRKeyOptions", "LLRWarehouse",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "llr-synth",
            dependencies: [
                "LLRSynth", "LLRCore", "LLRValidation", "LLRCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "llr-bench",
            dependencies: [
                "LLRBench", "LLRNormalise", "LLRDedupe", "LLRSynth", "LLRCore", "LLRCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Micro-benchmarks (ordo-one/benchmark); its plugin looks for targets in a folder named Benchmarks.
        .executableTarget(
            name: "LLRMicro",
            dependencies: ["LLRCore", "LLRValidation", "LLRDedupe", .product(name: "Benchmark", package: "benchmark")],
            path: "Sources/Benchmarks/LLRMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .target(name: "LLRTestSupport", dependencies: ["LLRCore", "LLRValidation"], path: "Tests/LLRTestSupport"),
        .testTarget(name: "LLRCoreTests", dependencies: ["LLRCore", "LLRValidation", "LLRSynth", "LLRTestSupport"]),
        .testTarget(name: "LLRValidationTests", dependencies: ["LLRValidation", "LLRCore", "LLRTestSupport"]),
        .testTarget(name: "LLRNormaliseTests", dependencies: ["LLRNormalise", "LLRValidation", "LLRSynth", "LLRCore", "LLRTestSupport"]),
        .testTarget(name: "LLRDedupeTests", dependencies: ["LLRDedupe", "LLRNormalise", "LLRValidation", "LLRSynth", "LLRCore", "LLRTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "LLRMergeTests", dependencies: ["LLRDocs", "LLRMeasures", "LLRMerge", "LLRDedupe", "LLRValidation", "LLRSynth", "LLRCore", "LLRBench", "LLRTestSupport"]),
        .testTarget(name: "LLRWarehouseTests", dependencies: ["LLRWarehouse", "LLRCore", "LLRTestSupport"]),
        .testTarget(name: "LLRPortalTests", dependencies: ["LLRPortal", "LLRCore", "LLRValidation", "LLRTestSupport"]),
        .testTarget(name: "LLRMeasuresTests", dependencies: ["LLRMeasures", "LLRValidation", "LLRCore", "LLRTestSupport"]),
        .testTarget(name: "LLRSynthTests", dependencies: ["LLRSynth", "LLRValidation", "LLRCore", "LLRTestSupport"]),
    ]
)
