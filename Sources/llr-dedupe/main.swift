import LLRCommandLine
runCommand(DedupeCommand.self)
