import LLRCommandLine

runCommand(BenchCommand.self)
