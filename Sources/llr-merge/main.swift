import LLRCommandLine

// `llr-merge --help` is the nightly merge's help (what the business unit
// runs), with the one other command named after it.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments == ["--help"] || arguments == ["-h"] {
    print(MergeTool.helpMessage(for: MergeCommand.self))
    print("OTHER COMMANDS:\n  warehouse-init          Set up the PostgreSQL warehouse once (llr-merge help warehouse-init).")
    print("  warehouse-load          Load a dataset folder into the warehouse by hand (llr-merge help warehouse-load).")
} else {
    await runAsyncCommand(MergeTool.self)
}
