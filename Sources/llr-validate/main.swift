import LLRCore
import LLRCommandLine

keepFreedMemoryForReuse()
runCommand(ValidateCommand.self)
