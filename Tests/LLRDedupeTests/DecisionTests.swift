import Foundation
import LLRCore
import LLRTestSupport
import Testing
@testable import LLRDedupe

/// Clerical decisions (`llr-dedupe decide`): recorded in the linkage
/// state, they hold on every later run, whatever the scores.
@Suite(.serialized) struct DecisionTests {
    typealias Pair = (fileA: String, rowA: String, fileB: String, rowB: String)

    func decisionsFile(_ rows: [(Pair, String, String)]) throws -> String {
        let path = tempDir() + "/decisions.csv"
        var text = decisionColumns.joined(separator: ",") + "\n"
        for (p, decision, by) in rows { text += "\(p.fileA),\(p.rowA),\(p.fileB),\(p.rowB),\(decision),\(by),checked on the case file\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func personOf(_ out: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try csvRows(out + "/lineage.csv.gz").map { ($0["source_file"]! + "#" + $0["source_row"]!, $0["llr_person_id"]!) })
    }

    func inReview(_ out: String, _ p: Pair) throws -> Bool {
        try csvRows(out + "/review.csv").contains { r in
            Set([r["source_file_a"]! + "#" + r["source_row_a"]!, r["source_file_b"]! + "#" + r["source_row_b"]!])
                == Set([p.fileA + "#" + p.rowA, p.fileB + "#" + p.rowB])
        }
    }

    /// A decided non-match of two rows an id joined, and a decided match of
    /// a pair the linkage had for review, hold after a restart (the state
    /// opened anew) and after a new quarter arrives; neither pair is in
    /// review.csv again.
    @Test func decisionsSurviveARestartAndANewQuarter() throws {
        let state = tempDir() + "/linkage.sqlite"
        let q1 = try sampleStems(quarter: "2024-25_Q1")
        let (first, _) = try dedupe(q1, state: state)
        let joined = try csvRows(first + "/links.csv.gz").first { $0["rule"] == "partner-id" }!
        let apart: Pair = (joined["source_file_a"]!, joined["source_row_a"]!, joined["source_file_b"]!, joined["source_row_b"]!)
        let waiting = try csvRows(first + "/review.csv").first!
        let together: Pair = (waiting["source_file_a"]!, waiting["source_row_a"]!, waiting["source_file_b"]!, waiting["source_row_b"]!)
        let path = try decisionsFile([(apart, "non-match", "A. Clerk"), (together, "match", "B. Clerk")])
        let outcome = try recordDecisions(path: path, state: try LinkageState(path: state), now: "2024-10-31T09:00:00Z")
        #expect(outcome.recorded.count == 2 && outcome.refused.isEmpty)

        for stems in [q1, q1 + (try sampleStems(quarter: "2024-25_Q2"))] {
            let (out, summary) = try dedupe(stems, state: state)
            let person = try personOf(out)
            #expect(person[apart.fileA + "#" + apart.rowA] != person[apart.fileB + "#" + apart.rowB])
            #expect(person[together.fileA + "#" + together.rowA] == person[together.fileB + "#" + together.rowB])
            #expect(try !inReview(out, apart) && !inReview(out, together))
            #expect(summary.decisions.map(\.status) == [.applied, .applied])
            #expect(Set(summary.decisions.map(\.decision.decidedBy)) == ["A. Clerk", "B. Clerk"])
            #expect(summary.link.decidedMatches == 1 && summary.link.decidedNonMatches == 1)
        }
    }

    /// A decision on rows of a return that a `_v2` then replaces holds on
    /// the replacement's rows with the same record keys, and says so.
    @Test func aDecisionFollowsItsRowsIntoAResubmission() throws {
        let state = tempDir() + "/linkage.sqlite"
        let all = try sampleStems(quarter: "2024-25_Q1")
        let firsts = all.filter { !$0.contains("_v2") }
        let replaced = Set(all.filter { $0.contains("_v2") }.map { baseName($0).replacingOccurrences(of: "_v2.events.csv.gz", with: ".csv.gz") })
        let (first, _) = try dedupe(firsts, state: state)
        // A pair an id joined, one of its rows in a return the _v2 replaces.
        let joined = try #require(try csvRows(first + "/links.csv.gz").first { l in
            l["rule"] != "" && replaced.contains(l["source_file_a"]!) && l["source_file_a"] != l["source_file_b"]
        })
        let apart: Pair = (joined["source_file_a"]!, joined["source_row_a"]!, joined["source_file_b"]!, joined["source_row_b"]!)
        _ = try recordDecisions(path: try decisionsFile([(apart, "non-match", "A. Clerk")]), state: try LinkageState(path: state), now: "2024-10-31T09:00:00Z")

        let (out, summary) = try dedupe(all, state: state)
        #expect(summary.decisions.map(\.status) == [.applied] && summary.decisions.map(\.throughResubmission) == [true])
        // A replaced row's lineage carries the ids of the row that replaced it.
        let person = try personOf(out)
        let a = try #require(person[apart.fileA + "#" + apart.rowA]), b = try #require(person[apart.fileB + "#" + apart.rowB])
        #expect(!a.isEmpty && !b.isEmpty && a != b)
    }

    /// Rows the last night did not link, a decision that is neither match
    /// nor non-match, no one named, a row paired with itself: each refused
    /// with its line, while the good line is recorded.
    @Test func badDecisionsAreRefusedWithTheirLine() throws {
        let state = tempDir() + "/linkage.sqlite"
        let q1 = try sampleStems(quarter: "2024-25_Q1")
        let (first, _) = try dedupe(q1, state: state)
        let l = try csvRows(first + "/links.csv.gz")[0]
        let good: Pair = (l["source_file_a"]!, l["source_row_a"]!, l["source_file_b"]!, l["source_row_b"]!)
        let path = try decisionsFile([
            (good, "non-match", "A. Clerk"),
            ((good.fileA, "99999", good.fileB, good.rowB), "non-match", "A. Clerk"),
            (("NOPE_police_2024-25_Q1.csv.gz", "2", good.fileB, good.rowB), "match", "A. Clerk"),
            (good, "maybe", "A. Clerk"),
            (good, "match", ""),
            ((good.fileA, good.rowA, good.fileA, good.rowA), "match", "A. Clerk"),
            ((good.fileA, "two", good.fileB, good.rowB), "match", "A. Clerk"),
        ])
        let linkage = try LinkageState(path: state)
        let outcome = try recordDecisions(path: path, state: linkage, now: "2024-10-31T09:00:00Z")
        #expect(outcome.recorded.count == 1)
        #expect(outcome.refused.map(\.line) == [3, 4, 5, 6, 7, 8])
        #expect(outcome.refused[0].reason.contains("row 99999 is not a row the dataset links"))
        #expect(outcome.refused[1].reason.contains("no such return"))
        #expect(outcome.refused[2].reason.contains("not match or non-match"))
        #expect(outcome.refused[3].reason.contains("decided_by"))
        #expect(outcome.refused[4].reason.contains("same row"))
        #expect(outcome.refused[5].reason.contains("not a row number"))
        #expect(try linkage.decisions().count == 1)
    }

    /// A state path naming another file (a page, the merge's ledger) is
    /// refused and the file left as it was; an empty decisions file says
    /// what the file needs.
    @Test func aWrongStateOrAnEmptyFileIsRefused() throws {
        let page = tempDir() + "/run-report.html"
        try "<html></html>".write(toFile: page, atomically: true, encoding: .utf8)
        let ledger = tempDir() + "/ledger.sqlite"
        try SQLiteDatabase(path: ledger).execute("CREATE TABLE night (night INTEGER)")
        let before = try Data(contentsOf: URL(fileURLWithPath: ledger))
        for (path, says) in [(page, "is not a linkage state"), (ledger, "no person_member table")] {
            #expect { _ = try LinkageState(path: path) } throws: { "\($0)".contains(says) }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: ledger)) == before)
        var tables: [String] = []
        try SQLiteDatabase(path: ledger).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").forEachRow { tables.append($0.text(0)) }
        #expect(tables == ["night"])

        let state = tempDir() + "/linkage.sqlite"
        _ = try dedupe(try sampleStems(quarter: "2024-25_Q1"), state: state)
        let empty = tempDir() + "/decisions.csv"
        FileManager.default.createFile(atPath: empty, contents: Data())
        #expect { _ = try recordDecisions(path: empty, state: try LinkageState(path: state), now: "2024-10-31T09:00:00Z") }
            throws: { "\($0)".contains("is empty: a decisions file starts with a header line") }
    }

    /// A later decision on a pair replaces the earlier one; both stay in
    /// the log, which refuses to be changed.
    @Test func theLogKeepsEveryDecisionAndCannotBeChanged() throws {
        let state = tempDir() + "/linkage.sqlite"
        let (first, _) = try dedupe(try sampleStems(quarter: "2024-25_Q1"), state: state)
        let l = try csvRows(first + "/links.csv.gz")[0]
        let pair: Pair = (l["source_file_b"]!, l["source_row_b"]!, l["source_file_a"]!, l["source_row_a"]!)
        let linkage = try LinkageState(path: state)
        _ = try recordDecisions(path: try decisionsFile([(pair, "non-match", "A. Clerk")]), state: linkage, now: "2024-10-31T09:00:00Z")
        _ = try recordDecisions(path: try decisionsFile([(pair, "match", "B. Lead")]), state: linkage, now: "2024-11-01T09:00:00Z")
        let now = try linkage.decisions()
        #expect(now.count == 1 && now[0].verdict == .match && now[0].decidedBy == "B. Lead")
        // Stored one way round, whichever way it was written.
        #expect((now[0].fileA, now[0].rowA) <= (now[0].fileB, now[0].rowB))
        var logged = 0
        try linkage.db.prepare("SELECT COUNT(*) FROM decision_log").forEachRow { logged = $0.int(0) }
        #expect(logged == 2)
        #expect(throws: SQLiteError.self) { try linkage.db.execute("UPDATE decision_log SET decided_by = 'someone else'") }
        #expect(throws: SQLiteError.self) { try linkage.db.execute("DELETE FROM decision_log") }
    }
}
