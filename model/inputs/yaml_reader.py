"""The one reader of YAML files, with limits (docs/instances.md, "Reading files").

Every YAML file the tool reads — ``instance.yaml``, scenario overlays, sweep specs,
build specs — goes through :func:`read_yaml`. It reads safely (PyYAML's safe loader:
no tags that make objects) and within limits, so a hostile file ends in a one-line
input error instead of a hang:

* a file of at most :data:`MAX_BYTES` bytes;
* at most :data:`MAX_VALUES` values once every alias is expanded: an "alias bomb"
  (billion laughs: nine aliases of nine aliases of …) is refused while the file is
  composed, before any value is built, in time proportional to the file's length;
* nesting at most :data:`MAX_DEPTH` levels deep, and no alias that refers to itself;
* UTF-8 (a byte-order mark allowed), with every string in Unicode normal form NFC, so
  an id typed as ``Súdwest`` on one keyboard and pasted with a combining accent from
  another is one id (the units reader does the same, :mod:`.units`);
* a mapping of keys at the top, no key twice in one mapping.

``by_spelling`` (instance files) keeps every plain scalar as its spelling (``007`` stays
"007", ``0363`` never becomes 243; ``null``, ``~`` and an empty value stay None, and
merge keys ``<<`` keep their meaning): the schema converts by what a key means
(:mod:`.values`). Without it, YAML's own types (specs, where a value's type is its meaning).

Every refusal is an :class:`InputError` naming the file and the line; a value echoed in
it is cut at :data:`~ruimtepuzzel.model.errors.ECHO_LIMIT` characters.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ruimtepuzzel.model.errors import InputError, clipped, quoted

MAX_BYTES = 8 * 1024 * 1024  # the largest built-in instance.yaml is under 50 kB
MAX_VALUES = 1_000_000  # scalars, lists and mappings after alias expansion
MAX_DEPTH = 100  # nested lists and mappings


class LimitExceeded(ComposerError):
    """A YAML document beyond the limits; a :class:`yaml.YAMLError`, marked with where it was found."""


class LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting values (aliases expanded) and depth while composing; strings in NFC."""

    def __init__(self, stream):
        super().__init__(stream)
        self._sizes: dict[int, int] = {}  # id(node) -> values in it with aliases expanded (nodes live as long as the loader)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):  # an alias of a list or mapping still being composed is one inside itself
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None and id(node) not in self._sizes:
                raise LimitExceeded(None, None, f"the alias *{clipped(event.anchor, 40)} refers to the list or mapping "
                                    "it is in (a recursive alias)", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise LimitExceeded(None, None, f"lists and mappings nested more than {MAX_DEPTH} levels deep",
                                    self.peek_event().start_mark)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) not in self._sizes:
            self._sizes[id(node)] = self._expanded_size(node)
        return node

    def _expanded_size(self, node) -> int:
        if isinstance(node, ScalarNode):
            return 1
        children = node.value if isinstance(node, SequenceNode) else [c for pair in node.value for c in pair]
        size = 1
        for child in children:
            size += self._sizes[id(child)]  # composed before its parent (a recursive alias is refused above)
        if size > MAX_VALUES:
            raise LimitExceeded(None, None, f"aliases expand this to more than {MAX_VALUES:,} values "
                                "(an alias bomb?); write the values out, or use fewer aliases", node.start_mark)
        return size

    def construct_scalar(self, node):
        value = super().construct_scalar(node)
        return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


class SpellingLoader(LimitedLoader):
    """A limited loader that resolves plain scalars to their spelling (no YAML 1.1 guessing of
    octal, sexagesimal, booleans or floats); null and merge keys keep their meaning; a key
    given twice in one mapping is refused."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            first: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in first:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"key {quoted(key)} is given twice in this mapping (first on line {first[key]})",
                            key_node.start_mark)
                    first[key] = key_node.start_mark.line + 1
                except TypeError:  # an unhashable key: the constructor reports it
                    continue
        return super().construct_mapping(node, deep=deep)


_KEPT_RESOLVERS = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")
SpellingLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag in _KEPT_RESOLVERS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    if any(tag in _KEPT_RESOLVERS for tag, _ in resolvers)
}


def load_spelled(text: str):
    """YAML text with every plain scalar as a string (None for null), within the limits."""
    return yaml.load(text, Loader=SpellingLoader)  # noqa: S506 - a SafeLoader subclass


def load_limited(text: str):
    """YAML text with YAML's own types (safe tags only), within the limits."""
    return yaml.load(text, Loader=LimitedLoader)  # noqa: S506 - a SafeLoader subclass


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MB; a YAML file of this tool is far smaller "
                         "(the units belong in units.gpkg or units.csv)")
    return raw


def _problem(exc: yaml.YAMLError) -> str:
    """'line 3, column 5: found undefined alias 'x'' — the problem and where, without the file's text."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + clipped(" ".join(str(problem).split()), 200)


def read_yaml(path: Path, by_spelling: bool = False) -> dict:
    """A YAML mapping from ``path`` within the limits; ``by_spelling``: every plain scalar as its spelling (instance files).

    Raises InputError naming the file (and the line) when the file cannot be read, is larger than
    :data:`MAX_BYTES`, is not UTF-8, is not YAML, exceeds a limit, or is not a mapping at the top.
    """
    raw = _read_bytes(Path(path))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 (save the file as UTF-8)") from None
    try:
        data = load_spelled(text) if by_spelling else load_limited(text)
    except LimitExceeded as exc:
        raise InputError(f"{path}: refused: {_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {_problem(exc)}") from None
    except RecursionError:  # a guard: the depth limit should stop this first
        raise InputError(f"{path}: refused: nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of keys at the top, got {type(data).__name__}")
    return data
