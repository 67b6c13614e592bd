public enum LLRBenchPlaceholder {}
