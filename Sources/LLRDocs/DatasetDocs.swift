import LLRCore
import LLRDedupe
import LLRMerge
import LLRMeasures
import LLRNormalise

extension ContractDocs {
    /// The aligned dataset's tables and the mappings that make them.
    static func dataset(_ c: Pipelines) -> String {
        let m = c.mappings
        var out = generated + "# The aligned LLR dataset\n\nWhat `llr-merge` writes (contract §4). Columns in file order.\n\n"
        for (name, who, columns) in datasetTables(c) {
            out += "## \(name)\n\n\(who)\n\n" + columns.map { "`\($0)`" }.joined(separator: ", ") + "\n\n"
        }
        out += "## Canonical event types\n\nFrom `Pipelines/mappings.yaml`: "
        out += m.canonicalEventTypes.joined(separator: ", ") + ".\n\n"
        var rows: [[String]] = []
        for family in m.eventTypes.keys.sorted() {
            for (code, canonical) in m.eventTypes[family]!.sorted(by: { $0.key < $1.key }) { rows.append([family, code, canonical]) }
        }
        out += table(["family", "code in the return", "event type"], rows)
        out += "\n## Local authorities\n\n"
        out += table(["code", "name", "postcode districts", "children 0–17"], m.laNames.keys.sorted().map { code in
            [code, m.laNames[code]!, m.districts.filter { $0.value == code }.keys.sorted(by: districtOrder).joined(separator: ", "),
             m.population[code].map(String.init) ?? ""]
        })
        out += "\nAnything else is `\(m.outsideCode)` (\(m.outsideName)). Population: \(m.populationSource).\n\n"
        out += "## Age bands\n\n" + m.ageBands.map(\.0).joined(separator: ", ") + "\n"
        return out
    }

    /// LE2 before LE10.
    static func districtOrder(_ a: String, _ b: String) -> Bool {
        let pa = a.prefix { $0.isLetter }, pb = b.prefix { $0.isLetter }
        if pa != pb { return pa < pb }
        return (Int(a.dropFirst(pa.count)) ?? 0) < (Int(b.dropFirst(pb.count)) ?? 0)
    }

    static func datasetTables(_ c: Pipelines) -> [(String, String, [String])] {
        [
            ("events", "One row per real-world event after deduplication. Analysts: `published/events.csv`.", AlignedTables.events(c.mappings)),
            ("persons", "One row per child. Analysts: `published/persons.csv`.", AlignedTables.persons),
            ("links", "Every pair the person linkage joined, with its rule or match weight. Business unit.", AlignedTables.links),
            ("lineage", "One row per source row ever received, with what became of it: " + RowStatus.allCases.map(\.rawValue).joined(separator: ", ")
                + " (a commentary row). Business unit.", AlignedTables.lineage),
            ("person_identifiers", "Restricted (`restricted/`): the identifiers behind each person id. Never in the analysts' extract.", AlignedTables.personIdentifiers),
            ("indicators", "Per quarter × LA and the LLR total. Analysts: `published/indicators.csv`, with small counts suppressed as `Pipelines/merge.yaml` says.", indicatorsHeader),
            ("quality", "Per partner × quarter: the return's status and counts. Analysts: `published/quality.csv`.", qualityHeader),
            ("commentary", "The partners' commentary returns that count (contract §8), formula-like text escaped. Business unit; the board's packs show it.", CommentaryTable.header),
        ]
    }
}
