"""Build the built-in Dutch instances with the project's own ``build`` command.

    python instances/make_nl.py                        # nl-provinces, zuid-holland, noord-brabant
    python instances/make_nl.py nl-provinces           # one of them
    python instances/make_nl.py nl-100m --out DIR      # the 100 m national benchmark (not committed)
    python instances/make_nl.py noord-brabant --cell-m 300 --out DIR   # another grid, for benchmarks

For each instance it writes the calibration (``instances/specs/<name>/instance.yaml`` and its
scenarios, from ``nl_calibration``) and then runs ``build instances/specs/<name>.yaml`` into
``instances/<name>`` (or ``--out``), keeping the instance's hand-written ``SOURCES.md``. The same
build by hand: ``ruimtepuzzel build instances/specs/nl-provinces.yaml --out DIR``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import nl_calibration  # noqa: E402

DEFAULT = ["nl-provinces", "zuid-holland", "noord-brabant"]


def spec_path(name: str) -> Path:
    return HERE / "specs" / f"{name}.yaml"


def make(name: str, out: Path | None = None, progress=lambda m: None, cell_m: float | None = None) -> Path:
    """Write the calibration of ``name``, build it, and put it in ``out`` (default ``instances/<name>``); ``cell_m``
    builds the same instance on another grid (for benchmarks: never into the committed folder)."""
    from ruimtepuzzel.model.build.builder import build_instance

    nl_calibration.write_config(name, HERE / "specs" / name)
    out = Path(out) if out else HERE / name
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        overrides = {"grid": {"cell_m": cell_m}} if cell_m else None
        built, warnings = build_instance(spec_path(name), Path(tmp) / name, progress, overrides)
        for w in warnings:
            progress(f"warning: {w}")
        sources = out / "SOURCES.md"
        if sources.exists():
            shutil.copy2(sources, built / "SOURCES.md")
        if out.exists():
            shutil.rmtree(out)
        built.rename(out)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of {', '.join(nl_calibration.INSTANCES)} (default: {', '.join(DEFAULT)})")
    parser.add_argument("--out", type=Path, help="output folder (only with one name)")
    parser.add_argument("--cell-m", type=float, help="another cell side in metres (needs --out: benchmarks only)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    names = args.names or DEFAULT
    unknown = sorted(set(names) - set(nl_calibration.INSTANCES))
    if unknown:
        parser.error(f"unknown instance {unknown}; choose from {list(nl_calibration.INSTANCES)}")
    if args.out and len(names) != 1:
        parser.error("--out needs exactly one instance name")
    if args.cell_m and not args.out:
        parser.error("--cell-m needs --out (the committed instances keep their own grid)")
    for name in nl_calibration.INSTANCES:  # every calibration file stays current, built or not (nl-100m)
        nl_calibration.write_config(name, HERE / "specs" / name)
    for name in names:
        out = make(name, args.out, (lambda m: None) if args.quiet else (lambda m: print(m, flush=True)), args.cell_m)
        print(f"wrote {name} to {out}")


if __name__ == "__main__":
    main()
