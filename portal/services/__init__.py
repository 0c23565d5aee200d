"""The rules of SPEC.md as verb_noun functions: they flush, never commit."""
