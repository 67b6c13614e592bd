import LLRCommandLine
runCommand(MergeCommand.self)
