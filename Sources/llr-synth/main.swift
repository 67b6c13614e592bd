import LLRCommandLine

runCommand(SynthCommand.self)
