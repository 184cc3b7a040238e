"""ruimtepuzzel: mixed-integer allocation of Dutch candidate land to competing space claims.

The package maps the repository's top-level folders into one namespace:
``ruimtepuzzel.model`` (the pipeline), ``ruimtepuzzel.solvers`` (solver adapters),
``ruimtepuzzel.instances`` (the built-in instances) and ``ruimtepuzzel.cli``.
"""
__version__ = "0.1.0"
