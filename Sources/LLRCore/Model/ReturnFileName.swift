/// The file naming convention of spec §2:
/// `{PARTNER}_{family}_{FY}_{Q}[_vN].csv[.gz]`, e.g. `UHL_health_2024-25_Q1_v2.csv.gz`.
public struct ReturnFileName: Sendable, Equatable {
    public var partner: String
    public var family: String
    public var quarter: FinancialQuarter
    public var version: Int

    public init(partner: String, family: String, quarter: FinancialQuarter, version: Int = 1) {
        self.partner = partner
        self.family = family
        self.quarter = quarter
        self.version = version
    }

    /// The conventional name, compressed.
    public var conventional: String {
        "\(partner)_\(family)_\(quarter.fileToken)\(version > 1 ? "_v\(version)" : "").csv.gz"
    }

    public enum ParseProblem: Error, Equatable, Sendable {
        case shape(String)
        case unknownPartner(String)
        case wrongFamily(partner: String, expected: [String], found: String)

        /// What is wrong, in the words a partner fixes it by.
        public func message(registry: PartnerRegistry) -> String {
            switch self {
            case .shape(let s): return s
            case .unknownPartner(let p): return "'\(p)' is not a partner code (codes: \(registry.partners.map(\.code).joined(separator: ", ")))"
            case .wrongFamily(let p, let expected, let found):
                return "\(p) sends \(expected.joined(separator: " or ")) returns, not '\(found)'"
            }
        }
    }

    /// Parses a base name against the registry; the problem says what to fix.
    public static func parse(_ baseName: String, registry: PartnerRegistry) -> Result<ReturnFileName, ParseProblem> {
        var stem = baseName
        for ext in [".csv.gz", ".csv"] where stem.lowercased().hasSuffix(ext) {
            stem = String(stem.dropLast(ext.count))
            break
        }
        let parts = stem.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 || parts.count == 5 else {
            return .failure(.shape("the name should be PARTNER_family_YYYY-YY_Qn.csv.gz (with _v2, _v3… for a resubmission)"))
        }
        guard let partner = registry.partner(code: parts[0]) ?? registry.partner(code: parts[0].uppercased()) else {
            return .failure(.unknownPartner(parts[0]))
        }
        let family = parts[1].lowercased()
        guard registry.families(of: partner).contains(family) else {
            return .failure(.wrongFamily(partner: partner.code, expected: registry.families(of: partner), found: parts[1]))
        }
        guard let q = FinancialQuarter(parts[2] + "_" + parts[3]) else {
            return .failure(.shape("'\(parts[2])_\(parts[3])' is not a financial year and quarter like 2024-25_Q1"))
        }
        var version = 1
        if parts.count == 5 {
            let v = parts[4]
            guard v.count >= 2, v.first == "v" || v.first == "V", let n = Int(v.dropFirst()), n >= 1 else {
                return .failure(.shape("'\(v)' is not a version like v2"))
            }
            version = n
        }
        return .success(ReturnFileName(partner: partner.code, family: family, quarter: q, version: version))
    }
}

/// A return file's name without its `.csv.gz`, `.gz` or `.csv` (any case):
/// the stem every file made from the return is named after.
public func returnStem(_ path: String) -> String {
    let name = baseName(path)
    for ext in [".csv.gz", ".gz", ".csv"] where name.lowercased().hasSuffix(ext) { return String(name.dropLast(ext.count)) }
    return name
}

/// The name a file's feedback goes under in the outbox: the return's stem
/// when the file is named as the convention says (`X.csv.gz` → `X`), else
/// the whole name (`X.csv`, `X.CSV.GZ`, `notes.txt`), so two files that name
/// one return never share a report. Control characters (a name is whatever
/// the uploader typed) become `_`, so every output path stays one line of
/// the commit manifest.
public func feedbackName(_ name: String) -> String {
    let base = namedByConvention(name) ? returnStem(name) : name
    return String(String.UnicodeScalarView(base.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "_" : $0 }))
}

/// Whether a file is named exactly as the convention says: its stem, then `.csv.gz`.
public func namedByConvention(_ name: String) -> Bool { name == returnStem(name) + ".csv.gz" }

public func baseName(_ path: String) -> String {
    guard let i = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: i)...])
}
