"""One CSV reader for planners' files: recognises the dialect and says what it read.

A units CSV may come from a script (UTF-8, ``,``, decimal point) or from Dutch Excel
(``;``, decimal comma, maybe a thousands point, Windows-1252 or UTF-8 with a byte-order
mark, CRLF, sometimes an Excel ``sep=;`` first line). :func:`read_cells` finds the
encoding, the line ending and the separator and returns every cell as text;
:func:`decimal_mark` finds the decimal mark from the cells of the numeric-looking
columns. Nothing is guessed silently: a file that mixes decimal marks, or whose only
dotted numbers could be either (``1.250``), is refused naming a cell; the
:class:`Dialect` read is recorded in the run's manifest.

Cells are read by pyarrow's CSV reader (fast on millions of rows); a file it refuses
(a ragged row, say) is read again by Python's :mod:`csv`, which names the line.
"""
from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional

from ruimtepuzzel.model.errors import InputError, quoted
from ruimtepuzzel.model.inputs import cells as cl

SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
SNIFF_LINES = 200

# Numbers in each dialect (cells stripped). A space (or a no-break space) may group thousands
# in either; a point groups them only in a decimal-comma file (Dutch Excel), a comma never.
SPACES = " \u00a0\u202f"
_SPACED = f"[1-9]\\d{{0,2}}([{SPACES}]\\d{{3}})+"
POINT_NUMBER = rf"^[+-]?((\d+|{_SPACED})(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
COMMA_NUMBER = rf"^[+-]?((\d+|[1-9]\d{{0,2}}(\.\d{{3}})+|{_SPACED})(,\d*)?|,\d+)([eE][+-]?\d+)?$"
# Evidence of the decimal mark: a comma or a point between digits that no thousands grouping explains.
COMMA_EVIDENCE = rf"^[+-]?(\d+|[1-9]\d{{0,2}}(\.\d{{3}})+|{_SPACED}),\d+([eE][+-]?\d+)?$"
POINT_EVIDENCE = rf"^[+-]?((\d*|{_SPACED})\.\d+|(\d+|{_SPACED})\.)([eE][+-]?\d+)?$"
GROUPED_POINT = r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$"  # 1.250: 1.25 with a decimal point, 1250 with a thousands point
GROUPED_COMMA = r"^[+-]?[1-9]\d{0,2}(,\d{3})+$"  # 1,250: 1.25 with a decimal comma, 1250 with a thousands comma


@dataclass(frozen=True)
class Dialect:
    """How a table file was written, as read."""

    file: str
    encoding: str  # UTF-8 | Windows-1252 | UTF-16 | GeoPackage
    byte_order_mark: bool = False
    separator: Optional[str] = None
    decimal_mark: str = "."
    thousands_mark: Optional[str] = None  # "." in a decimal-comma file (Dutch Excel groups by points)
    line_ending: Optional[str] = None  # LF | CRLF | CR
    header_line: int = 1  # 2 after an Excel "sep=" line

    def line(self, row: int) -> int:
        """The file line of data row ``row`` (0-based; quoted line breaks inside cells aside)."""
        return self.header_line + 1 + row

    def where(self, row: int) -> str:
        return f"line {self.line(row)}" if self.separator else f"feature {row + 1}"

    def describe(self) -> str:
        if self.separator is None:
            return f"{self.file}: GeoPackage" + (", text numbers with a decimal comma" if self.decimal_mark == "," else "")
        mark = "decimal comma" + (", thousands point" if self.thousands_mark else "") if self.decimal_mark == "," else "decimal point"
        bom = " with byte-order mark" if self.byte_order_mark else ""
        return (f"{self.file}: {SEPARATOR_NAMES[self.separator]}-separated, {mark}, {self.encoding}{bom}, "
                f"{self.line_ending} line endings" + (", Excel 'sep=' line" if self.header_line > 1 else ""))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Cells:
    """Every cell of a CSV file as text (null for an empty cell), by column, with the dialect read."""

    columns: dict[str, object]  # see .cells: pyarrow arrays, or object arrays without pyarrow
    rows: int
    dialect: Dialect
    quoted: bool = True  # some cell is quoted (only a quoted cell can hold the separator)


GZIP_MAX_RATIO = 200  # a units CSV compresses 5–20 times; a file that expands far more is a decompression bomb
GZIP_FLOOR = 512 * 1024 * 1024  # bytes a small file may always expand to


def _decompress(path: Path, raw: bytes) -> bytes:
    """The bytes of a ``.gz`` file, refused when they expand beyond ``GZIP_MAX_RATIO`` times the file (and
    ``GZIP_FLOOR``), so a decompression bomb is an input error, not gigabytes of memory."""
    if not path.name.lower().endswith(".gz"):
        return raw
    limit = max(GZIP_FLOOR, GZIP_MAX_RATIO * len(raw))
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
            body = f.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: not a readable gzip file ({exc})") from None
    if len(body) > limit:
        raise InputError(f"{path}: expands to more than {limit // (1024 * 1024):,} MB ({GZIP_MAX_RATIO} times the "
                         "compressed file or more: a decompression bomb?); give the units uncompressed")
    return body


def _decode(path: Path, raw: bytes) -> tuple[bytes, str, bool]:
    """(UTF-8 bytes without a byte-order mark, the encoding read, whether a byte-order mark was there)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        body, encoding, bom = raw[3:], "UTF-8", True
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16").encode("utf-8"), "UTF-16", True
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: starts as UTF-16 but byte {exc.start} is not UTF-16") from None
    else:
        body, encoding, bom = raw, "UTF-8", False
    try:
        if not body.isascii():
            body.decode("utf-8")
        return body, encoding, bom
    except UnicodeDecodeError as exc:
        if bom:
            line = body[:exc.start].count(b"\n") + 1
            raise InputError(f"{path}: line {line}: byte 0x{body[exc.start]:02x} is not UTF-8, though the file starts with "
                             "a UTF-8 byte-order mark") from None
    try:
        return body.decode("cp1252").encode("utf-8"), "Windows-1252", False
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: byte 0x{body[exc.start]:02x} is neither UTF-8 nor Windows-1252 "
                         "(save the file as CSV UTF-8)") from None


def _line_ending(head: str) -> str:
    if "\r\n" in head:
        return "CRLF"
    if "\r" in head:
        return "CR"
    return "LF"


def _separator(path: Path, lines: list[str]) -> str:
    """The candidate that splits the header into most fields with every sampled row as long or shorter."""
    best, best_score = ",", (False, 0)
    for sep in SEPARATORS:
        rows = [r for r in csv.reader(lines, delimiter=sep) if r]
        if not rows:
            continue
        width = len(rows[0])
        consistent = all(len(r) <= width for r in rows[1:])
        score = (consistent and width > 1, width)
        if score > best_score:
            best, best_score = sep, score
    if best_score[1] <= 1:
        shown = lines[0][:80] if lines else ""
        raise InputError(f"{path}: cannot find the separator: the header {shown!r} is one column with any of "
                         f"{', '.join(repr(s) for s in SEPARATORS)}")
    return best


def _header(path: Path, line: str, sep: str) -> list[str]:
    names = [unicodedata.normalize("NFC", n.strip()) for n in next(csv.reader([line], delimiter=sep))]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name and name in seen:
            raise InputError(f"{path}: column {quoted(name)} appears twice in the header (columns {seen[name] + 1} and {i + 1})")
        seen.setdefault(name, i)
    return names


def read_cells(path: Path) -> Cells:
    """Read a CSV (or .csv.gz) file: every cell as text, with the dialect found."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    body, encoding, bom = _decode(path, _decompress(path, raw))
    head = body[:1 << 20].decode("utf-8", errors="ignore")
    lines = head.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise InputError(f"{path}: the file is empty (no header line)")
    header_line = 1 + head.splitlines().index(lines[0])
    given = re.fullmatch(r'"?sep=(.)"?[,;\t|]*', lines[0].strip(), flags=re.IGNORECASE)
    if given:  # Excel's hint line names the separator
        sep = given.group(1)
        lines.pop(0)
        header_line += 1
        if not lines:
            raise InputError(f"{path}: no header line after {given.group(0)!r}")
    else:
        sep = _separator(path, lines[:SNIFF_LINES])
    names = _header(path, lines[0], sep)
    dialect = Dialect(file=Path(path).name, encoding=encoding, byte_order_mark=bom, separator=sep,
                      line_ending=_line_ending(head[:1 << 16]), header_line=header_line)
    ends = [m.end() for m, _ in zip(re.finditer(rb"\r\n|\r|\n", body[:1 << 20]), range(header_line))]
    start = ends[-1] if len(ends) == header_line else len(body)
    columns, rows = _parse(path, body, start, names, dialect)
    return Cells(_named(path, columns, names, dialect), rows, dialect, quoted=b'"' in body)


def _parse(path: Path, body: bytes, start: int, names: list[str], dialect: Dialect) -> tuple[list, int]:
    """The data lines (from byte ``start``, after the header) as text columns; an empty cell is null."""
    keys = [f"c{i}" for i in range(len(names))]
    if not re.search(rb"\S", memoryview(body)[start:]):
        return [cl.column([]) for _ in keys], 0
    if not cl.ARROW:
        return _parse_python(path, bytes(memoryview(body)[start:]).decode("utf-8"), names, dialect)
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        table = pcsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)[start:]),  # no copy of a large file
            read_options=pcsv.ReadOptions(column_names=keys, block_size=1 << 24),
            parse_options=pcsv.ParseOptions(delimiter=dialect.separator),
            convert_options=pcsv.ConvertOptions(column_types={k: pa.string() for k in keys}, strings_can_be_null=True,
                                                quoted_strings_can_be_null=True, null_values=[""]),
        )
        return [table.column(k) for k in keys], table.num_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        pass  # a ragged row, a stray quote: Python's reader says where
    return _parse_python(path, bytes(memoryview(body)[start:]).decode("utf-8"), names, dialect)


def _parse_python(path: Path, text: str, names: list[str], dialect: Dialect) -> tuple[list, int]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.separator, strict=True)
    width = len(names)
    out: list[list[str]] = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) > width:
                extra = [c for c in row[width:] if c.strip()]
                if extra:
                    raise InputError(
                        f"{path}: line {dialect.header_line + reader.line_num} has {len(row)} fields, the header {width} "
                        f"(read as {SEPARATOR_NAMES[dialect.separator]}-separated; first extra value {extra[0]!r})")
                row = row[:width]
            out.append(row + [""] * (width - len(row)))  # a short row: its last cells are empty (Excel drops them)
    except csv.Error as exc:
        raise InputError(f"{path}: line {dialect.header_line + reader.line_num}: cannot read as CSV: {exc}") from None
    columns = [cl.column([r[i] or None for r in out]) for i in range(width)]
    return columns, len(out)


def _named(path: Path, columns: list, names: list[str], dialect: Dialect) -> dict:
    """Columns by name; a column without a name (Excel's trailing separator) must be empty."""
    out = {}
    for i, (name, col) in enumerate(zip(names, columns)):
        if name:
            out[name] = col
            continue
        filled = ~cl.is_null(cl.clean(col))
        if filled.any():
            row = int(filled.argmax())
            raise InputError(f"{path}: column {i + 1} has no name in the header but {dialect.where(row)} holds "
                             f"{quoted(cl.cell(col, row))}")
    return out


# --------------------------------------------------------------------------- the decimal mark

def _find(columns: dict, pattern: str, extra=None) -> Optional[tuple[str, int, str]]:
    """The first (column, row, cell) matching ``pattern`` (and not ``extra`` when given)."""
    for name, col in columns.items():
        text = cl.clean(col)
        hit = cl.matches(text, pattern)
        if extra is not None and hit.any():
            hit &= ~cl.matches(text, extra)
        if hit.any():
            row = int(hit.argmax())
            return name, row, cl.cell(text, row)
    return None


def decimal_mark(path: Path, cells: Cells, candidates: list[str]) -> Dialect:
    """The dialect with its decimal mark, from the cells of ``candidates`` (the columns that may hold numbers).

    A comma between digits that is no thousands grouping (``2,5``, ``0,250``, ``1.250,00``)
    says decimal comma; such a point (``2.5``, ``0.250``) says decimal point. Both in one
    file is an input error naming a cell of each. With neither, a file whose numbers
    could be read either way (``1.250``, ``1,250``) is refused naming the cell, except
    that a comma-separated file reads a point as a decimal point.
    """
    d = cells.dialect
    columns = {c: cells.columns[c] for c in candidates if c in cells.columns}
    if d.separator == "," and (not cells.quoted or not any(cl.any_contains(col, ",") for col in columns.values())):
        return d  # a decimal comma needs quotes here: no cell holds a comma, so the point is the decimal mark
    comma = _find(columns, COMMA_EVIDENCE, GROUPED_COMMA)
    point = _find(columns, POINT_EVIDENCE, GROUPED_POINT)
    if comma and point:
        raise InputError(f"{path}: mixes decimal marks: column {comma[0]!r} {d.where(comma[1])} has {comma[2]!r} "
                         f"(decimal comma) and column {point[0]!r} {d.where(point[1])} has {point[2]!r} (decimal point)")
    if comma:
        return replace(d, decimal_mark=",", thousands_mark=".")
    if point:
        return d
    grouped = _find(columns, GROUPED_COMMA) or (None if d.separator == "," else _find(columns, GROUPED_POINT))
    if grouped:
        name, row, cell = grouped
        mark, other = (",", ".") if "," in cell else (".", ",")
        whole = cell.replace(mark, "")
        raise InputError(f"{path}: column {name!r} {d.where(row)} has {cell!r}, which is {whole} with a thousands "
                         f"{'comma' if mark == ',' else 'point'} or {cell.replace(mark, '.')} with a decimal "
                         f"{'comma' if mark == ',' else 'point'}, and no other number in the file shows which decimal "
                         f"mark it uses (write it as {whole}, or with its decimals)")
    return d
