"""What a solution means: shadow prices, rule costs, Pareto fronts, infeasibility diagnosis, comparison, sweeps."""
