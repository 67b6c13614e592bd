// llr-serve: the partners' upload portal.
//
//   llr-serve --inbox DIR --out DIR --accounts FILE [--host 127.0.0.1] [--port 8080] [--max-upload-mb 200]
//   llr-serve account add --accounts FILE --partner CODE --name NAME [--role partner|business-unit]   (password on stdin)
//   llr-serve account list|remove|rotate-token --accounts FILE [--name NAME]
//
// A partner signs in (or sends its API token), uploads a return, and reads
// the same located report llr-validate gives; the file goes into the inbox
// for tonight's merge. `--out` is the merge's dataset folder, read for last
// night's reports, the quarters' status and (for the business unit) the run
// report and the board's pack.
import ArgumentParser
import LLRCommandLine

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llr-serve",
        abstract: "The partners' upload portal: sign in, upload a return, read its report.",
        subcommands: [Serve.self, AccountCommand.self],
        defaultSubcommand: Serve.self)
}

await runAsyncCommand(ServeCommand.self)
