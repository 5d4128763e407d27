"""Streaming analysis: dumps of any size in bounded memory (``jtbd analyze PATH --stream``).

:func:`analyze_stream` runs the same stages as :func:`jtbd.analyze`, but never holds the
dump, its units or their vectors at once:

1. **read** the input in chunks (:func:`iter_feedback`: Parquet row batches, CSV/TSV
   read ``chunk_size`` rows at a time; other formats one file at a time), with the
   column roles inferred on the first chunk and then held fixed;
2. per chunk: **solicitation split**, **segmentation**, **classification**,
   **statements**; ``records``, ``units`` and ``outcomes`` are appended to their Parquet
   files in the run folder as they go (one row group per extraction chunk, so a row
   group always holds whole records); a record-level **theme sample** is kept on the
   side (see below);
3. **themes**: fitted on the sample's units (as :func:`jtbd.themes.fit_themes` does,
   with its own unit cap), then every unit is **assigned** to the fitted themes chunk by
   chunk, reading ``units.parquet`` back a few row groups at a time; assignments are
   appended to ``theme_assignments.parquet``. Theme sizes, record counts and solicitation
   shares are counted over all units; labels, keywords, statements, quotes and the unmet
   share describe the sample;
4. **metrics** from slim columns read back from the run folder (records without their
   text, unit labels, theme assignments), then ``run.json`` and the report.

The theme sample is stratified by source file, channel and solicitation: each stratum
keeps the records with the smallest hashes of their ids (a bottom-k sketch, so at most
``sample_records`` ids per stratum in memory, whatever the input order); at the end the
strata get proportional shares of ``sample_records`` (largest remainder, each at least
100 records or all it has). Memory therefore grows with the sample, the chunk size and
the slim metric columns (a few dozen bytes per record and per unit) and the ids of the records not in
an analysis language (their units get no theme, as in :func:`jtbd.analyze`), not with the text.

Resume: extraction chunks are cached by content (see :mod:`jtbd.extract`), so a run
killed mid-way and started again with the same input and options re-reads the finished
chunks instead of parsing and classifying them again, and writes the same tables.

What differs from the in-memory pipeline: duplicate rows are dropped within a chunk, not
across the whole dump; a CSV with several header rows (survey platform exports) or a
wide layout is read a whole file at a time; theme descriptions come from the sample.
"""

from __future__ import annotations

import glob as _glob
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from .errors import DataError, UsageError

__all__ = ["analyze_stream", "iter_feedback", "RecordSampler", "TableWriter"]

STRATA = ("source_file", "channel", "solicitation")
MIN_PER_STRATUM = 100
_STREAMED_FORMATS = {".parquet", ".csv", ".tsv", ".txt"}
_ROLE_FIELDS = {"text": "text_col", "id": "id_col", "date": "date_col", "score": "score_col", "channel": "channel_col",
                "question": "question_col", "customer_id": "customer_col", "customer_value": "value_col"}


# --------------------------------------------------------------------------- input


def is_glob(source) -> bool:
    """Whether ``source`` is a glob pattern rather than a path."""
    return isinstance(source, str) and any(ch in source for ch in "*?[") and not Path(source).exists()


def input_files(source) -> list[Path]:
    """The files of ``source``: one file, a folder (supported files below it) or a glob."""
    from .io import iter_input_files

    text = str(source)
    if is_glob(text):
        files = sorted(Path(p) for p in _glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise UsageError("E230", f"'{text}' matches no files", fix="check the pattern, e.g. 'exports/*.parquet'")
        return files
    path = Path(source)
    if not path.exists():
        raise UsageError("E208", f"'{path}' does not exist", fix="check the path")
    if path.is_dir():
        files = list(iter_input_files(path))
        if not files:
            raise DataError("E108", f"folder '{path}' holds no CSV, TSV, JSON, JSON Lines, Parquet or Excel files",
                            fix="point at a folder of exports or at one file")
        return files
    if not path.is_file():  # a FIFO, socket or device would block or never end
        raise UsageError("E208", f"'{path}' is not a regular file or folder", fix="point at an export file or a folder of them")
    return [path]


def _csv_chunks(path: Path, chunk_size: int, encoding: str | None) -> Iterator[tuple[Any, str]]:
    """:class:`~jtbd._read.Grid` chunks of a delimited file, numbered as the whole-file reader numbers them.

    Every chunk after the first starts with the file's header rows (as many as
    :func:`jtbd.surveys.detect_header` found in the first), so each is read the same way.
    """
    from ._read import Grid, Skip, _check_text_not_binary, delimited_rows, sniff_delimiter
    from .surveys import detect_header

    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    enc = encoding
    if enc is None:
        if head.startswith(b"\xef\xbb\xbf"):
            enc = "utf-8-sig"
        else:
            try:
                head.decode("utf-8")
                enc = "utf-8"
            except UnicodeDecodeError as exc:
                enc = "utf-8" if exc.start > len(head) - 4 else "cp1252"  # a character cut at the 1 MB mark is not an error
    text = head.decode(enc, errors="replace")
    _check_text_not_binary(text, path.name)
    delim = sniff_delimiter(text, preferred="\t" if path.suffix.lower() == ".tsv" else None)
    fmt = "tsv" if delim == "\t" else "csv"
    header_rows: list | None = None
    with open(path, encoding=enc, errors="replace", newline="") as fh:
        grid = Grid(rows=[], row_numbers=[], fmt=fmt, encoding=enc, delimiter=delim)
        notes: list[str] = []  # repairs (NULs removed, an unterminated quote), reported with the chunk they happen in
        for row, start in delimited_rows(fh, delim, notes=notes):
            if isinstance(row, Skip):
                grid.skipped.append(row)
                continue
            grid.rows.append(row)
            grid.row_numbers.append(start)
            if len(grid.rows) >= chunk_size + (len(header_rows) if header_rows is not None else 1):  # header rows + chunk_size
                if header_rows is None:
                    n = detect_header(grid.rows).n_rows
                    header_rows = list(zip(grid.rows[:n], grid.row_numbers[:n]))
                grid.notes.extend(notes)
                notes.clear()
                yield grid, enc
                grid = Grid(rows=[r for r, _ in header_rows], row_numbers=[k for _, k in header_rows], fmt=fmt, encoding=enc,
                            delimiter=delim)
        grid.notes.extend(notes)
        if len(grid.rows) > (len(header_rows) if header_rows else 0) or header_rows is None:
            yield grid, enc


def _parquet_chunks(path: Path, chunk_size: int) -> Iterator[tuple[Any, None]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise DataError("E105", f"'{path.name}' could not be read as Parquet ({type(exc).__name__}: {exc})",
                        fix="check the file is complete, or export it as CSV") from None
    from ._read import Frame

    row = 1
    for batch in pf.iter_batches(batch_size=chunk_size):
        frame = batch.to_pandas()
        yield Frame(frame=frame, row_numbers=list(range(row, row + len(frame))), fmt="parquet"), None
        row += len(frame)


def iter_feedback(source, *, config=None, chunk_size: int = 50_000) -> Iterator[tuple[Any, dict]]:
    """Yield ``(LoadedFeedback, file_info)`` chunk by chunk over a file, folder or glob.

    Column roles (text, id, date, score, ...) are inferred on a file's first chunk and then
    held fixed for the rest of that file, so every chunk is read the same way. Parquet and
    one-header CSV/TSV files are read ``chunk_size`` rows at a time; other formats (Excel,
    JSON, platform exports with several header rows) a whole file at a time, then cut.
    """
    import dataclasses

    from ._read import read_file
    from .config import LoadConfig
    from .io import _file_info, _load_one

    cfg = config or LoadConfig()
    files = input_files(source)
    root = Path(source) if Path(str(source)).is_dir() else None
    for path in files:
        rel = str(path.relative_to(root)) if root else path.name
        prefix = Path(rel).with_suffix("").as_posix() + ":" if root is not None or len(files) > 1 else ""  # as a folder load
        finfo = _file_info(path)
        fixed = None
        suffix = path.suffix.lower()
        if suffix in _STREAMED_FORMATS and cfg.layout != "wide":
            chunks = _parquet_chunks(path, chunk_size) if suffix == ".parquet" else _csv_chunks(path, chunk_size, cfg.encoding)
            for table, _enc in chunks:
                one = _load_one(table, name=rel, cfg=fixed or cfg, prefix=prefix)
                if fixed is None:
                    roles = one.info["roles"]
                    if one.info["layout"] == "wide":  # melted per chunk with the same inference
                        fixed = cfg
                    else:
                        # False: the role had no column in the first chunk, so no later chunk infers one
                        fixed = dataclasses.replace(cfg, layout="long", **{f: roles[r] or False for r, f in _ROLE_FIELDS.items()})
                one.records["source_file"] = rel if len(files) > 1 or root else one.records["source_file"]
                yield one, {**finfo, "file": rel}
        else:
            sheet = cfg.sheet if suffix in (".xlsx", ".xlsm") else None
            one = _load_one(read_file(path, encoding=cfg.encoding, sheet=sheet), name=rel, cfg=cfg, prefix=prefix)
            if len(files) > 1 or root:
                one.records["source_file"] = rel
            for start in range(0, max(1, len(one.records)), chunk_size):
                first = start == 0  # the file's counts and skipped rows travel with its first chunk only
                part = dataclasses.replace(one, records=one.records.iloc[start:start + chunk_size].reset_index(drop=True),
                                           skipped=one.skipped if first else one.skipped.iloc[0:0],
                                           info=one.info if first else {**one.info, "rows_read": 0, "skipped": {}})
                yield part, {**finfo, "file": rel}


# --------------------------------------------------------------------------- output


class TableWriter:
    """Append DataFrames to one Parquet file (one row group per append), schema fixed by the first.

    Later chunks are conformed to the first one's schema: missing columns become nulls,
    columns that were all-null at first are written as strings, extra columns are dropped
    (and reported in :attr:`dropped`).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rows = 0
        self.dropped: set[str] = set()
        self._writer = None
        self._schema = None

    def write(self, df) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from .runs import _arrow_safe

        if df is None or not len(df.columns):
            return
        df = _arrow_safe(df.reset_index(drop=True))
        if self._writer is None:
            table = pa.Table.from_pandas(df, preserve_index=False)
            fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            self._schema = pa.schema(fields, metadata=table.schema.metadata)  # keeps pandas dtypes (Float64, ...) on read
            table = table.cast(self._schema)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, self._schema)
        else:
            extra = [c for c in df.columns if c not in self._schema.names]
            self.dropped.update(extra)
            arrays = []
            for f in self._schema:
                if f.name in df.columns:
                    arrays.append(_to_arrow(df[f.name], f.type))
                else:
                    arrays.append(pa.nulls(len(df), f.type))
            table = pa.Table.from_arrays(arrays, schema=self._schema)
        if len(table):
            self._writer.write_table(table)
        self.rows += len(table)

    def close(self, empty=None) -> None:
        """Close the file; with nothing written, write ``empty`` (a DataFrame with the columns) instead."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        elif empty is not None:
            from .runs import _arrow_safe

            self.path.parent.mkdir(parents=True, exist_ok=True)
            _arrow_safe(empty).to_parquet(self.path, index=False)


def _to_arrow(series, typ):
    import pyarrow as pa

    try:
        return pa.array(series, type=typ, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            return pa.array([None if v is None or v != v else str(v) for v in series], type=typ)
        import pandas as pd

        if pa.types.is_floating(typ) or pa.types.is_integer(typ):
            return pa.array(pd.to_numeric(series, errors="coerce"), from_pandas=True).cast(typ, safe=False)
        raise


# --------------------------------------------------------------------------- sample


class RecordSampler:
    """A stratified, order-free sample of record ids in bounded memory.

    Each stratum (a combination of :data:`STRATA` values) keeps the ``cap`` records with
    the smallest 64-bit hashes of their ids (a bottom-k sketch) and counts all it saw;
    :meth:`sample` then gives strata proportional shares of ``size`` (largest remainder,
    at least :data:`MIN_PER_STRATUM` each or all the stratum has, excess taken back from the
    largest) and takes each stratum's smallest hashes. The same records give the same
    sample whatever their order or chunking.
    """

    def __init__(self, size: int = 20_000) -> None:
        self.size = int(size)
        self.counts: Counter = Counter()
        self.kept: dict[str, Any] = {}  # stratum -> DataFrame(hash, record_id), at most size rows

    def add(self, records) -> None:
        import numpy as np
        import pandas as pd

        if not len(records):
            return
        cols = [c for c in STRATA if c in records.columns]
        key = records[cols].astype(str).agg(" | ".join, axis=1) if cols else pd.Series("all", index=records.index)
        h = pd.util.hash_pandas_object(records["record_id"].astype(str), index=False).to_numpy(dtype=np.uint64)
        df = pd.DataFrame({"stratum": key.to_numpy(), "hash": h, "record_id": records["record_id"].astype(str).to_numpy()})
        for s, g in df.groupby("stratum", sort=False):
            self.counts[s] += len(g)
            prev = self.kept.get(s)
            both = g[["hash", "record_id"]] if prev is None else pd.concat([prev, g[["hash", "record_id"]]], ignore_index=True)
            self.kept[s] = both.nsmallest(self.size, "hash", keep="first").sort_values(["hash", "record_id"]).reset_index(drop=True)

    def quotas(self) -> dict[str, int]:
        import numpy as np
        import pandas as pd

        sizes = pd.Series(self.counts).sort_index()
        total = int(sizes.sum())
        if total <= self.size:
            return {str(s): int(n) for s, n in sizes.items()}
        exact = sizes * self.size / total
        quota = np.floor(exact).astype(int)
        short = self.size - int(quota.sum())
        if short > 0:
            quota[(exact - quota).sort_values(ascending=False, kind="stable").index[:short]] += 1
        floor = np.minimum(sizes, min(MIN_PER_STRATUM, self.size // len(sizes)))
        quota = np.minimum(np.maximum(quota, floor), sizes)
        excess = int(quota.sum()) - self.size
        while excess > 0:
            room = quota - floor
            big = room.idxmax()
            take = min(excess, int(room[big]))
            quota[big] -= take
            excess -= take
        return {str(s): int(q) for s, q in quota.items()}

    def sample(self) -> set[str]:
        out: set[str] = set()
        for s, q in self.quotas().items():
            out.update(self.kept[s]["record_id"].head(q))
        return out


# --------------------------------------------------------------------------- pipeline


def _row_group_batches(path: Path, max_rows: int, columns=None) -> Iterator[Any]:
    """DataFrames of whole row groups of ``path``, about ``max_rows`` rows each."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    group, rows = [], 0
    for i in range(pf.num_row_groups):
        group.append(i)
        rows += pf.metadata.row_group(i).num_rows
        if rows >= max_rows:
            yield pf.read_row_groups(group, columns=columns).to_pandas()
            group, rows = [], 0
    if group:
        yield pf.read_row_groups(group, columns=columns).to_pandas()


def _read_columns(path: Path, wanted=None, exclude=()) -> Any:
    import pyarrow.parquet as pq

    names = pq.ParquetFile(path).schema_arrow.names
    cols = [c for c in names if (wanted is None or c in wanted) and c not in exclude]
    return pq.read_table(path, columns=cols).to_pandas()


def _read_records_of(path: Path, ids: set[str]) -> Any:
    """Rows of ``path`` whose record_id is in ``ids`` (row group by row group)."""
    import pandas as pd

    parts = [df[df["record_id"].astype(str).isin(ids)] for df in _row_group_batches(path, 200_000)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else None


def analyze_stream(data, *, out, config=None, seed: int | None = None, min_n: int = 30, theme_model=None, outcome_model=None,
                   embedder: str | None = None, chunk_size: int = 50_000, sample_records: int = 20_000,
                   progress: bool = False, period: str = "M", report: bool = True, config_file=None, dask=None,
                   force: bool = False, **load_options: Any):
    """Analyse a dump of any size into the run folder ``out``, in bounded memory (see the module doc).

    Args:
        data: A file, a folder or a glob (``exports/*.parquet``).
        out: The run folder (tables, theme models, ``run.json``, ``report.html``).
        chunk_size: Records read and processed at a time.
        sample_records: Records in the stratified theme-fitting sample.
        theme_model: A ``theme_model`` folder of an earlier run: assign to its themes instead of fitting.
        config_file: Path of the config file the options came from (for the manifest).
        force: Replace ``out`` when it already holds files (otherwise refused, E234). The run is
            written beside ``out`` and moved into place only when complete.
        dask: ``"local[:N]"``, a scheduler address or a ``distributed.Client``: each chunk's
            solicitation split and extraction, and then each batch's theme assignment, run on a
            Dask worker (a few in flight, written back in input order), so streaming uses every
            core or machine; reading, writing, the sample, the theme fit and metrics stay here.
        Other arguments as :func:`jtbd.analyze`.

    Returns:
        The :class:`~jtbd.runs.RunFolder` written.
    """
    import os

    from .config import Config

    cfg = config or Config()
    configured = cfg.embed.backend
    backend = embedder or (configured if configured != "auto" else None)
    previous = os.environ.get("JTBD_EMBEDDER")
    if backend:
        os.environ["JTBD_EMBEDDER"] = backend
    client = None
    if isinstance(dask, str):
        from .distributed import connect

        client = dask = connect(dask)
    try:
        return _analyze_stream(data, out=out, cfg=cfg, seed=seed, min_n=min_n, theme_model=theme_model,
                               outcome_model=outcome_model, chunk_size=chunk_size, sample_records=sample_records,
                               progress=progress, period=period, report=report, config_file=config_file, dask=dask,
                               force=force, **load_options)
    finally:
        if client is not None:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
        if backend:
            if previous is None:
                os.environ.pop("JTBD_EMBEDDER", None)
            else:
                os.environ["JTBD_EMBEDDER"] = previous


def _stage(name: str, progress: bool) -> None:
    if progress:
        print(f"[jtbd] {name} ...", file=sys.stderr, flush=True)


def _analyze_stream(data, *, out, cfg, seed, min_n, theme_model, outcome_model, chunk_size, sample_records, progress, period,
                    report, config_file, dask, force=False, **load_options):
    from .runs import RunFolder

    if load_options:
        cfg = cfg.override({"load": load_options})
    run = RunFolder.create(out, command="analyze", config=cfg.to_dict(), config_file=config_file, force=force)
    try:
        _write_stream(run, data, cfg=cfg, seed=seed, min_n=min_n, theme_model=theme_model, outcome_model=outcome_model,
                      chunk_size=chunk_size, sample_records=sample_records, progress=progress, period=period, dask=dask)
        if report:
            from .report import build_report

            build_report(run.path)
        run.commit()
    except BaseException:
        run.abort()
        raise
    return run


def _write_stream(run, data, *, cfg, seed, min_n, theme_model, outcome_model, chunk_size, sample_records, progress, period, dask):
    import pandas as pd

    from .embed import get_embedder
    from .extract import OUTCOME_COLUMNS, UNIT_COLUMNS, OutcomeExtractor
    from .pipeline import compute_metrics, units_for_themes
    from .solicitation import SolicitationSplitter
    from .themes import ASSIGNMENT_COLUMNS, ThemeModel, assign_themes, fit_themes, non_answers, not_in_language

    seed = cfg.run.seed if seed is None else seed
    writers = {name: TableWriter(run.path / f"{name}.parquet") for name in ("records", "units", "outcomes", "skipped")}
    timings: Counter = Counter()
    sampler = RecordSampler(sample_records)
    ex = OutcomeExtractor(model=outcome_model, min_confidence=cfg.extract.min_confidence)
    splitters: dict[str, SolicitationSplitter] = {}
    inputs: dict[str, dict] = {}
    load_info: dict[str, Any] = {}
    skipped_counts: Counter = Counter()
    rows_read = 0
    n_records = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(unit="rec", desc="records", file=sys.stderr)
    client = pending = None
    dask_info = None
    if dask is not None:
        import os
        from collections import deque

        from .distributed import _partition

        client = dask  # a distributed.Client (analyze_stream connects and closes)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        env = {k: os.environ.get(k) for k in ("JTBD_EMBEDDER", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TOKENIZERS_PARALLELISM")}
        model_arg = str(outcome_model) if isinstance(outcome_model, Path) else outcome_model \
            if outcome_model is None or isinstance(outcome_model, str) else ex.model
        pending = deque()
        dask_info = {"scheduler": str(client.scheduler.address), "workers": workers, "chunks": 0,
                     "on_workers": ["solicitation", "segmentation", "classification", "statements"],
                     "on_driver": ["reading", "writing", "theme sample", "theme fit", "metrics", "report"]}

    other_language: dict[str, str] = {}  # record_id -> language of the records not in an analysis language (no theme)
    non_answer_records: set[str] = set()  # records with a non-answer unit ("Did not answer": no theme)
    non_answer_units = 0

    def write_units(units, outcomes) -> None:
        nonlocal non_answer_units
        writers["units"].write(units)
        writers["outcomes"].write(outcomes)
        if len(units):
            na = non_answers(units)
            non_answer_units += int(na.sum())
            non_answer_records.update(units.loc[na, "record_id"].astype(str))

    def collect(result) -> None:
        nonlocal n_records
        recs, units, outcomes = result[0], result[1], result[2]
        if "language" in recs.columns:
            out = not_in_language(recs)
            other_language.update(zip(recs.loc[out, "record_id"].astype(str), recs.loc[out, "language"].astype(str)))
        if units is not None:
            write_units(units, outcomes)
        writers["records"].write(recs)
        sampler.add(recs)
        n_records += len(recs)
        if bar is not None:
            bar.update(len(recs))

    _stage("load, solicitation, extraction (streaming" + (" on Dask)" if client else ")"), progress)
    t_load = time.perf_counter()
    for loaded, finfo in iter_feedback(data, config=cfg.load, chunk_size=chunk_size):
        info = loaded.info
        timings["load"] += time.perf_counter() - t_load
        inputs.setdefault(finfo["file"], {k: finfo[k] for k in ("path", "bytes", "sha256") if k in finfo})
        if not load_info:
            load_info = {k: v for k, v in info.items() if k not in ("inputs", "rows_read", "rows_kept", "records", "skipped", "seconds")}
            load_info["roles"] = dict(load_info.get("roles") or {})
        else:  # a later file may have a role, a scale or questions the first lacked (as a folder load merges them)
            for role, col in (info.get("roles") or {}).items():
                if col and not load_info["roles"].get(role):
                    load_info["roles"][role] = col
            if not load_info.get("score_scale") and info.get("score_scale"):
                load_info["score_scale"] = info["score_scale"]
            load_info["questions"] = list(dict.fromkeys([*load_info.get("questions", []), *info.get("questions", [])]))
            load_info["notes"] = list(dict.fromkeys([*load_info.get("notes", []), *info.get("notes", [])]))  # repairs in later chunks
        rows_read += int(info.get("rows_read", 0))
        skipped_counts.update(info.get("skipped", {}))
        if loaded.skipped is not None and len(loaded.skipped):
            writers["skipped"].write(loaded.skipped)
        recs = loaded.records
        if len(recs) and client is not None:
            kwargs = cfg.solicitation.splitter_kwargs(score_scale=info.get("score_scale"), layout=info.get("layout"))
            splitters.setdefault(repr((info.get("score_scale"), info.get("layout"))), kwargs)
            pending.append(client.submit(_partition, client.scatter(recs), kwargs, model_arg, env,
                                         {"min_confidence": cfg.extract.min_confidence}, pure=False))
            dask_info["chunks"] += 1
            while len(pending) > 2 * workers:  # bounded: a few chunks in flight, written back in input order
                t = time.perf_counter()
                collect(pending.popleft().result())
                timings["waiting_for_workers"] += time.perf_counter() - t
        elif len(recs):
            skey = repr((info.get("score_scale"), info.get("layout")))
            splitter = splitters.get(skey)
            if splitter is None:
                splitter = splitters[skey] = SolicitationSplitter(
                    **cfg.solicitation.splitter_kwargs(score_scale=info.get("score_scale"), layout=info.get("layout")))
            t = time.perf_counter()
            recs = splitter.transform(recs)
            timings["solicitation"] += time.perf_counter() - t
            t = time.perf_counter()
            for u, o in ex.iter_chunks(recs):
                write_units(u, o)
            timings["extract"] += time.perf_counter() - t
            collect((recs, None, None))
        t_load = time.perf_counter()
    if client is not None:
        t = time.perf_counter()
        while pending:
            collect(pending.popleft().result())
        timings["waiting_for_workers"] += time.perf_counter() - t
    if bar is not None:
        bar.close()
    writers["records"].close(empty=pd.DataFrame(columns=["record_id", "text", "solicitation"]))
    writers["units"].close(empty=pd.DataFrame(columns=UNIT_COLUMNS))
    writers["outcomes"].close(empty=pd.DataFrame(columns=OUTCOME_COLUMNS))
    writers["skipped"].close(empty=pd.DataFrame(columns=["source_file", "source_row", "reason", "detail"]))
    if n_records == 0:
        raise DataError("E106", f"'{data}' holds no records with text", fix="check the text column (--text-col NAME)")

    # themes: fit on the sample, assign every unit chunk by chunk
    _stage(f"themes: fit on a sample of up to {sample_records:,} records", progress)
    t = time.perf_counter()
    sample_ids = sampler.sample()
    s_units = _read_records_of(run.path / "units.parquet", sample_ids)
    s_outcomes = _read_records_of(run.path / "outcomes.parquet", sample_ids)
    s_units = _with_language(s_units if s_units is not None else pd.DataFrame(columns=UNIT_COLUMNS), other_language)
    if theme_model:  # described on the sample, every unit assigned below
        results = {kind: assign_themes(s_units, ThemeModel.load(Path(theme_model) / kind), outcomes=s_outcomes)
                   for kind in ("job", "enabler")}
    else:
        results = {kind: fit_themes(s_units, outcomes=s_outcomes, kind=kind, seed=seed) for kind in ("job", "enabler")}
    timings["themes_fit"] = time.perf_counter() - t
    _stage("themes: assign every unit", progress)
    t = time.perf_counter()
    fitted = {}
    for kind, r in results.items():
        a = r.assignments
        fitted[kind] = dict(zip(a["unit_id"].astype(str), a["theme"].astype(int)))
    aw = TableWriter(run.path / "theme_assignments.parquet")
    counts: list = []
    models = {kind: r.model for kind, r in results.items() if r.model.n_themes}

    def take(a) -> None:
        if len(a):
            aw.write(a)
            counts.append(a[["record_id", "theme_id", "kind", "theme"] + [c for c in ("solicitation",) if c in a.columns]])

    batches = (_with_language(u, other_language) for u in _row_group_batches(run.path / "units.parquet", 100_000))
    if client is not None and models:  # in parallel on the workers, written back in order
        shared = client.scatter({"models": models, "keep": fitted}, broadcast=True)
        for units in batches:
            pending.append(client.submit(_assign_batch, client.scatter(units), shared["models"], shared["keep"], env, pure=False))
            while len(pending) > 2 * workers:
                take(pending.popleft().result())
        while pending:
            take(pending.popleft().result())
        dask_info["on_workers"].append("theme assignment")
    elif models:
        for units in batches:
            take(_assign_batch(units, models, fitted, None))
    aw.close(empty=pd.DataFrame(columns=ASSIGNMENT_COLUMNS))
    slim_a = pd.concat(counts, ignore_index=True) if counts else pd.DataFrame(columns=["record_id", "theme_id", "kind", "theme"])
    themes = _themes_over_all(results, slim_a, n_records)
    run.write_table("themes", themes)
    for kind, r in results.items():
        if r.model.n_themes:
            r.model.save(run.path / "theme_model" / kind)
    timings["themes_assign"] = time.perf_counter() - t

    _stage("metrics", progress)
    t = time.perf_counter()
    records = _read_columns(run.path / "records.parquet", exclude=("text",))
    units = _read_columns(run.path / "units.parquet", wanted=("record_id", "unit_id", "label", "solicitation"))
    scale = load_info.get("score_scale")
    metrics, not_made = compute_metrics(records, units, themes, slim_a, score_scale=scale, outcome_model=ex.model, seed=seed,
                                        min_n=min_n, period=period)
    for name, df in metrics.items():
        run.write_table(f"metrics_{name}", df)
    n_units = len(units)
    n_unsure = int((units["label"] == "unsure").sum())
    _, language_excluded = units_for_themes(units, records)
    non_answered = {"records": len(non_answer_records), "units": non_answer_units}
    del records, units, slim_a
    timings["metrics"] = time.perf_counter() - t
    for name, w in (*writers.items(), ("theme_assignments", aw)):
        run.manifest["tables"][name] = {"path": w.path.name, "rows": int(w.rows)}
    load_info.update({"rows_read": rows_read, "records": n_records, "skipped": dict(skipped_counts)})
    provenance = {
        "inputs": list(inputs.values()), "seeds": {"seed": seed},
        "counts": {"records": n_records, "skipped": int(sum(skipped_counts.values())), "units": n_units,
                   "outcome_units": int(writers["outcomes"].rows), "unsure_units": n_unsure,
                   "themes": {k: r.info.get("n_themes", 0) for k, r in results.items()},
                   "not_in_analysis_language": language_excluded, "non_answers": non_answered},
        "models": {"solicitation": _splitter_info(next(iter(splitters.values()))) if splitters else None,
                   "extraction": ex.describe(),
                   "themes": {k: {kk: v for kk, v in r.info.items() if kk != "embedding"} for k, r in results.items()},
                   "embedding": get_embedder().describe()},
        "load": load_info, "timings": {k: round(v, 3) for k, v in timings.items()}, "dask": dask_info,
        "metrics": {"min_n": min_n, "period": period},
        "streaming": {"chunk_size": chunk_size, "sample_records": sample_records, "records_in_sample": len(sample_ids),
                      "sample_strata": sampler.quotas(), "extraction_chunks_reused": ex.chunks_reused,
                      "theme_descriptions": "labels, keywords, statements, quotes and unmet share from the sample; "
                                            "sizes, record counts and solicitation shares from all units",
                      "columns_dropped": sorted(set().union(*(w.dropped for w in writers.values())))},
    }
    run.finish(**provenance, not_made=not_made, commit=False)


def _with_language(units, other_language: dict[str, str]):
    """``units`` with their record's ``language`` where it is not an analysis language, so the theme
    steps leave them out as :func:`jtbd.analyze` does (the units table itself does not carry it)."""
    if "language" in units.columns or not other_language or not len(units):
        return units
    return units.assign(language=units["record_id"].astype(str).map(other_language))


def _assign_batch(units, models: dict, keep: dict, env: dict | None):
    """Assignments of one batch of whole records' units to every kind's themes (runs on a worker or here)."""
    import os

    import pandas as pd

    from .themes import assign_rows

    for k, v in (env or {}).items():
        if v is not None:
            os.environ[k] = v
    parts = [assign_rows(units, model, keep=keep.get(kind)) for kind, model in models.items()]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _splitter_info(splitter) -> dict:
    from .solicitation import SolicitationSplitter

    return (splitter if isinstance(splitter, SolicitationSplitter) else SolicitationSplitter(**splitter)).describe()


def _themes_over_all(results: dict, assignments, n_records: int):
    """The fitted themes tables, with sizes, record counts and solicitation shares over every assigned unit."""
    import pandas as pd

    from .themes import THEME_COLUMNS

    parts = [r.themes for r in results.values() if len(r.themes)]
    if not parts:
        return pd.DataFrame(columns=THEME_COLUMNS)
    themes = pd.concat(parts, ignore_index=True)
    a = assignments[assignments["theme"] >= 0]
    g = a.groupby("theme_id")
    themes["n_units"] = themes["theme_id"].map(g.size()).fillna(0).astype(int)
    themes["n_records"] = themes["theme_id"].map(g["record_id"].nunique()).fillna(0).astype(int)
    themes["record_share"] = (themes["n_records"] / n_records).round(4) if n_records else 0.0
    if "solicitation" in a.columns:
        for side in ("solicited", "unsolicited"):
            share = g["solicitation"].apply(lambda s, side=side: float((s.astype(str) == side).mean()))
            themes[f"{side}_share"] = themes["theme_id"].map(share).round(4)
    return themes
