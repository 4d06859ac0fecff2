// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "mledojo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mledojo", targets: ["mledojo"]),
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "Env", targets: ["Env"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Thin system-library shims: each C library is imported here and wrapped once below.
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),

        // posix_spawn with the GNU extensions Swift cannot import (closefrom, chdir) and a reset signal mask.
        .target(name: "CSpawn"),

        // One small Swift type per C library.
        .target(name: "ZeroMQ", dependencies: ["CZMQ"]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        .target(name: "Seccomp", dependencies: ["CSeccomp"]),

        // Protocol v1 on the wire, usable without the server: JSON values and their strict parser,
        // requests, replies, error codes, identifiers.
        .target(name: "Wire"),
        // The environment server: tasks, sessions, sandboxed execution, grading, storage.
        .target(name: "Env", dependencies: ["Wire", "ZeroMQ", "SQLite", "Seccomp", "CSpawn"]),
        // The budgeted validation agent: a client of any Env server over ZeroMQ, speaking only the wire
        // protocol (it never links the server). Prompt templates, solution script templates and the price
        // table are resource files.
        .target(
            name: "ReActAgent", dependencies: ["Wire", "ZeroMQ", "SQLite", "HTTPClient"],
            resources: [.copy("Resources")]),
        // `mledojo eval run`: models × tasks × runs played by the ReAct agent into the results database
        // (protocol/evaluation.md), which `python -m mledojo.evaluation` reads.
        .target(name: "Evaluation", dependencies: ["Wire", "ReActAgent", "SQLite"]),
        // The MLE-Smith task generator.
        .target(name: "Generator", dependencies: ["Wire", "Env", "ReActAgent", "SQLite"]),

        .executableTarget(
            name: "mledojo",
            dependencies: [
                "Env", "ReActAgent", "Generator", "Evaluation", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Shared helpers for the test targets (temporary folders, repo paths, a running server).
        .target(name: "EnvTesting", dependencies: ["Env", "ZeroMQ"], path: "Tests/EnvTesting"),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"]),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "EnvTesting"]),
        .testTarget(name: "EnvTests", dependencies: ["Env", "Wire", "EnvTesting", "ZeroMQ"]),
        .testTarget(name: "GeneratorTests", dependencies: ["Generator", "Env", "EnvTesting", "SQLite"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "ReActAgent", "Env", "EnvTesting", "SQLite"]),
        .testTarget(name: "ReActAgentTests", dependencies: ["ReActAgent", "HTTPClient", "Env", "EnvTesting", "SQLite"]),
    ],
    swiftLanguageModes: [.v6]
)
