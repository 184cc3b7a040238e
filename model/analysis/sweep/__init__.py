"""Sensitivity sweeps (docs/cli.md, ``sweep``): grid, one-at-a-time and Monte Carlo designs.

Sweeps need the ``sweep`` extra (the Parquet store, the plots); without it,
importing this package raises :class:`~ruimtepuzzel.model.optional.MissingExtraError` naming it.
"""
from ruimtepuzzel.model.optional import require_installed

require_installed(("pyarrow", "matplotlib"), extra="sweep", purpose="sweep")

from ruimtepuzzel.model.analysis.sweep.run import sweep_instance  # noqa: E402  (after the check: its store imports pyarrow)

__all__ = ["sweep_instance"]
