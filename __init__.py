"""ruimtepuzzel: mixed-integer allocation of Dutch candidate land to competing space claims.

The package maps the repository's top-level folders into one namespace:
``ruimtepuzzel.model`` (the pipeline), ``ruimtepuzzel.solvers`` (solver adapters),
``ruimtepuzzel.cli`` (the command line), ``ruimtepuzzel.api`` (the Python API) and the
built-in instances in ``instances/``.

The Python API is re-exported here and imported on first use, so ``import ruimtepuzzel``
stays light:

    import ruimtepuzzel as rp
    run = rp.solve(rp.load("demo"))
"""
__version__ = "0.1.0"

_API = (
    "builtin_instances", "load", "validate", "prepare", "build_problem", "solve", "run",
    "units_frame", "allocation_frame", "pyomo_model", "PyomoModel", "Run", "alternatives",
)

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from ruimtepuzzel import api

        return getattr(api, name)
    raise AttributeError(f"module 'ruimtepuzzel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
