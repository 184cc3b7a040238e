"""Handing a model to HiGHS as arrays: one ``passModel`` call, no ``HighsLp`` in between (one copy of the matrix fewer).

Used by the direct solve (:mod:`.highs`) and by the stages of the LP-first strategy (:mod:`.lp_first`).
"""
from __future__ import annotations

import numpy as np


def pass_arrays(h, sense: str, offset: float, a, row_lo, row_hi, cost, lb, ub, integrality) -> None:
    """Load a model into the Highs ``h``.

    ``sense``: ``"max"`` or ``"min"``; ``a``: a scipy sparse matrix, rows × columns (converted to CSC);
    ``row_lo``/``row_hi`` per row, ``cost``/``lb``/``ub``/``integrality`` (truthy: integer) per column.
    Raises RuntimeError when HiGHS refuses the model.
    """
    import highspy

    a = a.tocsc()
    objective_sense = highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize
    status = h.passModel(
        int(a.shape[1]), int(a.shape[0]), int(a.nnz), int(highspy.MatrixFormat.kColwise), int(objective_sense),
        float(offset), np.ascontiguousarray(cost, float), np.ascontiguousarray(lb, float), np.ascontiguousarray(ub, float),
        np.ascontiguousarray(row_lo, float), np.ascontiguousarray(row_hi, float),
        np.ascontiguousarray(a.indptr[:-1], np.int32), np.ascontiguousarray(a.indices, np.int32),
        np.ascontiguousarray(a.data, float), np.ascontiguousarray(integrality, np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the model (passModel returned an error)")
