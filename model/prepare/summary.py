"""``validate``: load and preprocess an instance, and summarise it without solving."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.prepare.pairs import prepare
from ruimtepuzzel.model.prepare.prepared import Prepared


def validation_summary(folder: Path, scenario: Optional[str] = None) -> dict:
    """Load and preprocess the instance folder, and summarise it (see :func:`summarise`)."""
    return summarise(prepare(load_instance(folder, scenario)))


def summarise(prep: Prepared) -> dict:
    """Units, regions, allowed pairs and eligible hectares per claim, demand rows, zoning conflicts, locked pairs, warnings."""
    instance, scenario = prep.instance, prep.instance.scenario
    pairs = prep.pairs
    per_claim = pairs.groupby("claim", observed=False)
    return {
        "instance": instance.name,
        "scenario": scenario,
        "units": len(instance.units),
        "units_dialect": instance.dialect.as_dict() if instance.dialect else None,
        "units_read_as": instance.dialect.describe() if instance.dialect else None,
        "area_ha": float(instance.units["area_ha"].sum()),
        "regions": {lvl: int(instance.units[lvl].nunique()) for lvl in instance.levels},
        "pairs": len(pairs),
        "pairs_per_claim": {str(k): int(v) for k, v in per_claim.size().items()},
        "eligible_ha_per_claim": {str(k): float(v) for k, v in per_claim["used_ha"].sum().items()},
        "demand_rows": len(instance.config.demand),
        "zoning_conflicts": len(prep.zoning),
        "existing_use_links": len(prep.links),
        "locked": len(prep.locked_pairs),
        "warnings": prep.warnings,
    }
