"""Sensitivity sweeps (DESIGN.md §5, ``sweep``): grid, one-at-a-time and Monte Carlo designs."""
from ruimtepuzzel.model.analysis.sweep.run import sweep_instance

__all__ = ["sweep_instance"]
