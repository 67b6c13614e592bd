import LLRCore

/// The columns of the aligned dataset's tables (contract §4) as the
/// deduplication writes them, in file order.
public enum AlignedTables {
    public static let eventCore = [
        "llr_event_id", "llr_person_id", "event_type", "event_start", "event_end", "financial_year", "quarter", "la_code",
        "la_name", "postcode_district", "age_at_event", "age_band", "sex", "ethnicity_group", "ethnicity_code", "sources",
        "source_records",
    ]
    /// The events' columns: the core, then the event attributes of `mappings.yaml`.
    public static func events(_ mappings: Mappings) -> [String] { eventCore + mappings.eventAttributes }
    public static let lineage = ["source_file", "source_row", "partner", "status", "llr_event_id", "llr_person_id"]
    public static let persons = ["llr_person_id", "first_seen", "last_seen", "partners", "source_ids", "link_method"]
    public static let personIdentifiers = ["llr_person_id", "partner", "person_source_id", "forename", "surname", "dob", "postcode", "nhs_number", "upn"]
    public static let links = ["llr_person_id", "source_file_a", "source_row_a", "source_file_b", "source_row_b", "rule", "match_weight"]
    public static let review = [
        "match_weight", "reason", "llr_person_id_a", "source_file_a", "source_row_a", "forename_a", "surname_a", "dob_a", "postcode_a",
        "llr_person_id_b", "source_file_b", "source_row_b", "forename_b", "surname_b", "dob_b", "postcode_b",
    ]
}
