import LLRCore
import LLRWarehouse
import LLRDedupe
import LLRMeasures
import LLRMerge
import LLRNormalise
import LLRValidation

/// The contract's reference pages (`docs/contract/`), written from
/// `Pipelines/` and the tables the pipeline writes, so the document and the
/// code cannot drift: `make docs` writes them, a test fails when the
/// committed pages differ.
public enum ContractDocs {
    /// Page name → Markdown.
    public static func render(_ contract: Pipelines) throws(PipelineError) -> [(name: String, text: String)] {
        let catalogue = try MeasureCatalogue.load(contract: contract)
        return [
            ("partners.md", partners(contract)),
            ("families.md", families(contract)),
            ("codelists.md", codelists(contract)),
            ("findings.md", findings(contract)),
            ("dataset.md", dataset(contract)),
            ("measures.md", measures(catalogue)),
            ("warehouse.md", warehouse(try WarehouseLayout.load(pipelines: contract.directory))),
        ]
    }

    static let generated = "<!-- Generated from Pipelines/ by `make docs`; edit Pipelines/, not this page. -->\n\n"

    static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: header.count) + "\n"
        for r in rows { out += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    static func partners(_ c: Pipelines) -> String {
        var out = generated + "# Partners\n\nFrom `Pipelines/partners.yaml`. A return names its partner by code; names in "
        out += "a VCS return's `org_code` are matched to the code, name and aliases, case and punctuation aside.\n\n"
        out += table(["code", "family", "name", "aliases", "area (a council's own)"],
                     c.registry.partners.map { [$0.code, $0.family, $0.name, $0.aliases.joined(separator: "; "), $0.area ?? ""] })
        return out
    }

    static func families(_ c: Pipelines) -> String {
        var out = generated + "# Return families\n\nFrom `Pipelines/families/*.yaml`. Columns may come in any order; "
        out += "a missing required column or an unknown one is a header error. Each family's rules below run on every row "
        out += "that has the right shape; what each finding code means is in [findings.md](findings.md), the code lists in "
        out += "[codelists.md](codelists.md).\n"
        for name in c.families.keys.sorted() { out += "\n" + family(c.families[name]!) }
        return out
    }

    static func family(_ f: FamilySchema) -> String {
        var out = "## \(f.name): \(f.title)\n\nFile: `PARTNER_\(f.name)_YYYY-YY_Qn.csv.gz`. "
        out += "Unique in the file: \(f.primaryKey.map { "`\($0)`" }.joined(separator: ", ")). "
        out += "Shown with every finding: \(f.keys.map { "`\($0)`" }.joined(separator: ", ")).\n\n"
        if f.anyPartner { out += "Any partner may send this return beside its own. " }
        if !f.producesEvents { out += "Its rows are not events: they are kept as sent, never aligned or linked (the lineage lists them as `statement`).\n\n" }
        out += table(["column", "type", "required", "allowed", "meaning"], f.fields.map { fd in
            [fd.name, typeText(fd), fd.constraints.required ? "yes" : "", allowedText(fd), fd.description]
        })
        out += "\nRules:\n\n"
        out += table(["rule", "what", "codes", "severity", "quarters"], f.rules.map { r in
            let kind = type(of: r.rule)
            let quarters = r.from == nil && r.until == nil ? "all" : "\(r.from?.fileToken ?? "…") to \(r.until?.fileToken ?? "…")"
            return [r.name, r.rule.describe, kind.codes.map(\.rawValue).joined(separator: ", "), r.severity?.rawValue ?? "as the code", quarters]
        })
        return out
    }

    static func typeText(_ f: FieldDescriptor) -> String {
        guard let format = f.format else { return f.type.rawValue }
        return "\(f.type.rawValue) `\(format.display)`"
    }

    static func allowedText(_ f: FieldDescriptor) -> String {
        var parts: [String] = []
        if f.constraints.unique { parts.append("unique") }
        if let list = f.codelist { parts.append("codes of [\(list)](codelists.md#\(list))") } else if let e = f.constraints.enumValues { parts.append(e.joined(separator: ", ")) }
        if let p = f.constraints.pattern { parts.append("pattern `\(p.source)`") }
        if let lo = f.constraints.minimum, let hi = f.constraints.maximum { parts.append("\(lo)–\(hi)") } else if let lo = f.constraints.minimum { parts.append("≥ \(lo)") } else if let hi = f.constraints.maximum { parts.append("≤ \(hi)") }
        if let n = f.constraints.maxLength { parts.append("at most \(n) characters") }
        return parts.joined(separator: "; ")
    }

    static func codelists(_ c: Pipelines) -> String {
        var out = generated + "# Code lists\n\nFrom `Pipelines/codelists.yaml`. Codes are compared after trimming; "
        out += "a free-text field maps the forms listed to its code, case and punctuation aside.\n"
        for name in c.codelists.keys.sorted() {
            let list = c.codelists[name]!
            out += "\n## \(name)\n\n\(list.source)\n\n"
            out += table(["code", "forms"], list.codes.map { [$0, (list.aliases[$0] ?? []).joined(separator: "; ")] })
        }
        return out
    }

    static func findings(_ c: Pipelines) -> String {
        var out = generated + "# Findings\n\nFrom `Pipelines/codes.yaml`. An `error` quarantines the row (kept in the "
        out += "rejects file, not loaded); a `warning` is reported and the row kept. A family's rule may set its own severity.\n\n"
        out += table(["code", "level", "severity", "title", "what it means"], c.catalog.order.map { code in
            let e = c.catalog.entries[code]!
            return ["`\(code)`", e.level, e.severity.rawValue, e.title, e.description]
        })
        out += "\n## Domain rule kinds\n\nWhat a family's `rules:` may name (`Sources/LLRValidation/Rules/Kinds/`).\n\n"
        out += table(["rule", "what it checks", "codes"], ruleKindNames.map { kind in
            [kind.name, kind.summary, kind.codes.map(\.rawValue).joined(separator: ", ")]
        })
        return out
    }

    static var ruleKindNames: [any DomainRuleKind.Type] { ValidationRules.kinds }
}
