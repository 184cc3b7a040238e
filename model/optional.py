"""Optional dependencies: imported where they are used, with a message naming the extra.

The base install (``pip install ruimtepuzzel``) solves and writes the result tables.
Everything else comes with an extra:

| extra    | packages                                     | what it adds                                   |
|----------|----------------------------------------------|------------------------------------------------|
| `gis`    | geopandas, pyogrio, rasterio                 | `build`, `fetch-regions`, units.gpkg input, allocation.gpkg, GeoDataFrames |
| `report` | matplotlib, xlsxwriter, geopandas, pyogrio   | report.html and maps, summary.xlsx, pareto.png |
| `sweep`  | pyarrow, dask[distributed], matplotlib       | `sweep` (Parquet store, Dask, plots)           |
| `pyomo`  | pyomo                                        | Pyomo solvers, `ruimtepuzzel.api.pyomo_model`  |

``require("geopandas", extra="gis", purpose="allocation.gpkg")`` imports and returns the
module, or raises `MissingExtraError` (an input error, exit 1) whose message says
what needs it and which ``pip install`` brings it. `missing` answers the same
question without importing, for outputs that are skipped rather than refused.
"""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Optional

from ruimtepuzzel.model.errors import RuimtepuzzelError

# import name -> the distribution pip installs it from
DISTRIBUTIONS = {"distributed": "dask[distributed]"}

# every optional import name -> the extra that brings it (as in pyproject.toml)
EXTRA_OF = {
    "geopandas": "gis", "pyogrio": "gis", "rasterio": "gis",
    "matplotlib": "report", "xlsxwriter": "report",
    "pyarrow": "sweep", "dask": "sweep", "distributed": "sweep",
    "pyomo": "pyomo",
    "starlette": "web", "uvicorn": "web",
}


class MissingExtraError(RuimtepuzzelError, ImportError):
    """An optional package is not installed; the message names the extra that brings it (exit 1).

    Also an ImportError, so code that guards an optional import with ``except ImportError`` keeps working.
    """

    exit_code = 1


def install_hint(extra: str) -> str:
    return f'pip install "ruimtepuzzel[{extra}]"'


def _message(module: str, extra: str, purpose: str) -> str:
    package = DISTRIBUTIONS.get(module, module)
    return f"{purpose} needs {package}, which is not installed: {install_hint(extra)}"


def is_installed(module: str) -> bool:
    """Whether ``module`` (a top-level import name) can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(modules: tuple[str, ...] | list[str], extra: str, purpose: str) -> Optional[str]:
    """None when every module is installed; else the message naming the first missing one and ``extra``."""
    for module in modules:
        if not is_installed(module):
            return _message(module, extra, purpose)
    return None


def require_installed(modules: tuple[str, ...] | list[str], extra: str, purpose: str) -> None:
    """Raise `MissingExtraError` unless every module is installed (nothing is imported)."""
    message = missing(modules, extra, purpose)
    if message is not None:
        raise MissingExtraError(message)


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise `MissingExtraError` naming ``purpose`` and ``extra``.

    Example: ``gpd = require("geopandas", extra="gis", purpose="build")``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        message = _message(module, extra, purpose)
        if exc.name and exc.name.split(".")[0] != module.split(".")[0]:  # installed, but one of its own imports failed
            message = f"{purpose} needs {module}, which cannot be imported ({exc}): {install_hint(extra)}"
        raise MissingExtraError(message) from None
