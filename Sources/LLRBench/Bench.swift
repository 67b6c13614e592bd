import CLibCSV
import CLLRSupport
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

/// How evenly the machine's cores run for us at the moment: each core's
/// time for the same pinned arithmetic loop. On a VM the host may give one
/// core less time than the other for minutes on end; a run on two cores then
/// waits on the slower one, and no program can go faster on two cores than
/// 1 + slower / faster times its speed on one. The bench measures this
/// beside the `--jobs` turns so that their ratio can be read against it.
public enum CoreBalance {
    /// The slowest core's speed over the fastest's (1 = even), from each
    /// core's best of `tries` short loops; nil on one core or where threads
    /// cannot be pinned.
    public static func measure(cores: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), tries: Int = 3, rounds: Int = 20_000_000) -> Double? {
        guard cores > 1 else { return nil }
        var best = [Double](repeating: .infinity, count: cores)
        for _ in 0..<tries {
            for cpu in 0..<cores {
                let s = llr_core_seconds(Int32(cpu), rounds)
                if s <= 0 { return nil }
                best[cpu] = min(best[cpu], s)
            }
        }
        return best.min()! / best.max()!
    }
}
