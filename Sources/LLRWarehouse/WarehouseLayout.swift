import LLRCore
import Yams

/// One file of the dataset folder as a warehouse table.
public struct WarehouseTable: Sendable {
    public var schema: String
    public var table: String
    /// Relative to the dataset folder (`published/events.csv`).
    public var file: String
    /// Column → PostgreSQL type; any other column is text.
    public var types: [String: String]
    public var index: [String]
}

public struct WarehouseView: Sendable {
    public var schema: String
    public var name: String
    public var sql: String
}

/// `Pipelines/warehouse.yaml`: the schemas and who reads each, the tables
/// and their types, the views.
public struct WarehouseLayout: Sendable {
    /// Schema → the group roles that read it, in file order.
    public var schemas: [(name: String, readers: [String])]
    public var tables: [WarehouseTable]
    public var views: [WarehouseView]
    public var swapLockTimeoutSeconds: Int

    static let types = ["text", "integer", "bigint", "numeric", "date", "timestamp", "boolean"]

    public var roles: [String] { Array(Set(schemas.flatMap(\.readers))).sorted() }

    public static func load(pipelines directory: String) throws(PipelineError) -> WarehouseLayout {
        let name = "warehouse.yaml"
        var root = try StrictMap(StrictMap.loadRoot(path: directory + "/" + name, displayName: name), file: name, what: "the warehouse layout")
        guard var sm = try root.map("schemas") else { throw PipelineError(file: name, line: root.line, "'schemas' is required") }
        var schemas: [(String, [String])] = []
        for s in sm.keys {
            try identifier(s, file: name, line: sm.lineOf(s))
            let readers = try sm.strings(s) ?? []
            for r in readers { try identifier(r, file: name, line: sm.lineOf(s)) }
            schemas.append((s, readers))
        }
        try sm.finish()
        let timeout = try root.int("swapLockTimeoutSeconds", default: 10, in: 1...600)
        var tables: [WarehouseTable] = []
        for node in try root.list("tables") ?? [] { tables.append(try table(node, file: name, schemas: schemas.map(\.0))) }
        var views: [WarehouseView] = []
        for node in try root.list("views") ?? [] {
            var m = try StrictMap(node, file: name, what: "a view")
            let v = WarehouseView(schema: try m.requiredString("schema"), name: try m.requiredString("name"), sql: try m.requiredString("sql"))
            try ContractNames("a schema of warehouse.yaml", schemas.map(\.0)).check(v.schema, file: name, line: m.lineOf("schema"))
            try identifier(v.name, file: name, line: m.lineOf("name"))
            try m.finish(allowed: ["schema", "name", "sql"])
            views.append(v)
        }
        try root.finish(allowed: ["schemas", "swapLockTimeoutSeconds", "tables", "views"])
        return WarehouseLayout(schemas: schemas, tables: tables, views: views, swapLockTimeoutSeconds: timeout)
    }

    static func table(_ node: Node, file: String, schemas: [String]) throws(PipelineError) -> WarehouseTable {
        var m = try StrictMap(node, file: file, what: "a table")
        var t = WarehouseTable(schema: try m.requiredString("schema"), table: try m.requiredString("table"), file: try m.requiredString("file"),
                               types: [:], index: try m.strings("index") ?? [])
        try ContractNames("a schema of warehouse.yaml", schemas).check(t.schema, file: file, line: m.lineOf("schema"))
        try identifier(t.table, file: file, line: m.lineOf("table"))
        if var tm = try m.map("types") {
            for c in tm.keys {
                try identifier(c, file: file, line: tm.lineOf(c))
                let type = try tm.requiredString(c)
                try ContractNames("a column type", types).check(type, file: file, line: tm.lineOf(c), in: "\(t.table).\(c)")
                t.types[c] = type
            }
            try tm.finish()
        }
        for c in t.index { try identifier(c, file: file, line: m.lineOf("index")) }
        try m.finish(allowed: ["schema", "table", "file", "types", "index"])
        return t
    }

    /// Names go into SQL as written: lower-case letters, digits and _ only.
    static func identifier(_ s: String, file: String, line: Int) throws(PipelineError) {
        guard let first = s.utf8.first, isASCIILetter(first),
              s.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || isDigit($0) || $0 == 0x5F }) else {
            throw PipelineError(file: file, line: line, "'\(s)' is not a plain lower-case SQL name (letters, digits and _)")
        }
    }
}
