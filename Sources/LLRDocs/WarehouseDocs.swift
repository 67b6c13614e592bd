import LLRCore
import LLRWarehouse

extension ContractDocs {
    /// The warehouse's schemas, who reads them, its tables and typed columns,
    /// and three queries an analyst would start from.
    static func warehouse(_ w: WarehouseLayout) -> String {
        var out = generated + "# The analysts' warehouse (PostgreSQL)\n\nFrom `Pipelines/warehouse.yaml`. `llr-merge warehouse-init --warehouse URL` "
        out += "makes the schemas and group roles once (as an owner with CREATEROLE); `llr-merge --warehouse URL` (or `LLR_WAREHOUSE_URL`) "
        out += "loads each completed night into `*_load` schemas with COPY and swaps them in within one transaction, keeping last night's "
        out += "as `*_previous`: a dashboard sees last night's tables or tonight's, never half of either. A query holding last night's tables "
        out += "makes the swap wait at most \(w.swapLockTimeoutSeconds) s; then the night's load gives up and the next night tries again. "
        out += "`llr_warehouse.loads` lists the nights loaded. A DBA grants the group roles to people's logins.\n\n"
        out += table(["schema", "read by"], w.schemas.map { [$0.name, $0.readers.joined(separator: ", ")] })
        out += "\n## Tables\n\nEvery column is text unless typed here; the columns are the files' (see `dataset.md`).\n\n"
        out += table(["table", "from", "typed columns", "indexed on"], w.tables.map { t in
            ["\(t.schema).\(t.table)", "`\(t.file)`", t.types.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
             t.index.joined(separator: ", ")]
        })
        out += "\n## Views\n\n" + table(["view", "what"], w.views.map { ["\($0.schema).\($0.name)", "`\($0.sql)`"] })
        out += """

        ## Three queries to start from

        Children known to each number of agencies (an analyst, `llr_analyst`):

            SELECT agencies, children FROM llr_published.children_by_agencies ORDER BY agencies;

        The board's measures for the latest quarter, LLR, with their RAG (small counts show as `[c]`):

            SELECT measure, value, numerator, denominator, rag
            FROM llr_published.measures
            WHERE area = 'LLR' AND (financial_year, quarter) = (SELECT financial_year, quarter FROM llr_published.measures
                                                                ORDER BY financial_year DESC, quarter DESC LIMIT 1);

        Missing episodes per month and local authority (the business unit, `llr_business`):

            SELECT date_trunc('month', event_start) AS month, la_name, count(*) AS episodes, count(DISTINCT llr_person_id) AS children
            FROM llr.events WHERE event_type = 'MISSING_EPISODE' GROUP BY 1, 2 ORDER BY 1, 2;

        """
        return out
    }
}
