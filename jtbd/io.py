"""Load feedback dumps: any common format, encoding and layout, every row accounted for.

:func:`load_feedback` is the first stage of the pipeline. It reads CSV/TSV (delimiter
sniffed), JSON, JSON Lines, Parquet, Excel (.xlsx) or a folder of such files; detects
the encoding (UTF-8 with or without BOM, UTF-16, Windows-1252/Latin-1, and files that
mix them line by line) and repairs unambiguous mojibake; infers the column roles;
recognises wide survey exports (Qualtrics, SurveyMonkey, one column per question) and
melts them to one record per answer. Rows that do not become records are listed with
their reason and source row, so ``records + skipped == rows read``.

The records table has these columns first, then the input's other columns:
``record_id, text, date, score, channel, question, customer_id, customer_value,
respondent_id, question_id, source_file, source_row``.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ._read import EXCEL_EXT, SUPPORTED, Frame, Grid, Skip, read_file
from .columns import infer_roles, numeric, parse_dates
from .config import LoadConfig
from .errors import DataError, UsageError
from .surveys import Header, choose_open_questions, detect_header, unique_names

__all__ = ["load_feedback", "read_table", "LoadedFeedback", "CANONICAL_COLUMNS", "SKIP_REASONS"]

CANONICAL_COLUMNS = [
    "record_id", "text", "date", "score", "channel", "question", "customer_id", "customer_value",
    "respondent_id", "question_id", "source_file", "source_row",
]
SKIP_REASONS = ("empty_text", "duplicate_row", "unreadable_row", "text_too_long")
_ROLE_TO_COLUMN = {"id": "record_id"}


@dataclass
class LoadedFeedback:
    """What :func:`load_feedback` returns.

    Attributes:
        records: One row per feedback record (see the module doc for its columns).
        skipped: One row per input row that did not become a record:
            ``source_file, source_row, reason, detail``.
        info: What was found: format, encoding, rows read, roles, layout, questions,
            score scale, notes; :meth:`summary` gives the JSON form.
        files: Per-file info for a folder (one dict per file).
    """

    records: Any
    skipped: Any
    info: dict
    files: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        """A JSON-serialisable summary, as printed by ``jtbd inspect --json``."""
        return dict(self.info)


# --------------------------------------------------------------------------- public


def load_feedback(source, *, config: LoadConfig | None = None, text_col: str | None = None, id_col: str | None = None,
                  date_col: str | None = None, score_col: str | None = None, channel_col: str | None = None,
                  question_col: str | None = None, customer_col: str | None = None, value_col: str | None = None,
                  layout: str | None = None, encoding: str | None = None, sheet: str | None = None,
                  redact: bool | None = None, progress: bool = False) -> LoadedFeedback:
    """Load a feedback dump (file, folder or DataFrame) into tidy records.

    Args:
        source: A path to a file or folder, or a pandas DataFrame.
        config: Loading options; the keyword arguments below override it.
        text_col, id_col, date_col, score_col, channel_col, question_col, customer_col, value_col:
            Name the column for a role instead of inferring it.
        layout: ``"auto"`` (default), ``"long"`` (one record per row) or ``"wide"``
            (one column per open question, melted).
        encoding: Force a text encoding instead of detecting it.
        sheet: Excel sheet to read (default: the first with data).
        redact: Mask e-mails, phones, card/account numbers, postcodes and @handles.
        progress: Show a progress bar on stderr while reading a folder of files.

    Returns:
        A :class:`LoadedFeedback` with ``records``, ``skipped`` and ``info``.

    Raises:
        DataError: the input is empty, binary, unreadable or has no text column.
        UsageError: an option names a missing column or an unknown value.

    Example:
        >>> import pandas as pd, jtbd
        >>> df = pd.DataFrame({"comment": ["Lovely staff, quick visit", "", "Parking is a nightmare"]})
        >>> loaded = jtbd.load_feedback(df)
        >>> len(loaded.records), loaded.info["skipped"]
        (2, {'empty_text': 1})
    """
    cfg = config or LoadConfig()
    overrides = dict(text_col=text_col, id_col=id_col, date_col=date_col, score_col=score_col, channel_col=channel_col,
                     question_col=question_col, customer_col=customer_col, value_col=value_col, layout=layout,
                     encoding=encoding, sheet=sheet, redact=redact)
    import dataclasses

    cfg = dataclasses.replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
    if cfg.layout not in ("auto", "long", "wide"):
        raise UsageError("E207", f"layout must be auto, long or wide; got '{cfg.layout}'", fix="pass --layout auto|long|wide")
    started = time.perf_counter()
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        frame = Frame(frame=source.reset_index(drop=True), row_numbers=list(range(1, len(source) + 1)), fmt="dataframe")
        result = _load_one(frame, name="dataframe", cfg=cfg, prefix="")
        result.info["inputs"] = []
    else:
        path = Path(source)
        if not path.exists():
            raise UsageError("E208", f"'{path}' does not exist", fix="check the path")
        if not path.is_dir() and not path.is_file():  # a FIFO, socket or device would block or never end
            raise UsageError("E208", f"'{path}' is not a regular file or folder", fix="point at an export file or a folder of them")
        if path.is_dir():
            result = _load_folder(path, cfg, progress=progress)
        else:
            result = _load_one(read_file(path, encoding=cfg.encoding, sheet=cfg.sheet), name=path.name, cfg=cfg, prefix="")
            result.info["inputs"] = [_file_info(path)]
    result.info["seconds"] = round(time.perf_counter() - started, 4)
    return result


def read_table(path, *, encoding: str | None = None, sheet: str | None = None):
    """Read a labelled file as a plain DataFrame with its own column names.

    The same readers as :func:`load_feedback` (formats, encodings, survey headers), but
    no role inference, renaming or skipping: for label files given to ``train`` and
    ``evaluate`` commands.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError("E208", f"'{path}' is not a file", fix="check the path")
    table = read_file(path, encoding=encoding, sheet=sheet)
    if isinstance(table, Grid):
        if not table.rows:
            raise DataError("E101", f"'{path.name}' is empty", fix="check the file")
        header = detect_header(table.rows)
        frame, _ = _grid_to_frame(table, header)
        return frame
    frame = table.frame
    frame.columns = unique_names([str(c) for c in frame.columns])
    return frame


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_info(path: Path) -> dict:
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": file_sha256(path)}


def _odd_entries(folder: Path) -> list[str]:
    """Notes on entries of ``folder`` with a supported extension that are not regular files (broken links, FIFOs ...)."""
    notes = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.suffix.lower() not in SUPPORTED or any(part.startswith((".", "~$")) for part in rel.parts) or p.is_file() or p.is_dir():
            continue
        what = "a broken link" if p.is_symlink() and not p.exists() else "not a regular file (a FIFO, socket or device)"
        notes.append(f"{rel}: skipped, {what}")
    return notes


def iter_input_files(folder: Path) -> Iterable[Path]:
    """Supported files below ``folder``, sorted, hidden files and folders excluded."""
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and p.suffix.lower() in SUPPORTED and not any(part.startswith((".", "~$")) for part in rel.parts):
            yield p


# --------------------------------------------------------------------------- folder


def _load_folder(folder: Path, cfg: LoadConfig, *, progress: bool = False) -> LoadedFeedback:
    import pandas as pd
    from tqdm.auto import tqdm

    files = list(iter_input_files(folder))
    if not files:
        raise DataError("E108", f"folder '{folder}' holds no CSV, TSV, JSON, JSON Lines, Parquet or Excel files", fix="point at a folder of exports or at one file")
    if cfg.sheet is not None and not any(p.suffix.lower() in EXCEL_EXT for p in files):
        raise UsageError("E217", f"--sheet '{cfg.sheet}' was given, but folder '{folder}' holds no Excel workbooks",
                         fix="drop --sheet (it picks a sheet of the .xlsx files in a folder)")
    parts, skips, infos = [], [], []
    folder_notes, files_skipped = _odd_entries(folder), []
    for path in tqdm(files, desc="loading files", unit="file", disable=not progress, leave=False):
        rel = str(path.relative_to(folder))
        sheet = cfg.sheet if path.suffix.lower() in EXCEL_EXT else None
        try:
            one = _load_one(read_file(path, encoding=cfg.encoding, sheet=sheet), name=rel, cfg=cfg, prefix=Path(rel).with_suffix("").as_posix() + ":")
        except DataError as exc:  # one bad file (empty, binary, unreadable, no text) does not sink the folder
            files_skipped.append({"file": rel, "code": exc.code, "reason": exc.message})
            folder_notes.append(f"{rel}: skipped, {exc.code}: {exc.message}")
            continue
        one.records["source_file"] = rel
        one.skipped["source_file"] = rel
        parts.append(one.records)
        skips.append(one.skipped)
        infos.append({**one.info, "file": rel, **_file_info(path)})
    if not infos:
        first = files_skipped[0]
        raise DataError("E111", f"no file in folder '{folder}' could be read ({len(files_skipped)} skipped; "
                                f"{first['file']}: {first['code']}: {first['reason']})", fix="check the files, or point at one of them to see its error")
    records = pd.concat(parts, ignore_index=True, sort=False)
    skipped = pd.concat(skips, ignore_index=True)
    skipped_counts = Counter()
    for info in infos:
        skipped_counts.update(info["skipped"])
    roles = {role: next((i["roles"][role] for i in infos if i["roles"].get(role)), None) for role in infos[0]["roles"]}
    layouts = {i["layout"] for i in infos}
    info = {
        "format": "folder",
        "formats": sorted({i["format"] for i in infos}),
        "encoding": ", ".join(sorted({i["encoding"] for i in infos if i.get("encoding")})) or None,
        "files": len(infos),
        "rows_read": sum(i["rows_read"] for i in infos),
        "rows_kept": sum(i["rows_kept"] for i in infos),
        "records": len(records),
        "skipped": dict(skipped_counts),
        "roles": roles,
        "layout": layouts.pop() if len(layouts) == 1 else "mixed",
        "questions": list(dict.fromkeys(q for i in infos for q in i.get("questions", []))),
        "score_scale": next((i["score_scale"] for i in infos if i.get("score_scale")), None),
        "notes": folder_notes + [f"{i['file']}: {n}" for i in infos for n in i.get("notes", [])],
        "files_skipped": files_skipped,
        "inputs": [{k: i[k] for k in ("path", "bytes", "sha256")} for i in infos],
        "per_file": [{k: v for k, v in i.items() if k not in ("inputs",)} for i in infos],
        "redaction": _merge_redaction(infos),
        "mojibake_repaired": sum(i.get("mojibake_repaired", 0) for i in infos),
    }
    records = _order_columns(records)
    return LoadedFeedback(records=records, skipped=skipped, info=info, files=infos)


def _merge_redaction(infos: list[dict]) -> dict | None:
    if not any(i.get("redaction") for i in infos):
        return None
    total: Counter = Counter()
    for i in infos:
        total.update((i.get("redaction") or {}).get("masked", {}))
    return {"enabled": True, "masked": dict(total)}


# --------------------------------------------------------------------------- one table


def _grid_to_frame(grid: Grid, header: Header):
    import pandas as pd

    width = len(header.columns)
    body, numbers = [], []
    for row, number in zip(grid.rows[header.n_rows:], grid.row_numbers[header.n_rows:]):
        if len(row) > width:
            extra = row[width:]
            if any(c.strip() for c in extra):
                grid.skipped.append(Skip(number, "unreadable_row", f"{len(row)} fields where the header has {width} (an unquoted delimiter or a broken line?)"))
                continue
            row = row[:width]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        body.append(row)
        numbers.append(number)
    frame = pd.DataFrame(body, columns=header.columns, dtype=object) if body else pd.DataFrame(columns=header.columns, dtype=object)
    return frame, numbers


def _load_one(table: Grid | Frame, *, name: str, cfg: LoadConfig, prefix: str) -> LoadedFeedback:
    import pandas as pd

    notes = list(table.notes)
    if isinstance(table, Grid):
        if not table.rows:
            raise DataError("E101", f"'{name}' is empty (no rows with any content)", fix="check the export finished, or point at another file")
        header = detect_header(table.rows)
        df, numbers = _grid_to_frame(table, header)
        if header.platform:
            notes.append(f"{header.platform} export: {header.n_rows} header rows")
    else:
        df = table.frame
        df.columns = unique_names([str(c) for c in df.columns])
        numbers = list(table.row_numbers)
        header = Header(columns=list(df.columns))
    rows_read = len(df) + sum(1 for s in table.skipped if s.reason == "unreadable_row")
    if len(df) == 0:
        if table.skipped:
            raise DataError("E104", f"'{name}' has no readable data rows ({len(table.skipped)} unreadable)", fix="check the delimiter and quoting of the file")
        raise DataError("E104", f"'{name}' has a header but no data rows", fix="check the export finished, or point at another file")

    overrides = {"text": cfg.text_col, "id": cfg.id_col, "date": cfg.date_col, "score": cfg.score_col, "channel": cfg.channel_col,
                 "question": cfg.question_col, "customer_id": cfg.customer_col, "customer_value": cfg.value_col}
    inference = infer_roles(df, overrides=overrides, source=f"'{name}'", require_text=False)
    notes.extend(inference.notes)
    open_cols = [] if cfg.text_col and cfg.layout != "wide" else choose_open_questions(header, inference, layout=cfg.layout)
    if cfg.layout == "wide" and not header.platform:
        question = inference.roles.get("question")
        if question and _names_questions(df[question]):
            raise UsageError("E219", f"--layout wide was asked for, but column '{question}' of '{name}' names the question of each row "
                                     "(a long file: one answer per row)", fix="drop --layout wide, or pass --layout long")
        # a column that plays another role (id, channel, customer ...) is no open question
        taken = {c for r, c in inference.roles.items() if c and r != "text"}
        open_cols = [c for c in open_cols if c not in taken]
    if cfg.layout == "wide" and not open_cols:
        raise DataError("E109", f"--layout wide was asked for, but '{name}' has no free-text columns to melt", fix="use --layout long with --text-col NAME")
    if open_cols:
        rest = df.drop(columns=open_cols)
        inference = infer_roles(rest, overrides={k: v for k, v in overrides.items() if k != "text"}, source=f"'{name}'", require_text=False)
        inference.roles["text"] = None
    elif inference.roles["text"] is None:
        infer_roles(df, overrides=overrides, source=f"'{name}'", require_text=True)  # raises E102 with candidates

    skipped: list[Skip] = list(table.skipped)
    keep = pd.Series(True, index=df.index)
    if cfg.dedupe:
        hashes = pd.util.hash_pandas_object(df.astype(str), index=False)
        dup = hashes.duplicated(keep="first")
        if dup.any():
            first_row = {}
            for i, h in zip(range(len(hashes)), hashes.to_numpy()):
                first_row.setdefault(h, numbers[i])
            for i in dup.to_numpy().nonzero()[0]:
                skipped.append(Skip(numbers[i], "duplicate_row", f"every field equals row {first_row[hashes.iat[i]]}"))
            keep &= ~dup

    if open_cols:
        records, empty_rows = _melt_wide(df, keep, numbers, open_cols, header, inference, prefix)
        for i in empty_rows:
            skipped.append(Skip(numbers[i], "empty_text", "no answer to any open question"))
        layout = "wide"
    else:
        records, empty_rows = _long_records(df, keep, numbers, inference, prefix)
        for i in empty_rows:
            skipped.append(Skip(numbers[i], "empty_text", f"column '{inference.roles['text']}' is empty"))
        layout = "long"

    if cfg.max_text_chars and len(records):
        records = _drop_too_long(records, cfg.max_text_chars, skipped, notes)

    repaired = 0
    if cfg.repair_mojibake and len(records):
        records["text"], repaired = _repair_mojibake(records["text"])
        if "question" in records:
            records["question"], _ = _repair_mojibake(records["question"])
    redaction = None
    if cfg.redact and len(records):
        from .redact import redact_frame

        records, masked = redact_frame(records)  # every column written out, not only the text
        redaction = {"enabled": True, "masked": masked}

    skipped_df = pd.DataFrame(
        [{"source_file": name, "source_row": s.source_row, "reason": s.reason, "detail": s.detail} for s in sorted(skipped, key=lambda s: s.source_row)],
        columns=["source_file", "source_row", "reason", "detail"],
    )
    counts = Counter(s.reason for s in skipped)
    rows_kept = rows_read - len(skipped)
    roles = {r: inference.roles.get(r) for r in ("text", "id", "date", "score", "channel", "question", "customer_id", "customer_value")}
    if open_cols:
        roles["text"] = None
        roles["question"] = None
    info = {
        "format": table.fmt,
        "encoding": table.encoding,
        "delimiter": getattr(table, "delimiter", None),
        "sheet": getattr(table, "sheet", None),
        "platform": header.platform,
        "header_rows": header.n_rows if isinstance(table, Grid) else None,
        "rows_read": rows_read,
        "rows_kept": rows_kept,
        "records": len(records),
        "skipped": dict(counts),
        "roles": roles,
        "layout": layout,
        "questions": [header.questions.get(c, c) for c in open_cols],
        "question_columns": open_cols,
        "score_scale": inference.score_scale,
        "date_format": inference.date_format,
        "text_candidates": inference.text_candidates[:5],
        "mojibake_repaired": repaired,
        "redaction": redaction,
        "notes": notes,
    }
    if header.platform:
        info["column_ids"] = {c: header.column_ids.get(c) for c in open_cols}
    records["source_file"] = None if name == "dataframe" else name
    return LoadedFeedback(records=_order_columns(records), skipped=skipped_df, info=info)


def _drop_too_long(records, limit: int, skipped: list, notes: list):
    """Records whose text is longer than ``limit`` characters, dropped: a row is skipped (text_too_long)
    when none of its records is left, otherwise the dropped answers are noted."""
    lengths = records["text"].str.len()
    long = lengths > limit
    if not long.any():
        return records
    rows_left = set(records.loc[~long, "source_row"])
    partial = 0
    for row, n in zip(records.loc[long, "source_row"], lengths[long]):
        if row in rows_left:
            partial += 1
        elif not any(s.source_row == row and s.reason == "text_too_long" for s in skipped[-5:]):
            skipped.append(Skip(int(row), "text_too_long", f"text of {int(n):,} characters is longer than load.max_text_chars ({limit:,})"))
    if partial:
        notes.append(f"{partial:,} answers longer than load.max_text_chars ({limit:,} characters) left out of rows that kept other answers")
    return records.loc[~long].reset_index(drop=True)


def _names_questions(series) -> bool:
    """Whether a column holds the questions asked (repeated prompts, or values that read as questions)."""
    from .columns import is_question_like

    values = series.dropna().astype(str).str.strip()
    values = values[values != ""].head(3000)
    if len(values) < 2:
        return False
    return values.nunique() <= 0.5 * len(values) or values.map(is_question_like).mean() > 0.5


def _canonical(df, idx, inference, prefix: str, numbers: list[int]):
    """Role columns (renamed, parsed) for the rows ``idx`` of ``df``, plus untouched other columns."""
    import pandas as pd

    roles = inference.roles
    sub = df.loc[idx]
    out = pd.DataFrame(index=sub.index)
    if roles.get("date"):
        parsed, _ = parse_dates(sub[roles["date"]])
        out["date"] = parsed
    if roles.get("score"):
        score = numeric(sub[roles["score"]])
        scale = inference.score_scale
        if scale:  # values outside the scale (e.g. FFT 6 = "don't know") are no score
            score = score.where((score >= scale["min"]) & (score <= scale["max"]))
        out["score"] = score
    for role in ("channel", "question", "customer_id"):
        if roles.get(role):
            out[role] = _as_str(sub[roles[role]])
    if roles.get("customer_value"):
        out["customer_value"] = numeric(sub[roles["customer_value"]])
    used = {c for r, c in roles.items() if c and r != "id"}
    canon = set(CANONICAL_COLUMNS)
    rest = [col for col in sub.columns if not (col in used or col == roles.get("id"))]
    if rest:  # in one step: one insert per column is quadratic in columns
        other = sub[rest]
        other.columns = [col if col not in canon else f"{col}_src" for col in rest]
        out = pd.concat([out, other], axis=1)
    if roles.get("id"):
        out["_id"] = _as_str(sub[roles["id"]])
    out["source_row"] = [numbers[i] for i in idx]
    return out


def _as_str(series):
    import pandas as pd

    s = series.astype("string").str.strip()
    if pd.api.types.is_float_dtype(series):
        s = s.str.replace(r"\.0$", "", regex=True)
    return s.mask(s == "", pd.NA)


def _is_empty(series):
    return series.isna() | (series.astype("string").str.strip().fillna("") == "")


def _long_records(df, keep, numbers, inference, prefix: str):
    text_col = inference.roles["text"]
    empty = _is_empty(df[text_col])
    empty_rows = list((keep & empty).to_numpy().nonzero()[0])
    idx = list((keep & ~empty).to_numpy().nonzero()[0])
    out = _canonical(df, df.index[idx], inference, prefix, numbers) if idx else _canonical(df, df.index[[]], inference, prefix, numbers)
    out.insert(0, "text", df.loc[df.index[idx], text_col].astype(str).to_numpy() if idx else [])
    if "_id" in out:
        out.insert(0, "record_id", (prefix + out.pop("_id")).to_numpy())
    else:
        out.insert(0, "record_id", [f"{prefix}row{n}" for n in out["source_row"]])
    return out.reset_index(drop=True), empty_rows


def _melt_wide(df, keep, numbers, open_cols, header: Header, inference, prefix: str):
    import pandas as pd

    answers = df[open_cols]
    empty = answers.apply(_is_empty)
    has_any = ~empty.all(axis=1)
    empty_rows = list((keep & ~has_any).to_numpy().nonzero()[0])
    idx = list((keep & has_any).to_numpy().nonzero()[0])
    base = _canonical(df.drop(columns=open_cols), df.index[idx], inference, prefix, numbers)
    cust = inference.roles.get("customer_id")
    if "_id" in base:
        respondent = (prefix + base.pop("_id")).to_numpy()
    elif cust and "customer_id" in base and base["customer_id"].notna().all() and base["customer_id"].is_unique:
        respondent = (prefix + base["customer_id"]).to_numpy()  # e.g. SurveyMonkey's "Respondent ID"
    else:
        respondent = [f"{prefix}row{n}" for n in base["source_row"]]
    base.insert(0, "respondent_id", respondent)
    parts = []
    for j, col in enumerate(open_cols):
        col_ok = ~empty[col].to_numpy()[idx]
        if not col_ok.any():
            continue
        part = base.loc[col_ok].copy()
        qid = header.column_ids.get(col, "").split(" ")[0] or f"q{j + 1}"
        part.insert(0, "question_id", qid)
        part.insert(0, "question", header.questions.get(col, col))
        part.insert(0, "text", df.loc[df.index[idx], col].to_numpy()[col_ok].astype(str))
        part.insert(0, "record_id", [f"{r}:{qid}" for r in part["respondent_id"]])
        part["_order"] = j
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["record_id", "text"]), empty_rows
    out = pd.concat(parts)
    out["_row"] = out.index
    out = out.sort_values(["_row", "_order"], kind="stable").drop(columns=["_row", "_order"])
    return out.reset_index(drop=True), empty_rows


def _plausible_char(ch: str) -> bool:
    code = ord(ch)
    return (
        0x20 <= code < 0x7F or 0xA0 <= code <= 0x24F  # Latin letters and signs
        or 0x2000 <= code <= 0x206F or code in (0x20AC, 0x2122)  # punctuation, euro, trade mark
        or code >= 0x1F000  # emoji
        or ch in "\t\n\r"
    )


def _repair_mojibake(series):
    """Repair text that was decoded with the wrong codec (UTF-8 read as cp1252 and the like).

    Only strings that ftfy's badness heuristic flags are touched, only its encoding
    fix is applied, and a fix is kept only when it is unambiguous: every character it
    introduces is a Latin letter, common punctuation or an emoji (mangled bytes that
    would "repair" into Cyrillic or stray combining marks are left as they are).
    """
    import ftfy
    from ftfy.badness import is_bad

    count = 0

    def fix(value):
        nonlocal count
        if not isinstance(value, str) or value.isascii() or not is_bad(value):
            return value
        fixed = ftfy.fix_encoding(value)
        if fixed == value or not all(_plausible_char(ch) for ch in set(fixed) - set(value)):
            return value
        count += 1
        return fixed

    return series.map(fix), count


def _order_columns(records):
    first = [c for c in CANONICAL_COLUMNS if c in records.columns]
    return records[first + [c for c in records.columns if c not in first]]
