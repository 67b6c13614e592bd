import LLRCommandLine

runCommand(NormaliseCommand.self)
