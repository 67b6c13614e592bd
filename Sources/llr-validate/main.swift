import LLRCommandLine

runCommand(ValidateCommand.self)
