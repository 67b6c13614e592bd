// llr-dedupe: from normalised returns to events and people (spec §5).
//
// Usage:
//   llr-dedupe --out DIR [--state DB] (--key-file FILE | --demo-key) NORMALISED_DIR_OR_FILES...
//   llr-dedupe link --config LINKAGE.yaml --out FILE INPUT.csv
//   llr-dedupe score --truth truth/records.csv LINEAGE
//   llr-dedupe decide --state STATE.sqlite DECISIONS.csv
//
// The default command takes what llr-normalise wrote and applies, in order:
// exact duplicate rows, resubmissions (_vN replaces the earlier version
// whole), spells across quarters (same partner and record key: the latest
// quarter wins), person linkage (NHS number, UPN and the partner's own id,
// then Fellegi–Sunter scoring of names, dob, sex and postcode) and
// cross-agency events. It writes events, persons, person_identifiers
// (restricted), links, review.csv and lineage into --out. Person and event
// ids are HMAC pseudonyms under LLR_PSEUDONYM_KEY or --key-file; with
// --state a child keeps their id from one night to the next.
//
// Exit status: 0 done, 2 the tool could not run.

import ArgumentParser
import LLRCommandLine
import LLRCore
import LLRDedupe
#if canImport(Glibc)
import Glibc
#endif

struct DedupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-dedupe",
        abstract: "Deduplicate normalised returns and link records to children with stable pseudonymous ids.",
        subcommands: [RunDedupe.self, LinkFile.self, ScoreLinkage.self, Decide.self],
        defaultSubcommand: RunDedupe.self)
}

func makeDirectory(_ path: String) throws {
    do { try makeDirectories(path) } catch { throw CommandFailure("cannot create the output folder \(path): \(error)") }
}

func loadLinkage(_ path: String) throws -> LinkageSettings {
    do { return try LinkageSettings.load(path: path, name: baseName(path)) } catch {
        throw CommandFailure("cannot read the linkage settings: \(error)")
    }
}
