import ArgumentParser
import Foundation
import LLRCommandLine
import LLRCore
import LLRPortal
import LLRValidation

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Add, list, remove accounts, or give one a new API token.",
        subcommands: [AddAccount.self, ListAccounts.self, RemoveAccount.self, RotateToken.self])
}

struct AccountsFile: ParsableArguments {
    @Option(help: ArgumentHelp("The accounts file.", valueName: "file"))
    var accounts: String

    func load() throws -> AccountBook {
        do { return try AccountBook.load(path: accounts) } catch { throw CommandFailure(error.description) }
    }

    func save(_ book: AccountBook) throws {
        do { try book.save() } catch { throw CommandFailure(error.description) }
    }
}

struct AddAccount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add an account; reads its password from standard input and prints its API token as the last line.")

    @OptionGroup var file: AccountsFile
    @Option(help: ArgumentHelp("The partner the account sends for (a code of partners.yaml).", valueName: "code")) var partner: String?
    @Option(help: ArgumentHelp("The account's name (an e-mail address will do).", valueName: "name")) var name: String
    @Option(help: ArgumentHelp("partner (its own returns) or business-unit (every partner's).", valueName: "role")) var role = "partner"
    @Option(help: ArgumentHelp("The Pipelines folder (default: the project's).", valueName: "dir")) var pipelines: String?

    func run() throws {
        guard let r = PortalRole(rawValue: role) else { throw CommandFailure("--role is partner or business-unit, not '\(role)'") }
        let dir = pipelines ?? Pipelines.defaultDirectory(executable: CommandLine.arguments[0])
        let contract: Pipelines
        do { contract = try Pipelines.load(from: dir) } catch { throw CommandFailure("cannot read the data contract in \(dir): \(error)") }
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            throw CommandFailure("give the password on standard input, e.g. printf '%s\\n' \"$PASSWORD\" | llr-serve account add …")
        }
        var book = try file.load()
        let token: String
        do { token = try book.add(name: name, partner: partner, role: r, password: password, registry: contract.registry) } catch { throw CommandFailure(error.description) }
        try file.save(book)
        print("added \(name) (\(r == .partner ? partner ?? "" : "business unit")); its API token, shown only now:")
        print(token)
    }
}

struct ListAccounts: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the accounts (never their secrets).")
    @OptionGroup var file: AccountsFile

    func run() throws {
        for a in try file.load().accounts { print("\(a.name)\t\(a.partner ?? "-")\t\(a.role.rawValue)\tsince \(a.created)") }
    }
}

struct RemoveAccount: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an account; its token and sessions stop working.")
    @OptionGroup var file: AccountsFile
    @Option(help: ArgumentHelp("The account's name.", valueName: "name")) var name: String

    func run() throws {
        var book = try file.load()
        do { try book.remove(name: name) } catch { throw CommandFailure(error.description) }
        try file.save(book)
        print("removed \(name)")
    }
}

struct RotateToken: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate-token", abstract: "Give an account a new API token (printed as the last line); the old one stops working.")
    @OptionGroup var file: AccountsFile
    @Option(help: ArgumentHelp("The account's name.", valueName: "name")) var name: String

    func run() throws {
        var book = try file.load()
        let token: String
        do { token = try book.rotateToken(name: name) } catch { throw CommandFailure(error.description) }
        try file.save(book)
        print("a new API token for \(name), shown only now:")
        print(token)
    }
}
