import LLRCore

/// Why an upload was not taken, as an HTTP status and a sentence that says the fix.
public struct UploadRefusal: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public init(_ status: Int, _ message: String) { self.status = status; self.message = message }
}

/// The checks on a return's name before a byte is stored: a plain file
/// name (no folder, no hidden name, no control characters), named by the
/// convention, for the caller's own partner.
public func checkUploadName(_ name: String, account: Account, registry: PartnerRegistry) -> Result<ReturnFileName, UploadRefusal> {
    if name.isEmpty { return .failure(UploadRefusal(400, "give the file's name: ?name=PARTNER_family_YYYY-YY_Qn.csv.gz")) }
    if name.contains("/") || name.contains("\\") || name.hasPrefix(".") || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
        return .failure(UploadRefusal(400, "'\(printable(name))' is not a plain file name: send the name alone, like LCC_council_2024-25_Q1.csv.gz"))
    }
    guard name.utf8.count <= 200 else { return .failure(UploadRefusal(400, "the name is longer than 200 bytes")) }
    let parsed: ReturnFileName
    switch ReturnFileName.parse(name, registry: registry) {
    case .success(let n): parsed = n
    case .failure(let problem):
        return .failure(UploadRefusal(400, "'\(printable(name))' breaks the naming convention: \(problem.message(registry: registry))"))
    }
    guard returnStem(name) + ".csv.gz" == name || returnStem(name) + ".csv" == name else {
        return .failure(UploadRefusal(400, "'\(printable(name))' should end .csv.gz or .csv"))
    }
    guard account.mayAct(for: parsed.partner) else {
        return .failure(UploadRefusal(403, "this account sends returns for \(account.partner ?? "no partner"), not \(parsed.partner)"))
    }
    return .success(parsed)
}

/// A name as it can be shown: control characters as `?`.
func printable(_ s: String) -> String {
    String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
}
