import ArgumentParser
import LLRCore
import LLRCommandLine
import LLRDedupe
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the pseudonym key comes from.
public struct KeyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("File holding the pseudonym key (at least 16 bytes; keep it outside the dataset). Default: the LLR_PSEUDONYM_KEY environment variable.", valueName: "file"))
    public var keyFile: String?

    @Flag(help: "Use the published demo key. For synthetic sample data only: ids made with it are not pseudonymous.")
    public var demoKey = false

    public init() {}

    public func resolve() throws -> Pseudonymiser {
        do {
            let p = try Pseudonymiser.resolve(keyFile: keyFile, demo: demoKey, environmentKey: getenv(Pseudonymiser.environmentVariable).map { String(cString: $0) })
            if p.isDemo { writeStandardError("\(baseName(CommandLine.arguments[0])): using the demo key; the ids are not pseudonymous (synthetic data only)\n") }
            return p
        } catch { throw CommandFailure(error.description) }
    }
}
