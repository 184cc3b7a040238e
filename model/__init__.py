"""ruimtepuzzel's model, laid out as the pipeline it implements (data flows one way):

- :mod:`.inputs`      read and check an instance folder (docs/instances.md)
- :mod:`.prepare`     hard rules, allowed pairs, spatial relations, pre-solve findings
- :mod:`.formulation` the labelled MIP: one module per constraint family, and the objectives
- :mod:`.solve`       solve stages and exact aggregation (the solver adapters are :mod:`ruimtepuzzel.solvers`)
- :mod:`.analysis`    shadow prices, rule costs, Pareto fronts, infeasibility diagnosis, comparison, sweeps
- :mod:`.outputs`     result tables, the run folder, Excel and QGIS formats, reports
- :mod:`.build`       instances from GIS layers

:mod:`.pipeline` ties the steps together for the command line and the Python API;
:mod:`.problem` is the solver-neutral labelled sparse problem every family emits.
"""
