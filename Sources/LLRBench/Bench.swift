import CLibCSV
import LLRCore
import LLRSynth
import LLRValidation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small deterministic generator of a large, valid health return, so the
/// validator can be measured on realistic rows before the synthetic-data
/// generator exists.
public struct HealthReturnFixture {
    public static func write(path: String, rows: Int, seed: UInt64 = 42) throws(OutputError) {
        var rng = SynthRandom(seed: seed)
        let header = ["event_id", "nhs_number", "local_patient_id", "forename", "surname", "dob", "gender", "ethnic_category", "postcode", "gp_practice", "event_type", "event_date"]
        let out = try CSVOutput(path: path, header: header, compressed: true)
        let forenames = ["Aisha", "Jordan", "Maya", "Tyler", "Zoë", "Kai", "Amelia", "Harvey", "Ruby", "Leo", "Isla", "Noah", "Priya", "Mohammed", "Olivia", "Jack"]
        let surnames = ["Patel", "Smith", "Kowalski", "Brown", "O'Neill", "Mensah-Ward", "Clarke", "Jones", "Singh", "Murphy", "Evans", "Ahmed", "Mistry", "Hussain", "Taylor", "Wright"]
        let events = ["SAFEGUARDING_REFERRAL", "ED_ATTENDANCE_SAFEGUARDING", "CSE_ALERT", "LAC_INITIAL_HEALTH_ASSESSMENT", "LAC_REVIEW_HEALTH_ASSESSMENT", "CAMHS_REFERRAL"]
        let ethnic = ["A", "B", "C", "D", "H", "J", "K", "M", "N", "S", "Z", "99"]
        let firstDay = CivilDate(year: 2024, month: 4, day: 1).dayNumber
        for i in 0..<rows {
            let dobDay = CivilDate(year: 2007, month: 1, day: 1).dayNumber + Int(rng.next() % 5800)
            let eventDay = firstDay + Int(rng.next() % 91)
            try out.writeRow { r in
                r.add("E-\(1_000_000 + i)")
                r.add(makeNHSNumber(&rng))
                r.add("RWE-\(4_000_000 + Int(rng.next() % 900_000))")
                r.add(forenames[Int(rng.next() % UInt64(forenames.count))])
                r.add(surnames[Int(rng.next() % UInt64(surnames.count))])
                r.add(CivilDate(dayNumber: min(dobDay, eventDay - 1)).description)
                r.add(String(1 + Int(rng.next() % 2)))
                r.add(ethnic[Int(rng.next() % UInt64(ethnic.count))])
                r.add("LE\(1 + Int(rng.next() % 19)) \(Int(rng.next() % 10))\(letter(&rng))\(letter(&rng))")
                r.add("C8\(2000 + Int(rng.next() % 8000))")
                r.add(events[Int(rng.next() % UInt64(events.count))])
                r.add(CivilDate(dayNumber: eventDay).description)
            }
        }
        try out.commit()
    }

    static func letter(_ rng: inout SynthRandom) -> Character {
        Character(UnicodeScalar(UInt8(65 + rng.next() % 26)))
    }
}

/// One measured stage.
public struct StageResult: Sendable {
    public var name: String
    public var seconds: Double
    public var rows: Int
    public var bytesIn: Int64
    public var bytesCompressed: Int64
    public var peakRSSBytes: Int64
}

public enum ValidateBenchmark {
    /// Inflate only: the zlib floor.
    public static func inflateOnly(_ path: String) throws -> (Int64, Int64) {
        let s = try ReturnByteStream(path: path)
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 256 * 1024)
        defer { buf.deallocate() }
        while try s.read(into: buf, capacity: 256 * 1024) > 0 {}
        return (s.decompressedBytes, s.fileBytes)
    }

    /// Inflate then libcsv with callbacks that only count: the parse floor.
    /// Returns the records (header included) and the CSV and gzip bytes.
    public static func inflateAndParse(_ path: String) throws -> (records: Int, csvBytes: Int64, gzipBytes: Int64) {
        let s = try ReturnByteStream(path: path)
        var parser = csv_parser()
        csv_init(&parser, UInt8(CSV_STRICT))
        defer { csv_free(&parser) }
        var counts = (fields: 0, rows: 0)
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 256 * 1024)
        defer { buf.deallocate() }
        try withUnsafeMutablePointer(to: &counts) { ctx in
            while true {
                let n = try s.read(into: buf, capacity: 256 * 1024)
                if n == 0 { break }
                _ = csv_parse(&parser, buf, n, { _, _, d in d!.assumingMemoryBound(to: (fields: Int, rows: Int).self).pointee.fields += 1 },
                              { _, d in d!.assumingMemoryBound(to: (fields: Int, rows: Int).self).pointee.rows += 1 }, ctx)
            }
            csv_fini(&parser, nil, { _, d in d!.assumingMemoryBound(to: (fields: Int, rows: Int).self).pointee.rows += 1 }, ctx)
        }
        return (counts.rows, s.decompressedBytes, s.fileBytes)
    }

    /// The project's reader (inflate, libcsv, line and row counting, UTF-8
    /// checks, cell copies) into a sink that does nothing.
    public static func readOnly(_ path: String) throws -> Int {
        final class Null: RecordSink { var n = 0; func consume(_ r: RecordView) { n += 1 } }
        let s = try ReturnByteStream(path: path)
        let sink = Null()
        _ = CSVRecordReader().read(s, into: sink)
        return sink.n
    }

    public static func peakRSS() -> Int64 {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Int64(u.ru_maxrss) * 1024
    }
}

/// What the machine's cores give together at the moment: the parse floor
/// (inflate + libcsv, nothing else) over the same returns on one core and
/// on `jobs`, a return per worker at a time, largest first. On a VM the host
/// may give the cores less than their share for minutes (one core at half
/// the other's speed; both slower when both run), and no stage can gain
/// more from more cores than this plainest of parallel jobs does in the
/// same minute: the bench measures it in the merge's turns, so that the
/// merge's --jobs ratio can be read against it.
public enum FloorOnCores {
    /// The floor's one-core time over its time on `jobs` cores.
    public static func speedup(_ files: [String], jobs: Int) -> Double {
        func timed(_ j: Int) -> Double {
            let t0 = monotonicSeconds()
            _ = concurrentMapLargestFirst(files.count, jobs: j, size: { Int(fileSize(files[$0]) ?? 0) }) { i in
                try? ValidateBenchmark.inflateAndParse(files[i])
            }
            return monotonicSeconds() - t0
        }
        // Each the best of two, in the order 1 J J 1: a single short pass
        // moves with the VM's moments.
        let one = timed(1), many = timed(jobs), many2 = timed(jobs), one2 = timed(1)
        return min(one, one2) / min(many, many2)
    }
}
