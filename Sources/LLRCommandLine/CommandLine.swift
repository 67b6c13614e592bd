import ArgumentParser
import LLRCore
import LLRValidation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The options every stage that reads returns shares: where the contract is,
/// and who sent a misnamed file for which quarter, as of when.
public struct ContractOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Pipelines folder holding the data contract (default: the project's Pipelines/).", valueName: "dir"))
    public var pipelines: String?

    @Option(help: ArgumentHelp("Partner code or name, for a file whose name breaks the convention (e.g. UHL).", valueName: "code"))
    public var partner: String?

    @Option(help: ArgumentHelp("Financial year and quarter, for a file whose name breaks the convention (e.g. 2024-25_Q1).", valueName: "period"))
    public var period: String?

    @Option(help: ArgumentHelp("The date the return was made, yyyy-mm-dd (default: the file's modification date). Dates after it are errors.", valueName: "date"))
    public var asOf: String?

    public init() {}

    public func validate() throws {
        if let period, FinancialQuarter(period) == nil {
            throw ValidationError("--period '\(period)' is not a quarter: write it like 2024-25_Q1 (Q1 April–June … Q4 January–March)")
        }
        if let asOf, CivilDate(iso: asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not a date: write it like 2024-07-15") }
    }

    public var quarter: FinancialQuarter? { period.flatMap(FinancialQuarter.init) }
    public var asOfDate: CivilDate? { asOf.flatMap { CivilDate(iso: $0) } }

    /// Loads `Pipelines/` and checks `--partner` against its registry.
    public func loadContract() throws -> Pipelines {
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let contract: Pipelines
        do { contract = try Pipelines.load(from: dir) } catch {
            throw CommandFailure("cannot read the data contract in \(dir): \(error)")
        }
        if let partner, contract.registry.resolve(partner) == nil {
            throw CommandFailure("--partner '\(partner)' is not in the registry; use one of \(contract.registry.partners.map(\.code).joined(separator: ", "))")
        }
        return contract
    }
}

/// The tool could not do its job (exit 2); the message says how to fix it.
public struct CommandFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// The number of cores, the default for `--jobs`.
public var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

/// Runs a command with the exit statuses of spec §6: 0 and 1 as the command
/// says, 2 when it could not run (argument-parser would say 64 for bad
/// arguments), with the fix on standard error.
public func runCommand<C: ParsableCommand>(_ type: C.Type) -> Never {
    do {
        var command = try C.parseAsRoot()
        try command.run()
        exit(0)
    } catch {
        exitReporting(error, for: C.self)
    }
}

/// Exits as spec §6 says for an error a command ended with: its own exit
/// code, 2 with the fix for a failure, help (0) or the parser's message (2).
func exitReporting<C: ParsableCommand>(_ error: any Error, for _: C.Type) -> Never {
    if let code = error as? ExitCode { exit(code.rawValue) }
    if let failure = error as? CommandFailure {
        writeStandardError("\(C.configuration.commandName ?? "llr"): \(failure.description)\n")
        exit(2)
    }
    if C.exitCode(for: error) == .success {
        print(C.fullMessage(for: error))
        exit(0)
    }
    writeStandardError(C.fullMessage(for: error) + "\n")
    exit(2)
}

/// `runCommand` for a command with async subcommands (the portal's server).
public func runAsyncCommand<C: AsyncParsableCommand>(_ type: C.Type) async -> Never {
    do {
        var command = try C.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        exit(0)
    } catch {
        exitReporting(error, for: C.self)
    }
}
