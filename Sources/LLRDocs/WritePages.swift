import LLRCore

extension ContractDocs {
    /// Writes each page that differs from what is on disk (each to a
    /// temporary name, then renamed), or with `checkOnly` writes nothing.
    /// Returns the names of the pages that differed.
    public static func write(_ pages: [(name: String, text: String)], to folder: String, checkOnly: Bool) throws -> [String] {
        var differing: [String] = []
        if !checkOnly { try makeDirectories(folder) }
        for page in pages {
            let path = folder + "/" + page.name
            if readSmallFile(path).map({ String(decoding: $0, as: UTF8.self) }) == page.text { continue }
            differing.append(page.name)
            if checkOnly { continue }
            let out = try AtomicOutputFile(path: path)
            try out.write(page.text)
            try out.commit()
        }
        return differing
    }
}
