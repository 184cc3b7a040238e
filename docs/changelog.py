"""Merge the changelog fragments ``changes/*.md`` into the *Unreleased* section of CHANGELOG.md.

    python docs/changelog.py            # rewrite the Unreleased section from changes/*.md
    python docs/changelog.py --check    # exit 1 if CHANGELOG.md is not what the fragments give

Each fragment (one per branch of work, e.g. ``changes/web.md``) holds Keep a Changelog headings
(``### Added``, ``### Changed``, ``### Fixed``…, any heading level) with list items under them.
The items of all fragments are gathered per heading, in Keep a Changelog's order, fragments in
name order, and written between the ``unreleased`` markers of CHANGELOG.md; everything outside
the markers is left as it is. Running it twice gives the same file. On release, move the
Unreleased items under a new version heading and delete the fragments.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ["Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"]
START, END = "<!-- unreleased:start -->", "<!-- unreleased:end -->"


def fragment_items(text: str, source: str) -> dict[str, list[str]]:
    """The list items of one fragment per heading; an item runs on over its indented lines."""
    items: dict[str, list[str]] = {}
    kind = None
    for line in text.splitlines():
        heading = re.match(r"#+\s*(.+?)\s*$", line)
        if heading:
            kind = heading.group(1).strip().capitalize()
            if kind not in KINDS:
                raise SystemExit(f"{source}: heading {heading.group(1)!r} is not one of {KINDS}")
            continue
        if re.match(r"[-*]\s+", line):
            if kind is None:
                raise SystemExit(f"{source}: list item before any heading: {line.strip()!r}")
            items.setdefault(kind, []).append("- " + line.lstrip()[1:].strip())
        elif line.strip() and kind and items.get(kind):
            items[kind][-1] += "\n  " + line.strip()
    return items


def unreleased(fragments: list[Path]) -> str:
    merged: dict[str, list[str]] = {k: [] for k in KINDS}
    for path in fragments:
        for kind, found in fragment_items(path.read_text(), path.name).items():
            merged[kind] += found
    parts = [f"### {kind}\n\n" + "\n".join(merged[kind]) for kind in KINDS if merged[kind]]
    return "\n\n".join(parts) if parts else "Nothing yet."


def merged_changelog(changelog: str, fragments: list[Path]) -> str:
    if START not in changelog or END not in changelog:
        raise SystemExit(f"CHANGELOG.md: the markers {START} and {END} are missing")
    head, rest = changelog.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{unreleased(fragments)}\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = ROOT / "CHANGELOG.md"
    fragments = sorted((ROOT / "changes").glob("*.md"))
    new = merged_changelog(path.read_text(), fragments)
    if "--check" in argv:
        if new != path.read_text():
            print("CHANGELOG.md is not up to date with changes/*.md: run python docs/changelog.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(new)
    print(f"CHANGELOG.md: Unreleased merged from {len(fragments)} fragment(s): {', '.join(p.name for p in fragments) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
