"""Reading and checking instance folders (docs/instances.md): YAML, units, cross-references."""
