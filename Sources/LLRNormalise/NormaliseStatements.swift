import LLRCore
import LLRValidation

/// A return whose rows are not events (a commentary return, contract §8):
/// validated with the same rules, its accepted rows kept as they came in
/// `<stem>.statements.csv.gz` (`source_row` and the family's columns, not
/// escaped: each output escapes for its own reader). Its events and
/// identifiers files are written with their headers only, so deduplication
/// and the merge's cache see a return like any other, with no rows to link;
/// the lineage lists its accepted rows as `statement`.
func normaliseStatements(path: String, schema: FamilySchema, pipelines: Pipelines, options: ValidationOptions, outDir: String) -> NormaliseResult {
    let stem = returnStem(path)
    let base = outDir + "/" + stem
    var opts = options
    opts.rejectsPath = base + ".rejects.csv.gz"
    var failure: String?
    var written = 0
    var report: ValidationReport
    do {
        for (suffix, header) in [(".events.csv.gz", AlignedSchema.events(pipelines.mappings)), (".identifiers.csv.gz", AlignedSchema.identifiers)] {
            let empty = try CSVOutput(path: base + suffix, header: header, level: 1)
            try empty.commit()
        }
        let statements = try CSVOutput(path: base + ".statements.csv.gz", header: ["source_row"] + schema.fields.map(\.name), escapeFormulas: false, level: 1)
        let copies = try CSVOutput(path: base + ".duplicates.csv.gz", header: ["source_row", "duplicate_of"])
        report = validateReturn(path: path, pipelines: pipelines, options: opts, duplicateRows: { row, first in
            guard failure == nil else { return }
            do { try copies.writeRow { r in r.add(row); r.add(first) } } catch { failure = "\(error)" }
        }) { row in
            guard failure == nil else { return }
            let cells = row.fieldState
            do {
                try statements.writeRow { r in
                    r.add(row.rowNumber)
                    for i in schema.fields.indices { r.add(cells.cell(i)) }
                }
                written += 1
            } catch { failure = "\(error)" }
        }
        if failure == nil { try statements.commit(); try copies.commit() }
    } catch {
        failure = failure ?? "\(error)"
        report = validateReturn(path: path, pipelines: pipelines, options: opts)
    }
    return NormaliseResult(report: report, eventsPath: base + ".events.csv.gz", identifiersPath: base + ".identifiers.csv.gz",
                           rejectsPath: opts.rejectsPath!, duplicatesPath: base + ".duplicates.csv.gz", events: written, unmapped: [],
                           outputProblem: failure)
}
