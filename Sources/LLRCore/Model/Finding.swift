public enum Severity: String, Sendable, Comparable {
    case error, warning
    public static func < (a: Severity, b: Severity) -> Bool { a == .error && b == .warning }
}

/// The finding codes of contract §6: every stage and report names a
/// finding by one of these; `Pipelines/codes.yaml` gives each its title,
/// description and severity.
public enum FindingCode: String, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    case compressionError = "compression-error", encodingError = "encoding-error", sourceError = "source-error", formatError = "format-error", filenameError = "filename-error"
    case missingLabel = "missing-label", extraLabel = "extra-label", duplicateLabel = "duplicate-label", blankLabel = "blank-label"
    case blankRow = "blank-row", extraCell = "extra-cell", missingCell = "missing-cell", duplicateRow = "duplicate-row", primaryKey = "primary-key"
    case typeError = "type-error", constraintError = "constraint-error"
    case nhsNumberChecksum = "nhs-number-checksum", upnChecksum = "upn-checksum", dateOrder = "date-order", dateOutOfPeriod = "date-out-of-period", lateRecord = "late-record", futureDate = "future-date", ageOutOfRange = "age-out-of-range", conditionalRequired = "conditional-required", unmappedValue = "unmapped-value"
    case unknownMeasure = "unknown-measure", partsMismatch = "parts-mismatch", formulaLike = "formula-like"
    case identifierConflict = "identifier-conflict"

    public static func < (a: FindingCode, b: FindingCode) -> Bool { a.rawValue < b.rawValue }
    /// In messages and files a code is written as the contract writes it.
    public var description: String { rawValue }
}

/// One located problem in a return (spec §6). File-level findings carry no
/// row; row-level ones no field.
public struct Finding: Sendable, Equatable {
    public var code: FindingCode
    public var severity: Severity
    public var rowNumber: Int?
    public var line: Int?
    public var fieldName: String?
    public var fieldNumber: Int?
    public var cell: String?
    public var message: String
    /// The row's own identifiers (`event_id`…), so the partner can find it.
    public var keys: [(String, String)]

    public init(code: FindingCode, severity: Severity, rowNumber: Int? = nil, line: Int? = nil, fieldName: String? = nil,
                fieldNumber: Int? = nil, cell: String? = nil, message: String, keys: [(String, String)] = []) {
        self.code = code
        self.severity = severity
        self.rowNumber = rowNumber
        self.line = line
        self.fieldName = fieldName
        self.fieldNumber = fieldNumber
        self.cell = cell
        self.message = message
        self.keys = keys
    }

    public static func == (a: Finding, b: Finding) -> Bool {
        a.code == b.code && a.severity == b.severity && a.rowNumber == b.rowNumber && a.line == b.line && a.fieldName == b.fieldName
            && a.fieldNumber == b.fieldNumber && a.cell == b.cell && a.message == b.message
            && a.keys.map(\.0) == b.keys.map(\.0) && a.keys.map(\.1) == b.keys.map(\.1)
    }
}

/// The finding codes of spec §6 with their default severity and a title,
/// as `Pipelines/codes.yaml` sets them.
public struct FindingCatalog: Sendable {
    public struct Entry: Sendable {
        public var code: String
        public var level: String
        public var severity: Severity
        public var title: String
        public var description: String
    }

    public let entries: [String: Entry]
    public let order: [String]

    public func severity(_ code: FindingCode) -> Severity { entries[code.rawValue]?.severity ?? .error }
    public func title(_ code: FindingCode) -> String { entries[code.rawValue]?.title ?? code.rawValue }

    static func load(path: String, name: String) throws(PipelineError) -> FindingCatalog {
        var root = try StrictMap(StrictMap.loadRoot(path: path, displayName: name), file: name, what: "the findings catalogue")
        guard var codes = try root.map("codes") else { throw PipelineError(file: name, line: root.line, "'codes' is required") }
        try root.finish(allowed: ["codes"])
        var out: [String: Entry] = [:]
        for code in codes.keys {
            var m = try StrictMap(codes.node(code)!, file: name, what: "code '\(code)'")
            let sevText = try m.requiredString("severity")
            guard let sev = Severity(rawValue: sevText) else { throw m.error("severity", "severity must be error or warning, not '\(sevText)'") }
            out[code] = Entry(
                code: code, level: try m.requiredString("level"), severity: sev, title: try m.requiredString("title"),
                description: try m.string("description") ?? "")
            try m.finish(allowed: ["level", "severity", "title", "description"])
        }
        try codes.finish()
        for code in codes.keys where FindingCode(rawValue: code) == nil {
            throw codes.error(code, ContractNames("a finding code the pipeline reports", FindingCode.allCases.map(\.rawValue)).message(for: code))
        }
        for c in FindingCode.allCases.map(\.rawValue) where out[c] == nil {
            throw PipelineError(file: name, line: codes.line, "code '\(c)' is missing; every code of the spec needs a severity")
        }
        return FindingCatalog(entries: out, order: codes.keys)
    }
}
