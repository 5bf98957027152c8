"""Readers and validators of the files users bring (FORMATS.md): specs and problems, no DB."""
