import Foundation
import SQLite
import Testing

private struct Boom: Error, Equatable {}

@Suite("SQLiteDatabase")
struct SQLiteDatabaseTests {
    private func memory() throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: ":memory:")
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, value)")
        return database
    }

    private func count(_ database: SQLiteDatabase) throws -> Int64? {
        try database.query("SELECT COUNT(*) AS n FROM t").first?["n"]?.integer
    }

    @Test(arguments: [
        SQLiteValue.null, .integer(0), .integer(Int64.max), .integer(Int64.min), .real(3.25), .real(-1e-300),
        .text(""), .text("héllo ✓ 🐧"), .text("nul\u{0}inside\u{0}"), .blob([0, 1, 2, 255]),
    ])
    func everyValueKindRoundTrips(_ value: SQLiteValue) throws {
        let database = try memory()
        #expect(try database.run("INSERT INTO t (value) VALUES (?)", [value]) == 1)
        let rows = try database.query("SELECT id, value FROM t")
        #expect(rows.count == 1)
        #expect(rows.first?["value"] == value)
        #expect(rows.first?["id"] == .integer(database.lastInsertRowID))
    }

    /// Text is bound with its byte length: a NUL is part of the value, so "s\0" never finds "s".
    @Test func textIsComparedByAllItsBytes() throws {
        let database = try memory()
        try database.run("INSERT INTO t (value) VALUES (?)", ["s1"])
        #expect(try database.query("SELECT id FROM t WHERE value = ?", ["s1\u{0}"]).isEmpty)
        #expect(try database.query("SELECT id FROM t WHERE value = ?", ["s1\u{0}x"]).isEmpty)
        #expect(try database.query("SELECT id FROM t WHERE value = ?", ["s1"]).count == 1)
        #expect(try database.query("SELECT length(CAST(? AS BLOB)) AS n", ["a\u{0}b"]).first?["n"] == .integer(3))
    }

    @Test func rowsComeBackAsColumnDictionariesInOrder() throws {
        let database = try SQLiteDatabase(path: ":memory:")
        try database.execute("CREATE TABLE p (a INTEGER, b REAL, c TEXT, d BLOB, e); CREATE INDEX p_a ON p (a);")
        try database.run("INSERT INTO p VALUES (?, ?, ?, ?, ?)", [1, 2.5, "x", .blob([9]), nil])
        try database.run("INSERT INTO p VALUES (?, ?, ?, ?, ?)", [.init(2), .init(Double?.none), .init("y"), .blob([]), .null])
        let rows = try database.query("SELECT * FROM p ORDER BY a")
        #expect(rows == [
            ["a": 1, "b": 2.5, "c": "x", "d": .blob([9]), "e": .null],
            ["a": 2, "b": .null, "c": "y", "d": .blob([]), "e": .null],
        ])
        #expect(rows[0]["a"]?.real == 1.0)  // integers read as reals too
        #expect(rows[0]["c"]?.integer == nil)
    }

    @Test func runReportsChangedRows() throws {
        let database = try memory()
        for value in ["a", "b", "c"] { try database.run("INSERT INTO t (value) VALUES (?)", [.text(value)]) }
        #expect(try database.run("UPDATE t SET value = 'z' WHERE value <> ?", ["a"]) == 2)
        #expect(try database.run("DELETE FROM t WHERE value = ?", ["nothing"]) == 0)
    }

    @Test func transactionCommitsAndReturnsTheBodysValue() throws {
        let database = try memory()
        let result = try database.transaction {
            try database.run("INSERT INTO t (value) VALUES (1)")
            try database.run("INSERT INTO t (value) VALUES (2)")
            return "done"
        }
        #expect(result == "done")
        #expect(try count(database) == 2)
    }

    @Test func transactionRollsBackWhenTheBodyThrows() throws {
        let database = try memory()
        try database.run("INSERT INTO t (value) VALUES ('kept')")
        #expect(throws: Boom.self) {
            try database.transaction {
                try database.run("INSERT INTO t (value) VALUES ('lost')")
                try database.run("UPDATE t SET value = 'changed'")
                throw Boom()
            }
        }
        #expect(try database.query("SELECT value FROM t") == [["value": "kept"]])
        // The connection is usable again: a new transaction can begin.
        _ = try database.transaction { try database.run("INSERT INTO t (value) VALUES ('after')") }
        #expect(try count(database) == 2)
    }

    @Test func transactionRollsBackWhenAStatementFails() throws {
        let database = try memory()
        #expect(throws: SQLiteError.self) {
            try database.transaction {
                try database.run("INSERT INTO t (id, value) VALUES (1, 'a')")
                try database.run("INSERT INTO t (id, value) VALUES (1, 'duplicate')")
            }
        }
        #expect(try count(database) == 0)
    }

    @Test func preparedStatementsAreReusedWithDifferentBindings() throws {
        let database = try memory()
        let insert = "INSERT INTO t (id, value) VALUES (?, ?)"
        for id in 1...50 { try database.run(insert, [.integer(Int64(id)), .text("v\(id)")]) }
        let select = "SELECT value FROM t WHERE id = ?"
        #expect(try database.query(select, [7]) == [["value": "v7"]])
        #expect(try database.query(select, [42]) == [["value": "v42"]])
        #expect(try database.query(select, [999]).isEmpty)
        // Fewer values the next time: earlier bindings must not leak into the reused statement.
        try database.run(insert, [100])
        #expect(try database.query(select, [100]) == [["value": .null]])
        // A statement that failed is reset and usable again.
        #expect(throws: SQLiteError.self) { try database.run(insert, [1, "again"]) }
        try database.run(insert, [101, "fine"])
        #expect(try database.query(select, [101]) == [["value": "fine"]])
    }

    @Test func queryErrorsCarryTheSQL() throws {
        let database = try memory()
        let sql = "SELECT * FROM missing_table WHERE x = ?"
        let error = #expect(throws: SQLiteError.self) { try database.query(sql, [1]) }
        #expect(error?.sql == sql)
        #expect(error?.message.contains("no such table") == true)
        #expect(error?.description.contains(sql) == true)
        #expect(error?.code == 1)  // SQLITE_ERROR
    }

    @Test func executeAndConstraintErrorsCarryTheSQL() throws {
        let database = try memory()
        let garbage = "THIS IS NOT SQL"
        let syntax = #expect(throws: SQLiteError.self) { try database.execute(garbage) }
        #expect(syntax?.sql == garbage)
        #expect(syntax?.message.contains("syntax error") == true)

        let insert = "INSERT INTO t (id, value) VALUES (?, ?)"
        try database.run(insert, [1, "a"])
        let constraint = #expect(throws: SQLiteError.self) { try database.run(insert, [1, "b"]) }
        #expect(constraint?.sql == insert)
        #expect(constraint?.code == 19)  // SQLITE_CONSTRAINT
        #expect(constraint?.message.contains("UNIQUE") == true)
    }

    @Test func openingAnImpossiblePathThrows() throws {
        let error = #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: "/nonexistent-folder-\(UUID())/db.sqlite") }
        #expect(error?.sql == nil)
        #expect(error?.description.hasPrefix("SQLite error") == true)
    }

    @Test func walModeOnAFileSurvivesReopening() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appending(path: "db.sqlite").path

        do {
            let database = try SQLiteDatabase(path: path)
            #expect(try database.query("PRAGMA journal_mode=WAL") == [["journal_mode": "wal"]])
            try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT)")
            try database.transaction {
                for index in 1...3 { try database.run("INSERT INTO t (value) VALUES (?)", [.text("row \(index)")]) }
            }
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            // A second connection sees committed rows while the first is open.
            let reader = try SQLiteDatabase(path: path)
            #expect(try reader.query("SELECT COUNT(*) AS n FROM t") == [["n": 3]])
        }

        let reopened = try SQLiteDatabase(path: path)
        #expect(try reopened.query("PRAGMA journal_mode") == [["journal_mode": "wal"]])
        #expect(try reopened.query("SELECT value FROM t ORDER BY id").compactMap { $0["value"]?.text }
            == ["row 1", "row 2", "row 3"])
    }

    @Test func literalsAndConvenienceInitialisersBuildTheRightCases() {
        #expect(SQLiteValue("x") == .text("x"))
        #expect(SQLiteValue(String?.none) == .null)
        #expect(SQLiteValue(5) == .integer(5))
        #expect(SQLiteValue(Double?.none) == .null)
        #expect(SQLiteValue(2.5) == .real(2.5))
        let literal: SQLiteValue = nil
        #expect(literal == .null)
        #expect(SQLiteValue.text("t").text == "t")
        #expect(SQLiteValue.real(1).integer == nil)
    }
}
