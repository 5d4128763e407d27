"""Low-level readers: bytes -> decoded text -> rows of cells, for every supported format.

Nothing here knows about feedback: it turns a file into a header-less grid of cells
(delimited text and Excel) or a DataFrame with named columns (JSON, JSON Lines,
Parquet), keeps the source line/row number of every data row, and records rows that
could not be read. :mod:`jtbd.io` builds records from that.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import DataError, UsageError

DELIMITED = {".csv", ".tsv", ".tab", ".txt"}
JSON_EXT = {".json"}
JSONL_EXT = {".jsonl", ".ndjson"}
PARQUET_EXT = {".parquet", ".pq"}
EXCEL_EXT = {".xlsx", ".xlsm"}
SUPPORTED = DELIMITED | JSON_EXT | JSONL_EXT | PARQUET_EXT | EXCEL_EXT

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class Skip:
    """One input row that did not become a record."""

    source_row: int
    reason: str  # empty_text | duplicate_row | unreadable_row
    detail: str = ""


@dataclass
class Grid:
    """A header-less table of string cells, as read from a delimited file or a sheet."""

    rows: list[list[str]]
    row_numbers: list[int]  # 1-based line (text) or row (sheet) where each row starts
    fmt: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Frame:
    """A table with named columns, as read from JSON, JSON Lines or Parquet."""

    frame: Any  # pandas.DataFrame
    row_numbers: list[int]
    fmt: str
    encoding: str | None = None
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- format


def detect_format(path: Path, head: bytes) -> str:
    """Name the format of ``path`` from its extension, or from its first bytes."""
    ext = path.suffix.lower()
    if ext in {".tsv", ".tab"}:
        return "tsv"
    if ext in {".csv", ".txt"}:
        return "csv"
    if ext in JSON_EXT:
        return "json"
    if ext in JSONL_EXT:
        return "jsonl"
    if ext in PARQUET_EXT:
        return "parquet"
    if ext in EXCEL_EXT:
        return "excel"
    if ext == ".xls":
        raise DataError(
            "E106",
            f"'{path.name}' is a legacy Excel 97-2003 (.xls) workbook, which jtbd does not read",
            fix="open it in Excel or LibreOffice and save it as .xlsx or .csv",
        )
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return "jsonl" if stripped[:1] == b"{" and b"}\n{" in head.replace(b"\r", b"") else "json"
    return "csv"


# --------------------------------------------------------------------------- decoding


def _legacy_decode(line: bytes) -> str:
    """Decode a non-UTF-8 line as Windows-1252, bytes it leaves undefined as Latin-1."""
    return line.decode("cp1252", errors="strict") if _cp1252_ok(line) else line.decode("latin-1")


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, *, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a whole text file and return ``(text, encoding_report)``.

    Detection order: a byte-order mark (UTF-8/16/32), UTF-16 without a mark, strict
    UTF-8, then a line-by-line pass that keeps UTF-8 lines and reads the others as
    Windows-1252 (a superset of Latin-1), reported as ``"cp1252"`` or, when both kinds
    of line occur, ``"mixed (utf-8 + cp1252)"``. Never raises on legacy bytes.

    Raises:
        DataError: the file is binary (NUL bytes in a non-UTF-16 file).
        UsageError: ``encoding`` names an unknown codec.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError("E205", f"unknown encoding '{encoding}'", fix="use a Python codec name such as utf-8 or cp1252") from None
        return data.decode(encoding, errors="replace"), encoding
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode("utf-8" if enc == "utf-8-sig" else enc)
            except UnicodeDecodeError:
                raise DataError("E103", f"'{name}' starts with a {enc} byte-order mark but is not valid {enc}", fix="re-export the file as UTF-8") from None
            return text, enc
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    head = data[:65536]
    if head.count(0) > max(16, len(head) // 100):  # a few stray NULs are removed (and counted) by the reader
        raise DataError("E103", f"'{name}' looks like a binary file, not text ({head.count(0):,} NUL bytes in its first {len(head):,})",
                        fix="check it is the export you meant: jtbd reads CSV, TSV, Excel (.xlsx), JSON, JSON Lines and Parquet")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8 as a whole. Decide line by line which lines are valid UTF-8: if they are
    # a real share of the non-ASCII lines the file mixes encodings (lines appended by
    # different tools); a handful is chance (two Latin-1 bytes can form a UTF-8 pair).
    lines = data.splitlines(keepends=True)
    utf8_ok = [False] * len(lines)
    n_utf8 = n_nonascii = 0
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        n_nonascii += 1
        try:
            line.decode("utf-8")
            utf8_ok[i] = True
            n_utf8 += 1
        except UnicodeDecodeError:
            pass
    if n_utf8 < max(3, 0.2 * n_nonascii) and n_utf8 < 0.5 * n_nonascii:
        return "".join(_legacy_decode(line) for line in lines), "cp1252"
    parts = [line.decode("utf-8") if ok else _legacy_decode(line) for line, ok in zip(lines, utf8_ok)]
    return "".join(parts), "mixed (utf-8 + cp1252)"


def _check_text_not_binary(text: str, name: str) -> None:
    sample = text[:20000]
    if not sample:
        return
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n\f") or 0xFFF0 <= ord(ch) <= 0xFFFF)
    if controls > max(16, 0.05 * len(sample)):  # a few stray control characters are text, and removed or kept
        raise DataError("E103", f"'{name}' looks like a binary file, not text ({controls} control characters in its first {len(sample)})",
                        fix="check it is the export you meant: jtbd reads CSV, TSV, Excel (.xlsx), JSON, JSON Lines and Parquet")


# --------------------------------------------------------------------------- delimited


def sniff_delimiter(text: str, *, preferred: str | None = None) -> str:
    """Choose the delimiter (``,`` ``\\t`` ``;`` ``|``) that splits the first records most consistently."""
    sample = text[:200_000]
    best, best_score = preferred or ",", -1.0
    for delim in ([preferred] if preferred else []) + [d for d in ",\t;|" if d != preferred]:
        try:
            rows = []
            reader = csv.reader(io.StringIO(sample), delimiter=delim)
            for row in reader:
                rows.append(len(row))
                if len(rows) >= 60:
                    break
        except csv.Error:
            continue
        if len(rows) > 3 and len(sample) < len(text):
            rows = rows[:-1]  # the last record of a cut sample may be incomplete
        counts = [n for n in rows if n > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = counts.count(mode) / len(counts) + min(mode, 50) / 1000
        if preferred == delim:
            score += 0.05
        if score > best_score:
            best, best_score = delim, score
    return best


def read_delimited(text: str, *, fmt: str, encoding: str, name: str) -> Grid:
    """Parse delimited text into a :class:`Grid`; a stray NUL or bad quoting never crashes."""
    _check_text_not_binary(text, name)
    delim = sniff_delimiter(text, preferred="\t" if fmt == "tsv" else None)
    fmt = "tsv" if delim == "\t" else "csv"
    grid = Grid(rows=[], row_numbers=[], fmt=fmt, encoding=encoding, delimiter=delim)
    for row, start in delimited_rows(io.StringIO(text, newline=""), delim, notes=grid.notes):
        if isinstance(row, Skip):
            grid.skipped.append(row)
        else:
            grid.rows.append(row)
            grid.row_numbers.append(start)
    return grid


def delimited_rows(lines, delim: str, *, notes: list[str] | None = None, first_line: int = 1):
    """``(row, line)`` for each non-blank row of ``lines`` (an open text file or any line iterable),
    ``line`` being the 1-based line where the row starts; an unreadable row comes as ``(Skip, line)``.

    Repairs, each reported in ``notes``: NUL characters are removed; a quote that opens a
    field and never closes (which would swallow every later line into one field) is closed
    at the end of its line, and the lines after it are read as rows of their own.
    """
    raw: list[str] = []
    nuls = [0, None]  # count, first line

    def feed():
        for line in lines:
            if "\x00" in line:
                if nuls[1] is None:
                    nuls[1] = first_line + len(raw_lines_seen)
                nuls[0] += line.count("\x00")
                line = line.replace("\x00", "")
            raw.append(line)
            raw_lines_seen.append(None)
            yield line

    raw_lines_seen: list[None] = []  # only its length matters (lines read so far)
    reader = csv.reader(feed(), delimiter=delim)
    start = first_line
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # pragma: no cover - csv rarely raises with strict=False
            yield Skip(start, "unreadable_row", f"csv error: {exc}"), start
            raw.clear()
            start = first_line + reader.line_num
            continue
        record, raw[:] = list(raw), []
        if len(record) > 1 and _unterminated(record, delim):
            if notes is not None:
                notes.append(f"line {start}: a quote opened here never closes; the field was closed at the end of the line "
                             f"and the {len(record) - 1:,} lines after it were read as rows")
            first = next(csv.reader([record[0].rstrip("\r\n") + '"'], delimiter=delim), [])
            if first and any(cell.strip() for cell in first):
                yield first, start
            yield from delimited_rows(record[1:], delim, notes=notes, first_line=start + 1)
            break
        if row and any(cell.strip() for cell in row):
            yield row, start
        start = first_line + reader.line_num
    if nuls[0] and notes is not None:
        notes.append(f"{nuls[0]:,} NUL characters removed (the first on line {nuls[1]})")


def _unterminated(record: list[str], delim: str) -> bool:
    """Whether the lines of one CSV record end inside a quoted field (the file ended before the quote closed)."""
    try:
        for _ in csv.reader(record, delimiter=delim, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


# --------------------------------------------------------------------------- excel


def _cell_to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if (value.hour or value.minute or value.second) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_excel(path: Path, *, sheet: str | None = None) -> Grid:
    """Read one sheet of an .xlsx workbook as strings (the first with data unless ``sheet``)."""
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DataError("E301", "reading Excel files needs openpyxl", fix="pip install openpyxl") from exc
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise DataError("E105", f"'{path.name}' could not be opened as an Excel workbook ({type(exc).__name__}: {exc})", fix="open it in Excel and save it again as .xlsx, or export it as CSV") from None
    try:
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            raise UsageError("E206", f"sheet '{sheet}' not found in '{path.name}' (sheets: {', '.join(names)})", fix="pass one of those names with --sheet")
        order = [sheet] if sheet else names
        for sheet_name in order:
            ws = wb[sheet_name]
            rows, numbers = [], []
            for i, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_cell_to_str(v) for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                if any(c.strip() for c in cells):
                    rows.append(cells)
                    numbers.append(i)
            if rows:
                notes = [] if len(names) == 1 else [f"read sheet '{sheet_name}' of {len(names)} ({', '.join(names)}); choose another with --sheet"]
                return Grid(rows=rows, row_numbers=numbers, fmt="excel", sheet=sheet_name, notes=notes)
        return Grid(rows=[], row_numbers=[], fmt="excel", sheet=order[0] if order else None)
    finally:
        wb.close()


# --------------------------------------------------------------------------- json / parquet


def _records_from_json(obj: Any, name: str) -> list[dict]:
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        lists = [(k, v) for k, v in obj.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v[:50])]
        if len(lists) == 1:
            return lists[0][1]
        if lists:
            key = max(lists, key=lambda kv: len(kv[1]))[0]
            return dict(lists)[key]
        if all(isinstance(v, dict) for v in obj.values()) and obj:
            return [{"id": k, **v} for k, v in obj.items()]
        return [obj]
    raise DataError("E107", f"'{name}' holds a JSON {type(obj).__name__}, not a list of records", fix="give a JSON array of objects, or JSON Lines with one object per line")


def read_json(text: str, *, encoding: str, name: str, lines: bool) -> Frame:
    """Read JSON (an array of objects, or an object holding one) or JSON Lines."""
    import pandas as pd

    skipped: list[Skip] = []
    numbers: list[int] = []
    records: list[dict] = []
    if not lines:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            # a .json file that is really JSON Lines
            first = text.lstrip().splitlines()[0] if text.strip() else ""
            try:
                json.loads(first)
                lines = True
            except (json.JSONDecodeError, IndexError):
                raise DataError("E107", f"'{name}' is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", fix="check the file is complete, or export it as CSV") from None
        else:
            items = _records_from_json(obj, name)
            for i, item in enumerate(items, start=1):
                if isinstance(item, dict):
                    records.append(item)
                    numbers.append(i)
                else:
                    skipped.append(Skip(i, "unreadable_row", f"item {i} is a JSON {type(item).__name__}, not an object"))
    if lines:
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                skipped.append(Skip(i, "unreadable_row", f"invalid JSON: {exc.msg}"))
                continue
            if not isinstance(item, dict):
                skipped.append(Skip(i, "unreadable_row", f"a JSON {type(item).__name__}, not an object"))
                continue
            records.append(item)
            numbers.append(i)
    frame = pd.json_normalize(records, max_level=1) if records else pd.DataFrame()
    return Frame(frame=frame, row_numbers=numbers, fmt="jsonl" if lines else "json", encoding=encoding, skipped=skipped)


def read_parquet(path: Path) -> Frame:
    """Read a Parquet file (row numbers are 1-based positions)."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise DataError("E105", f"'{path.name}' could not be read as Parquet ({type(exc).__name__}: {exc})", fix="check the file is complete, or export it as CSV") from None
    frame = frame.reset_index(drop=True)
    return Frame(frame=frame, row_numbers=list(range(1, len(frame) + 1)), fmt="parquet")


def read_file(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Grid | Frame:
    """Read any supported file into a :class:`Grid` or a :class:`Frame`."""
    try:
        if not path.is_file():  # a FIFO, socket or device would block or never end
            raise UsageError("E208", f"'{path}' is not a regular file", fix="point at an export file or a folder of them")
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise DataError("E110", f"'{path.name}' could not be read ({exc.strerror or type(exc).__name__})",
                        fix="check the file exists and you may read it (permissions), or point at another file") from None
    fmt = detect_format(path, head)
    if sheet is not None and fmt != "excel":
        raise UsageError("E217", f"--sheet '{sheet}' was given, but '{path.name}' is a {fmt} file, not an Excel workbook",
                         fix="drop --sheet (it picks a sheet of an .xlsx file)")
    if fmt == "parquet":
        return read_parquet(path)
    if fmt == "excel":
        return read_excel(path, sheet=sheet)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError("E110", f"'{path.name}' could not be read ({exc.strerror or type(exc).__name__})",
                        fix="check the file exists and you may read it (permissions), or point at another file") from None
    if not data.strip():
        raise DataError("E101", f"'{path.name}' is empty", fix="check the export finished, or point at another file")
    text, enc = decode_bytes(data, name=path.name, encoding=encoding)
    if fmt in ("json", "jsonl"):
        return read_json(text, encoding=enc, name=path.name, lines=fmt == "jsonl")
    return read_delimited(text, fmt=fmt, encoding=enc, name=path.name)

