"""Room to negotiate: near-optimal plans (Hop-Skip-Jump or directions), ranges and replacement costs.

One module per concept: :mod:`.budget` (the objective as a row), :mod:`.space` (the kept model),
:mod:`.hsj`, :mod:`.directions`, :mod:`.ranges`, :mod:`.importance`, :mod:`.plans` (comparing
plans), :mod:`.worker` and :mod:`.run` (parallel, resumable orchestration), :mod:`.store`,
:mod:`.tables`, :mod:`.outputs`, :mod:`.charts` and :mod:`.sentences` (files, maps, fact sentences).
"""
from ruimtepuzzel.model.analysis.alternatives.ranges import proposal_ranges, range_keys, ranges_for
from ruimtepuzzel.model.analysis.alternatives.run import Outcome, alternatives_instance
from ruimtepuzzel.model.analysis.alternatives.space import NearOptimal

__all__ = ["NearOptimal", "Outcome", "alternatives_instance", "proposal_ranges", "range_keys", "ranges_for"]
