"""Reading and checking instance folders (DESIGN.md §4): YAML, units, cross-references."""
