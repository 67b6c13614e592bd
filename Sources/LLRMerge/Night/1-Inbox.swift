import Foundation
import LLRCore
import LLRDedupe

extension MergeNight {
    /// Folders, the lock, a staging folder left by a run killed halfway, and
    /// the ledger. A dry run reads what is there and creates nothing: no
    /// folders, no lock file, no ledger (a first dry run sees an empty ledger).
    func open() throws(MergeFailure) -> MergeLock? {
        if !options.dryRun { try makeFolders(options.stateDir, options.outDir) }
        let lock = options.dryRun && !fileExists(options.stateDir) ? nil : try MergeLock(stateDir: options.stateDir)
        if !options.dryRun, let text = try staging.recover() {
            logger.notice("\(text)")
            result.notices.append(text)
        }
        let ledgerPath = options.stateDir + "/ledger.sqlite"
        do {
            ledger = options.dryRun && !fileExists(ledgerPath) ? nil : try Ledger(path: ledgerPath)
            known = try ledger?.entries() ?? []
        } catch {
            throw MergeFailure("the ledger in \(options.stateDir) cannot be used: \(error.description). Restore ledger.sqlite from the last backup of the state folder (without it, returns that have left the inbox drop out of the dataset)")
        }
        noteWarehouseFailure()
        return lock
    }

    /// The warehouse step after the last night failed (llr-merge wrote why
    /// in the state): tonight's report says so; tonight's load tries again.
    private func noteWarehouseFailure() {
        guard let text = try? String(contentsOfFile: options.stateDir + "/warehouse-status.txt", encoding: .utf8), text.hasPrefix("failed: ") else { return }
        notice("the warehouse was not loaded after the last night: " + text.dropFirst("failed: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
               + "; it is tried again after tonight's")
    }

    /// Stage 1: what is in the inbox, and what is new or changed since the ledger.
    func readInbox() throws(MergeFailure) {
        progress.show("reading the inbox")
        files = try scanInbox(options.inbox, asOf: asOf, jobs: options.jobs)
        for i in files.indices {
            switch ReturnFileName.parse(files[i].name, registry: pipelines.registry) {
            case .success(let name): files[i].returnName = name
            case .failure(let problem): files[i].nameProblem = "the name breaks the convention PARTNER_family_YYYY-YY_Qn[_vN].csv.gz: " + problem.message(registry: pipelines.registry)
            }
        }
        markSameReturnTwice(&files)
        let byName = Dictionary(grouping: known, by: \.fileName)
        result.files = files.map { f in
            let seen = byName[f.name] ?? []
            let action: InboxAction = seen.contains { $0.sha256 == f.sha256 } ? .unchanged : (seen.isEmpty ? .new : .changed)
            let entry = seen.first { $0.sha256 == f.sha256 } ?? LedgerEntry(
                fileName: f.name, sha256: f.sha256, partner: f.returnName?.partner ?? "", family: f.returnName?.family ?? "",
                period: f.returnName?.quarter.fileToken ?? "", version: f.returnName?.version ?? 0, bytes: Int(f.bytes),
                received: f.received.description, firstRun: 0, status: .new)
            return FileOutcome(file: f, action: action, entry: entry, report: nil)
        }
        lap("inbox")
        fingerprint = inputsFingerprint(files, asOf: asOf, pipelinesDir: pipelines.directory,
                                        decisions: LinkageState.decisionsFingerprint(path: options.stateDir + "/linkage.sqlite"))
    }

    /// True when tonight's inputs are last night's and its dataset is in
    /// place: the dataset is left as it was. Otherwise the run is numbered.
    func nothingNew(_ ledger: Ledger) throws(MergeFailure) -> Bool {
        let last: (run: Int, fingerprint: String)?
        do { last = try ledger.lastRun() } catch { throw MergeFailure("the ledger cannot be read: \(error.description)") }
        if let last, last.fingerprint == fingerprint, fileExists(options.outDir + "/run-report.json") {
            result.nothingNew = true
            result.run = last.run
            return true
        }
        do { result.run = try ledger.nextRun() } catch { throw MergeFailure("the ledger cannot be read: \(error.description)") }
        logger.info("run \(result.run): \(files.count) files in the inbox, \(result.processedTonight.count) new or changed")
        return false
    }
}
