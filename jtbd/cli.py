"""The ``jtbd`` command line: thin commands over the library functions.

Results go to stdout (or a run folder); progress and errors go to stderr. Errors are
one line with a stable code and a fix; exit code 1 for bad data, 2 for bad usage;
``--debug`` shows the traceback.
"""

from __future__ import annotations

import difflib
import json
import sys
from typing import Any, Callable

import click

from . import __version__
from .errors import JtbdError, UsageError

EMBEDDERS = ["auto", "torch", "onnx", "onnx-int8", "static"]
LOAD_OPTIONS = [
    ("text_col", "--text-col", "Column holding the feedback text."),
    ("id_col", "--id-col", "Column holding a unique record id."),
    ("date_col", "--date-col", "Column holding the date."),
    ("score_col", "--score-col", "Column holding a score or rating (e.g. 0-10 likelihood to recommend)."),
    ("channel_col", "--channel-col", "Column naming the channel or source (survey, review, tweet ...)."),
    ("question_col", "--question-col", "Column holding the question that was asked."),
    ("customer_col", "--customer-col", "Column holding a customer id."),
    ("value_col", "--value-col", "Column holding the customer's value (revenue, spend)."),
]


class JtbdGroup(click.Group):
    """Click group that prints :class:`JtbdError` as one line and suggests close command names.

    The global options (``--config``, ``-q``, ``--debug``, ``--embedder``, ``--force``) are
    accepted after the command too (``jtbd analyze X --embedder static -q``). A run folder
    left unfinished by an error, Ctrl-C or SIGTERM is removed (nothing appears at ``--out``).
    """

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise click.UsageError(f"No such command '{name}'.{hint}", ctx)
        cmd_name, cmd, rest = super().resolve_command(ctx, args)
        if cmd is not None:
            _accept_globals(cmd)
        return cmd_name, cmd, rest

    def invoke(self, ctx: click.Context) -> Any:
        def debug() -> bool:  # --debug may come after the command, parsed after this starts
            return bool(ctx.params.get("debug") or (ctx.obj or {}).get("debug"))

        try:
            return super().invoke(ctx)
        except JtbdError as exc:
            if debug():
                raise
            click.echo(f"Error: {_printable(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as exc:  # one line, never a traceback, unless --debug
            if debug():
                raise
            message = _printable(" ".join(str(exc).split())[:300])
            click.echo(f"Error: E900: unexpected {type(exc).__name__}: {message}. Fix: rerun with --debug and report the traceback.", err=True)
            ctx.exit(1)
        finally:
            runs = sys.modules.get("jtbd.runs")
            if runs is not None:
                runs.abort_open_runs()


_GLOBALS = ("config_path", "quiet", "debug", "embedder", "force")


def _global_options() -> list[click.Option]:
    """The root's global options, as options of a subcommand that pass their value to the root."""

    def store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value in (None, False):
            return
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj[param.name] = value
        if param.name in ("embedder", "config_path"):
            _apply_embedder(root.obj)

    return [
        click.Option(["--config", "config_path"], type=click.Path(dir_okay=False), default=None, expose_value=False, callback=store,
                     help="TOML config file (also accepted before the command)."),
        click.Option(["--quiet", "-q"], is_flag=True, expose_value=False, callback=store, help="No progress bars."),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=store, help="Show tracebacks on errors."),
        click.Option(["--embedder"], type=click.Choice(EMBEDDERS), default=None, expose_value=False, callback=store,
                     help="Embedding backend (also accepted before the command)."),
        click.Option(["--force"], is_flag=True, expose_value=False, callback=store,
                     help="Replace an --out folder that already holds files (when the run finishes)."),
    ]


def _accept_globals(cmd: click.Command) -> None:
    """Give ``cmd`` (and a group's commands) the global options, once, unless it has options of the same names."""
    if getattr(cmd, "_jtbd_globals", False):
        return
    cmd._jtbd_globals = True  # type: ignore[attr-defined]
    taken = {o for p in cmd.params for o in getattr(p, "opts", [])} | {p.name for p in cmd.params}
    for opt in _global_options():
        if not (set(opt.opts) & taken or opt.name in taken):
            cmd.params.append(opt)
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _accept_globals(sub)


def _apply_embedder(obj: dict) -> None:
    """Set JTBD_EMBEDDER from --embedder, else from the config file's embed.backend."""
    import os

    if obj.get("embedder"):
        os.environ["JTBD_EMBEDDER"] = obj["embedder"]
        return
    if "JTBD_EMBEDDER" in os.environ and not obj.get("_embedder_from_config"):
        return
    from .config import load_config

    try:
        backend = load_config(obj.get("config_path"))[0].embed.backend
    except Exception:  # a broken config file is reported by the command that reads it
        backend = "auto"
    if backend != "auto":
        os.environ["JTBD_EMBEDDER"] = backend
        obj["_embedder_from_config"] = True


_CONTROL = None


def _printable(text: str) -> str:
    """``text`` without terminal control characters (ESC, BEL, BS, CSI ...): shown as ``\\xNN``; tab and newline kept."""
    global _CONTROL
    if _CONTROL is None:
        import re

        _CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100 else f"\\u{ord(m.group(0)):04x}", text)


def load_options(func: Callable) -> Callable:
    """Options shared by every command that loads a dump."""
    for dest, flag, help_text in reversed(LOAD_OPTIONS):
        func = click.option(flag, dest, default=None, metavar="NAME", help=help_text)(func)
    func = click.option("--layout", type=click.Choice(["auto", "long", "wide"]), default=None, help="Table layout: one record per row (long) or one column per open question (wide). Default: auto.")(func)
    func = click.option("--encoding", default=None, metavar="CODEC", help="Force a text encoding instead of detecting it.")(func)
    func = click.option("--sheet", default=None, metavar="NAME", help="Excel sheet to read (default: the first with data).")(func)
    func = click.option("--redact/--no-redact", default=None, help="Mask e-mails, phone, card and account numbers, postcodes and @handles.")(func)
    return func


def _load_overrides(kwargs: dict) -> dict:
    keys = [d for d, _, _ in LOAD_OPTIONS] + ["layout", "encoding", "sheet", "redact"]
    return {k: kwargs.pop(k) for k in keys if k in kwargs}


def _force(ctx: click.Context) -> bool:
    """--force: replace an --out folder that already holds files."""
    return bool(ctx.find_root().obj.get("force"))


def _progress(ctx: click.Context) -> bool:
    """Progress bars go to stderr, and only to a terminal, unless --quiet."""
    return not ctx.obj.get("quiet") and sys.stderr.isatty()


def _config(ctx: click.Context, **sections: dict):
    from .config import load_config

    cfg, path = load_config(ctx.obj.get("config_path"))
    return cfg.override(sections), path


@click.group(cls=JtbdGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="jtbd")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help="TOML config file (default: ./jtbd.toml when present).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.option("--embedder", type=click.Choice(EMBEDDERS), default=None,
              help="Embedding backend (config embed.backend; default auto: onnx-int8 on a CPU when onnxruntime is installed, else torch).")
@click.option("--force", is_flag=True, help="Replace an --out folder that already holds files (whole, when the run finishes).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, quiet: bool, debug: bool, embedder: str | None, force: bool) -> None:
    """jtbd: turn customer feedback dumps into Jobs-to-be-Done evidence.

    Start with `jtbd inspect PATH` to see how a dump is read, then `jtbd load PATH`
    to write its records to a run folder. The options below may also follow the
    command (`jtbd analyze PATH --embedder static -q`).
    """
    import os

    ctx.ensure_object(dict)
    ctx.obj.update(config_path=config_path, quiet=quiet, debug=debug, embedder=embedder, force=force)
    previous = os.environ.get("JTBD_EMBEDDER")

    def restore_embedder() -> None:  # --embedder holds for this command only, not for the rest of a process that runs it
        if previous is None:
            os.environ.pop("JTBD_EMBEDDER", None)
        else:
            os.environ["JTBD_EMBEDDER"] = previous

    ctx.call_on_close(restore_embedder)
    _apply_embedder(ctx.obj)


@cli.command()
@click.argument("path", type=click.Path(exists=True))
@load_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a summary.")
@click.option("--examples", type=click.IntRange(0, 100), default=3, show_default=True, help="Example records to show.")
@click.pass_context
def inspect(ctx: click.Context, path: str, as_json: bool, examples: int, **kwargs: Any) -> None:
    """Show how a dump is read: format, encoding, column roles, skipped rows, examples."""
    from .io import load_feedback

    cfg, _ = _config(ctx, load=_load_overrides(kwargs))
    loaded = load_feedback(path, config=cfg.load, progress=_progress(ctx))
    summary = loaded.summary()
    sample = loaded.records.head(examples)
    example_rows = [
        {k: (None if _isna(v) else (v.isoformat() if hasattr(v, "isoformat") else v)) for k, v in row.items()
         if k in ("record_id", "text", "date", "score", "channel", "question", "customer_id", "source_row")}
        for row in sample.to_dict(orient="records")
    ]
    if as_json:
        summary = {**summary, "examples": example_rows}
        click.echo(json.dumps(summary, default=str, ensure_ascii=False))
        return
    _print_summary(path, summary, example_rows)


def _isna(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, dict)) else False
    except (TypeError, ValueError):
        return False


def _print_summary(path: str, s: dict, examples: list[dict]) -> None:
    def echo(line: str) -> None:  # cells and names come from the file: no control sequence reaches the terminal
        click.echo(_printable(line))

    fmt = s["format"]
    if s.get("delimiter"):
        fmt += f" (delimiter {s['delimiter']!r})"
    if s.get("sheet"):
        fmt += f" (sheet {s['sheet']!r})"
    if s.get("platform"):
        fmt += f", {s['platform']} export"
    echo(f"{path}")
    echo(f"  format     {fmt}")
    echo(f"  encoding   {s.get('encoding') or '-'}")
    echo(f"  layout     {s['layout']}")
    skipped = sum(s["skipped"].values())
    echo(f"  rows read  {s['rows_read']:,}  (kept {s['rows_kept']:,}, skipped {skipped:,})")
    echo(f"  records    {s['records']:,}")
    for reason, n in sorted(s["skipped"].items()):
        echo(f"    skipped  {reason}: {n:,}")
    echo("  roles")
    for role, col in s["roles"].items():
        echo(f"    {role:<15} {col if col else '-'}")
    if s.get("questions"):
        echo("  open questions melted")
        for q in s["questions"]:
            echo(f"    - {q}")
    if s.get("score_scale"):
        sc = s["score_scale"]
        echo(f"  score scale {sc['min']}-{sc['max']} ({sc['kind']}, {sc['direction'].replace('_', ' ')})")
    if s.get("mojibake_repaired"):
        echo(f"  repaired   {s['mojibake_repaired']} texts with mojibake")
    for note in s.get("notes", []):
        echo(f"  note       {note}")
    if examples:
        echo("  examples")
        for ex in examples:
            text = " ".join(str(ex.get("text", "")).split())
            echo(f"    [{ex['record_id']}] {text[:110]}{'…' if len(text) > 110 else ''}")


@cli.command()
@click.argument("path", type=click.Path(exists=True))
@load_options
@click.option("-o", "--out", default=None, type=click.Path(file_okay=False), help="Run folder (default: a new one under runs/).")
@click.option("--csv", "as_csv", is_flag=True, default=None, help="Write tables as CSV instead of Parquet.")
@click.pass_context
def load(ctx: click.Context, path: str, out: str | None, as_csv: bool | None, **kwargs: Any) -> None:
    """Load a dump and write its records and skipped rows to a run folder."""
    from .io import load_feedback
    from .runs import RunFolder

    cfg, cfg_path = _config(ctx, load=_load_overrides(kwargs), run={"out": out, "csv": as_csv})
    run = RunFolder.create(cfg.run.out, command="load", config=cfg.to_dict(), csv=cfg.run.csv, config_file=cfg_path,
                           force=_force(ctx))
    with run.stage("load"):
        loaded = load_feedback(path, config=cfg.load, progress=_progress(ctx))
    run.write_table("records", loaded.records)
    run.write_table("skipped", loaded.skipped)
    info = loaded.summary()
    run.finish(
        inputs=info.get("inputs", []),
        seeds={"seed": cfg.run.seed},
        counts={"rows_read": info["rows_read"], "records": info["records"], "skipped": info["skipped"]},
        load={k: v for k, v in info.items() if k not in ("inputs",)},
        redaction=info.get("redaction") or {"enabled": False},
    )
    click.echo(f"{info['records']:,} records from {info['rows_read']:,} rows ({sum(info['skipped'].values()):,} skipped) -> {run.path}")


@cli.command()
@click.argument("path", type=click.Path(exists=True))
@load_options
@click.option("--model", default=None, type=click.Path(exists=True, file_okay=False), help="Solicitation model folder (from `jtbd train solicitation`); default: the shipped one.")
@click.option("--text-only", is_flag=True, default=None, help="Ignore metadata: the text model decides every record.")
@click.option("-o", "--out", default=None, type=click.Path(file_okay=False), help="Run folder (default: a new one under runs/).")
@click.option("--csv", "as_csv", is_flag=True, default=None, help="Write tables as CSV instead of Parquet.")
@click.pass_context
def split(ctx: click.Context, path: str, model: str | None, text_only: bool | None, out: str | None, as_csv: bool | None, **kwargs: Any) -> None:
    """Label every record solicited or unsolicited, with confidence and evidence."""
    from .io import load_feedback
    from .runs import RunFolder
    from .solicitation import SolicitationSplitter

    cfg, cfg_path = _config(ctx, load=_load_overrides(kwargs), solicitation={"model": model, "text_only": text_only},
                            run={"out": out, "csv": as_csv})
    run = RunFolder.create(cfg.run.out, command="split", config=cfg.to_dict(), csv=cfg.run.csv, config_file=cfg_path,
                           force=_force(ctx))
    with run.stage("load"):
        loaded = load_feedback(path, config=cfg.load, progress=_progress(ctx))
    info = loaded.summary()
    splitter = SolicitationSplitter(**cfg.solicitation.splitter_kwargs(score_scale=info.get("score_scale"), layout=info.get("layout")))
    with run.stage("solicitation"):
        records = splitter.transform(loaded.records, progress=_progress(ctx))
    run.write_table("records", records)
    run.write_table("skipped", loaded.skipped)
    counts = records["solicitation"].value_counts(dropna=False).to_dict()
    from .solicitation import evidence_rule

    rules = records["solicitation_evidence"].map(evidence_rule).value_counts().to_dict()
    from .embed import get_embedder

    run.finish(
        inputs=info.get("inputs", []),
        seeds={"seed": cfg.run.seed},
        counts={"rows_read": info["rows_read"], "records": info["records"], "skipped": info["skipped"],
                "solicitation": {str(k): int(v) for k, v in counts.items()},
                "solicitation_rules": {str(k): int(v) for k, v in rules.items()},
                "non_english": int(records["language_flag"].sum())},
        models={"solicitation": splitter.describe(), "embedding": get_embedder().describe()},
        load={k: v for k, v in info.items() if k != "inputs"},
    )
    click.echo(f"{len(records):,} records -> {run.path}")
    for side in ("solicited", "unsolicited"):
        click.echo(f"  {side:<12} {int(counts.get(side, 0)):>8,}")
    undecided = int(records["solicitation"].isna().sum())
    if undecided:
        click.echo(f"  {'undecided':<12} {undecided:>8,}")
    click.echo("  decided by")
    for rule, n in sorted(rules.items(), key=lambda kv: -kv[1]):
        click.echo(f"    {n:>8,}  {rule}")
    flagged = records["language_flag"].astype(bool)
    if flagged.any():
        by_text = int((flagged & records["solicitation_evidence"].map(evidence_rule).eq("text model")).sum())
        note = f"; {by_text:,} of them labelled by the text model, which reads English only" if by_text else ""
        click.echo(f"  {int(flagged.sum()):,} records not in English (column 'language'){note}")


@cli.command()
@click.argument("path", type=click.Path(exists=True))
@load_options
@click.option("--model", default=None, type=click.Path(exists=True, file_okay=False), help="Outcome model folder (from `jtbd train outcomes`); default: the shipped one.")
@click.option("--taxonomy", default=None, type=click.Path(exists=True, dir_okay=False), help="Enabler taxonomy TOML (copy jtbd/data/taxonomy.toml); default: the shipped one.")
@click.option("--spacy", "spacy_pipeline", default=None, help="spaCy pipeline for segmentation: auto (default), shipped, blank, or a name such as en_core_web_sm.")
@click.option("--no-clauses", is_flag=True, default=None, help="Keep whole sentences; do not cut them into clauses.")
@click.option("--min-confidence", type=click.FloatRange(0.0, 1.0, max_open=True), default=None,
              help="Label units below this calibrated confidence 'unsure' and leave them out of statements, themes and measures (config extract.min_confidence; default 0: keep all).")
@click.option("-o", "--out", default=None, type=click.Path(file_okay=False), help="Run folder (default: a new one under runs/).")
@click.option("--csv", "as_csv", is_flag=True, default=None, help="Write tables as CSV instead of Parquet.")
@click.pass_context
def extract(ctx: click.Context, path: str, model: str | None, taxonomy: str | None, spacy_pipeline: str | None, no_clauses: bool | None,
            min_confidence: float | None, out: str | None, as_csv: bool | None, **kwargs: Any) -> None:
    """Split records into units, label each outcome/enabler/both/other, and state the outcomes."""
    from .embed import get_embedder
    from .extract import OutcomeExtractor
    from .io import load_feedback
    from .runs import RunFolder

    cfg, cfg_path = _config(ctx, load=_load_overrides(kwargs), run={"out": out, "csv": as_csv}, extract={"min_confidence": min_confidence})
    run = RunFolder.create(cfg.run.out, command="extract", config=cfg.to_dict(), csv=cfg.run.csv, config_file=cfg_path,
                           force=_force(ctx))
    with run.stage("load"):
        loaded = load_feedback(path, config=cfg.load, progress=_progress(ctx))
    info = loaded.summary()
    ex = OutcomeExtractor(model=model, taxonomy=taxonomy, spacy=spacy_pipeline or "auto", clauses=not no_clauses,
                          min_confidence=cfg.extract.min_confidence)
    with run.stage("extract"):
        result = ex.transform(loaded.records, progress=_progress(ctx))
    units, outcomes = result.units, result.outcomes
    run.write_table("units", units)
    run.write_table("outcomes", outcomes)
    run.write_table("skipped", loaded.skipped)
    labels = units["label"].value_counts().to_dict() if len(units) else {}
    stated = int(outcomes["statement"].fillna("").ne("").sum()) if len(outcomes) else 0
    run.finish(
        inputs=info.get("inputs", []),
        seeds={"seed": cfg.run.seed},
        counts={"records": info["records"], "units": int(len(units)), "labels": {str(k): int(v) for k, v in labels.items()},
                "outcome_units": int(len(outcomes)), "statements": stated},
        models={**result.info, "embedding": get_embedder().describe()},
        load={k: v for k, v in info.items() if k != "inputs"},
    )
    click.echo(f"{info['records']:,} records -> {len(units):,} units -> {run.path}")
    for name in ("outcome", "enabler", "both", "other") + (("unsure",) if cfg.extract.min_confidence > 0 else ()):
        click.echo(f"  {name:<8} {int(labels.get(name, 0)):>8,}")
    click.echo(f"  {stated:,} of {len(outcomes):,} outcome units stated as desired outcomes (the rest keep their text; see statement_status)")


def _load_units(ctx: click.Context, path: str, cfg, run, taxonomy: str | None, spacy_pipeline: str | None):
    """(units, outcomes, records_info, extract_info) from a run folder of `jtbd extract`, or by extracting a dump."""
    from pathlib import Path

    from .runs import read_run_table

    p = Path(path)
    if p.is_dir():
        units = read_run_table(p, "units")
        outcomes = read_run_table(p, "outcomes", required=False)
        info = {"inputs": [{"path": str(p), "kind": "run folder"}], "records": int(units["record_id"].nunique())}
        return units, outcomes, info, {"from_run": str(p)}
    from .extract import OutcomeExtractor
    from .io import load_feedback

    with run.stage("load"):
        loaded = load_feedback(path, config=cfg.load, progress=_progress(ctx))
    ex = OutcomeExtractor(taxonomy=taxonomy, spacy=spacy_pipeline or "auto")
    with run.stage("extract"):
        result = ex.transform(loaded.records, progress=_progress(ctx))
    run.write_table("units", result.units)
    run.write_table("outcomes", result.outcomes)
    return result.units, result.outcomes, loaded.summary(), result.info


@cli.command()
@click.argument("path", type=click.Path(exists=True))
@load_options
@click.option("--kind", type=click.Choice(["both", "job", "enabler"]), default="both", show_default=True, help="Which themes to make.")
@click.option("--model", "theme_model", default=None, type=click.Path(exists=True, file_okay=False),
              help="Assign to the themes saved by an earlier run (its theme_model folder) instead of fitting new ones.")
@click.option("--keep-outliers", is_flag=True, help="Leave HDBSCAN's outliers unassigned (default: reassign to the nearest theme).")
@click.option("--method", type=click.Choice(["auto", "hdbscan", "kmeans", "agglomerative"]), default="auto", show_default=True,
              help="Clustering: auto = agglomerative below 50 units, UMAP + k-means above.")
@click.option("--max-parents", default=8, show_default=True, type=int, help="Top-level groups in the theme hierarchy.")
@click.option("--seed", default=None, type=int, help="Seed for UMAP and k-means (default: run.seed, 42).")
@click.option("--taxonomy", default=None, type=click.Path(exists=True, dir_okay=False), help="Enabler taxonomy TOML (names enabler themes).")
@click.option("--spacy", "spacy_pipeline", default=None, help="spaCy pipeline for segmentation when PATH is a dump.")
@click.option("-o", "--out", default=None, type=click.Path(file_okay=False), help="Run folder (default: a new one under runs/).")
@click.option("--csv", "as_csv", is_flag=True, default=None, help="Write tables as CSV instead of Parquet.")
@click.pass_context
def themes(ctx: click.Context, path: str, kind: str, theme_model: str | None, keep_outliers: bool, method: str, max_parents: int,
           seed: int | None, taxonomy: str | None, spacy_pipeline: str | None, out: str | None, as_csv: bool | None, **kwargs: Any) -> None:
    """Group outcome units into job themes and enabler units into enabler themes.

    PATH is a run folder written by `jtbd extract` (its units are reused) or a dump
    (extracted first). Writes themes, theme_assignments and the fitted theme_model/.
    """
    from pathlib import Path

    import pandas as pd

    from .embed import get_embedder
    from .enablers import load_taxonomy
    from .runs import RunFolder
    from .themes import ThemeModel, assign_themes, fit_themes

    cfg, cfg_path = _config(ctx, load=_load_overrides(kwargs), run={"out": out, "csv": as_csv})
    seed = cfg.run.seed if seed is None else seed
    run = RunFolder.create(cfg.run.out, command="themes", config=cfg.to_dict(), csv=cfg.run.csv, config_file=cfg_path,
                           force=_force(ctx))
    units, outcomes, info, ex_info = _load_units(ctx, path, cfg, run, taxonomy, spacy_pipeline)
    tax = load_taxonomy(taxonomy)
    kinds = ["job", "enabler"] if kind == "both" else [kind]
    tables, assigns, summary = [], [], {}
    for k in kinds:
        with run.stage(f"themes_{k}"):
            if theme_model:
                folder = Path(theme_model) / k if (Path(theme_model) / k).is_dir() else Path(theme_model)
                model = ThemeModel.load(folder)
                if model.kind != k:
                    if kind != "both":
                        raise click.UsageError(f"the model in '{folder}' holds {model.kind} themes, not {k} themes")
                    continue
                res = assign_themes(units, model, outcomes=outcomes, taxonomy=tax)
            else:
                res = fit_themes(units, outcomes=outcomes, kind=k, taxonomy=tax, seed=seed, keep_outliers=keep_outliers,
                                 method=method, max_parents=max_parents)
                res.model.save(run.path / "theme_model" / k)
        tables.append(res.themes)
        assigns.append(res.assignments)
        summary[k] = {key: v for key, v in res.info.items() if key not in ("embedding",)}
    themes_df = pd.concat([t for t in tables if len(t)], ignore_index=True) if any(len(t) for t in tables) else tables[0]
    assign_df = pd.concat([a for a in assigns if len(a)], ignore_index=True) if any(len(a) for a in assigns) else assigns[0]
    run.write_table("themes", themes_df)
    run.write_table("theme_assignments", assign_df)
    run.finish(inputs=info.get("inputs", []), seeds={"seed": seed},
               counts={"records": int(info.get("records", 0)), "units": int(len(units)),
                       **{f"{k}_themes": int(s.get("n_themes", 0)) for k, s in summary.items()}},
               models={"extraction": ex_info, "embedding": get_embedder().describe(), "themes": summary})
    click.echo(f"{len(units):,} units -> {run.path}")
    for k, s in summary.items():
        parents = s.get("n_parents", "-")
        click.echo(f"  {k:<8} {s.get('n_themes', 0):>4} themes in {parents} groups over {s.get('units_themed', 0):,} units "
                   f"({s.get('method')}); outliers {100 * s.get('outlier_share', 0):.1f}%")
    if len(themes_df):
        for _, r in themes_df.sort_values("n_records", ascending=False).groupby("kind", sort=False).head(5).iterrows():
            click.echo(f"  [{r['theme_id']:>4}] {int(r['n_records']):>6,} records  {r['label']}")


@cli.command()
@click.argument("path")
@load_options
@click.option("--model", "theme_model", default=None, type=click.Path(exists=True, file_okay=False),
              help="theme_model folder of an earlier run: assign to its themes instead of fitting new ones.")
@click.option("--min-n", default=30, show_default=True, type=click.IntRange(min=1), help="Figures from fewer records are flagged small_sample.")
@click.option("--period", type=click.Choice(["M", "W"]), default="M", show_default=True, help="Trends by month or week.")
@click.option("--seed", default=None, type=int, help="Seed for themes and bootstraps (default: run.seed, 42).")
@click.option("-o", "--out", default=None, type=click.Path(file_okay=False), help="Run folder (default: a new one under runs/).")
@click.option("--csv", "as_csv", is_flag=True, default=None, help="Write tables as CSV instead of Parquet.")
@click.option("--no-report", is_flag=True, help="Do not write report.html (rebuild it later with `jtbd report RUN_DIR`).")
@click.option("--outcome-model", default=None, type=click.Path(exists=True, file_okay=False),
              help="Outcome/enabler classifier saved by `jtbd train outcomes` (default: the shipped one).")
@click.option("--min-confidence", type=click.FloatRange(0.0, 1.0, max_open=True), default=None,
              help="Label units below this calibrated confidence 'unsure' and leave them out of statements, themes and measures (config extract.min_confidence; default 0: keep all).")
@click.option("--stream/--no-stream", "stream", default=None,
              help="Stream the dump in chunks in bounded memory (default: when the input is 100 MB or more).")
@click.option("--chunk-size", default=50_000, show_default=True, type=click.IntRange(min=1), help="Records per chunk when streaming.")
@click.option("--sample-records", default=20_000, show_default=True, type=click.IntRange(min=100),
              help="Records in the stratified theme-fitting sample when streaming.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run the split and extraction (and, with --stream, theme assignment) on Dask: local, local:N (a LocalCluster of N workers) or tcp://SCHEDULER:8786.")
@click.pass_context
def analyze(ctx: click.Context, path: str, theme_model: str | None, min_n: int, period: str, seed: int | None, out: str | None,
            as_csv: bool | None, no_report: bool, outcome_model: str | None, min_confidence: float | None, dask_address: str | None,
            stream: bool | None, chunk_size: int, sample_records: int, **kwargs: Any) -> None:
    """The whole pipeline: load, split, extract, themes and metrics, into one run folder.

    PATH is a file, a folder of exports or a quoted glob ('exports/*.parquet').
    """
    from .pipeline import analyze as run_analysis

    cfg, cfg_path = _config(ctx, load=_load_overrides(kwargs), run={"out": out, "csv": as_csv}, extract={"min_confidence": min_confidence})
    from .runs import check_out
    from .stream import input_files, is_glob

    check_out(cfg.run.out, force=_force(ctx))  # before the work, not after it

    if is_glob(path) and stream is False:
        raise UsageError("E233", f"'{path}' is a glob: only a streamed run reads globs",
                         fix="drop --no-stream, or point at a folder holding the files")
    if is_glob(path) and stream is None:
        stream = True
    if stream is None:
        size = sum(p.stat().st_size for p in input_files(path))
        stream = size >= STREAM_BYTES
        if stream and _progress(ctx):
            click.echo(f"[jtbd] input is {size / 1e6:,.0f} MB: streaming in chunks of {chunk_size:,} records (--no-stream to load it whole)", err=True)
    if stream:
        if cfg.run.csv:
            raise UsageError("E232", "--stream writes Parquet tables only", fix="drop --csv (read the Parquet tables with pandas)")
        from .stream import analyze_stream

        run = analyze_stream(path, out=cfg.run.out, config=cfg, seed=seed, min_n=min_n, theme_model=theme_model,
                             outcome_model=outcome_model, chunk_size=chunk_size, sample_records=sample_records,
                             progress=_progress(ctx), period=period, report=not no_report, config_file=cfg_path, dask=dask_address,
                             force=_force(ctx))
        from .runs import read_run_table

        _summary(read_run_table(run.path, "metrics_headline").iloc[0].to_dict(), read_run_table(run.path, "metrics_centricity"),
                 read_run_table(run.path, "themes"), json.loads((run.path / "run.json").read_text()).get("not_made", {}), run)
    else:
        result = run_analysis(path, config=cfg, seed=seed, min_n=min_n, theme_model=theme_model, outcome_model=outcome_model,
                              dask=dask_address, progress=_progress(ctx), period=period)
        result.provenance["config_file"] = cfg_path
        run = result.save(cfg.run.out, csv=cfg.run.csv, config=cfg.to_dict(), report=not no_report, force=_force(ctx))
        _summary(result.metrics["headline"].iloc[0].to_dict(), result.metrics["centricity"], result.themes, result.not_made, run)
    if not no_report:  # built inside the run folder before it was moved into place
        click.echo(f"  report: {run.path / 'report.html'}")


STREAM_BYTES = 100_000_000  # inputs this large are streamed unless --no-stream


def _summary(h: dict, centricity, themes, not_made: dict, run) -> None:
    def echo(line: str) -> None:  # theme labels come from the feedback: no control sequence reaches the terminal
        click.echo(_printable(line))

    echo(f"{h['records']:,} records ({h['solicited']:,} solicited, {h['unsolicited']:,} unsolicited) -> {h['units']:,} units -> {run.path}")
    if "score" in h:
        echo(f"  {h['measure']} {h['score']:.1f} (95% CI {h['score_ci_low']:.1f} to {h['score_ci_high']:.1f}, n {int(h['score_n']):,})")
    c = centricity.set_index("group")
    for g in ("solicited", "unsolicited", "gap (unsolicited - solicited)"):
        if g in c.index:
            r = c.loc[g]
            echo(f"  outcome share, {g:<30} {100 * r['outcome_share']:5.1f}%  (95% CI {100 * r['ci_low']:.1f} to {100 * r['ci_high']:.1f})")
    jobs = themes[themes["kind"] == "job"].sort_values("n_records", ascending=False).head(5)
    echo(f"  {h['job_themes']} job themes, {h['enabler_themes']} enabler themes; top jobs:")
    for _, t in jobs.iterrows():
        echo(f"    [{t['theme_id']:>4}] {int(t['n_records']):>5,} records  {t['label']}")
    for name, why in not_made.items():
        echo(f"  not made: {name} ({why})")


@cli.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--out", default=None, type=click.Path(dir_okay=False), help="HTML file (default: RUN_DIR/report.html).")
@click.option("--xlsx", is_flag=True, help="Also write every table to RUN_DIR/tables.xlsx (formula-like cells neutralised).")
@click.option("--screenshot", is_flag=True, help="Also save RUN_DIR/report.png from headless Chromium (needs selenium, chromium, chromium-driver).")
def report(run_dir: str, out: str | None, xlsx: bool, screenshot: bool) -> None:
    """Rebuild the HTML report of a `jtbd analyze` run folder (no model is run)."""
    from .report import build_report, export_tables
    from pathlib import Path

    from .report import screenshot as take

    path = build_report(run_dir, out=out)
    click.echo(f"report: {path}")
    if xlsx:
        click.echo(f"tables: {export_tables(run_dir)}")
    if screenshot:
        png = Path(run_dir) / "report.png"
        seen = take(path, png)
        errors = [c for c in seen["console"] if c["level"] == "SEVERE"]
        click.echo(f"screenshot: {png} ({seen['height']} px tall; {len(errors)} console errors; {len(seen['requests'])} requests)")


@cli.group()
def train() -> None:
    """Retrain a model on your own labelled records."""


@train.command("solicitation")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.option("--text-col", default="text", show_default=True, help="Column holding the text.")
@click.option("--label-col", default="solicited", show_default=True, help="Column holding 1/0 or solicited/unsolicited.")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="Folder to save the model in (use it with --model).")
@click.option("--C", "c", default=0.5, show_default=True, type=float, help="Inverse regularisation strength.")
@click.option("--seed", default=42, show_default=True, type=int)
def train_solicitation(labels: str, text_col: str, label_col: str, out: str, c: float, seed: int) -> None:
    """Train the solicitation text model on LABELS (CSV, Excel, JSON, Parquet)."""
    from .io import read_table
    from .solicitation import SolicitationModel, parse_solicited_labels

    df = read_table(labels)
    for col in (text_col, label_col):
        if col not in df.columns:
            from .errors import UsageError

            raise UsageError("E213", f"column '{col}' not found in '{labels}' (columns: {', '.join(map(str, df.columns[:20]))})", fix="pass --text-col/--label-col")
    df = df[df[text_col].fillna("").astype(str).str.strip() != ""]
    model = SolicitationModel(C=c, seed=seed).fit(df[text_col].astype(str).tolist(), parse_solicited_labels(df[label_col]), source=str(labels))
    path = model.save(out)
    click.echo(f"trained on {len(df):,} records ({model.meta_['n_solicited']:,} solicited) -> {path}")


@train.command("outcomes")
@click.argument("labels", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--text-col", default="text", show_default=True, help="Column holding the unit text.")
@click.option("--label-col", default="label", show_default=True, help="Column holding outcome/enabler/both/other.")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False), help="Folder to save the model in (use it with --model).")
@click.option("--C", "c", default=4.0, show_default=True, type=float, help="Inverse regularisation strength.")
@click.option("--seed", default=42, show_default=True, type=int)
def train_outcomes(labels: tuple[str, ...], text_col: str, label_col: str, out: str, c: float, seed: int) -> None:
    """Train the outcome/enabler unit classifier on one or more LABELS files."""
    import pandas as pd

    from .errors import UsageError
    from .io import read_table
    from .outcomes import OutcomeModel

    frames = []
    for path in labels:
        df = read_table(path)
        for col in (text_col, label_col):
            if col not in df.columns:
                raise UsageError("E213", f"column '{col}' not found in '{path}' (columns: {', '.join(map(str, df.columns[:20]))})", fix="pass --text-col/--label-col")
        frames.append(df[[text_col, label_col]])
    df = pd.concat(frames, ignore_index=True)
    df = df[df[text_col].fillna("").astype(str).str.strip() != ""]
    model = OutcomeModel(C=c, seed=seed).fit(df[text_col].astype(str).tolist(), df[label_col].tolist(), source=" + ".join(labels))
    path = model.save(out)
    counts = ", ".join(f"{k} {v:,}" for k, v in model.meta_["label_counts"].items())
    click.echo(f"trained on {len(df):,} units ({counts}) -> {path}")


@cli.group()
def evaluate() -> None:
    """Measure a model against your own labels."""


def _print_scores(result: dict, title: str = "") -> None:
    echo = click.echo
    if title:
        echo(title)
    echo(f"  n          {result['n']:,}")
    echo(f"  accuracy   {result['accuracy']:.4f}")
    echo(f"  macro-F1   {result['macro_f1']:.4f}")
    for key in ("outcome_f1", "enabler_f1"):
        if key in result:
            echo(f"  {key:<10} {result[key]:.4f}")
    echo(f"  {'class':<12} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}")
    for name, m in result["per_class"].items():
        echo(f"  {name:<12} {m['precision']:>9.4f} {m['recall']:>7.4f} {m['f1']:>7.4f} {m['support']:>8,}")
    conf = result["confusion"]
    echo("  confusion (rows true, columns predicted)")
    echo("  " + " " * 12 + "".join(f"{l[:11]:>12}" for l in conf["labels"]))
    for label, row in zip(conf["labels"], conf["matrix"]):
        echo(f"  {label[:11]:<12}" + "".join(f"{v:>12,}" for v in row))
    if result.get("seen_in_training"):
        echo(f"  left out   {result['seen_in_training']:,} rows the model was trained on (--include-trained scores them)")
    cal = result.get("calibration")
    if cal:
        echo(f"  calibration: expected calibration error {cal['ece']:.4f} ({cal['n_bins']} bins of confidence)")
        echo(f"  {'confidence':<12} {'n':>7} {'mean conf':>10} {'accuracy':>9}")
        for r in cal["reliability"]:
            echo(f"  {r['lower']:.1f}-{r['upper']:.1f}     {r['n']:>7,} {r['confidence']:>10.4f} {r['accuracy']:>9.4f}")


@evaluate.command("solicitation")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.option("--text-col", default="text", show_default=True)
@click.option("--label-col", default="solicited", show_default=True)
@click.option("--group-col", default=None, help="Also report the figures per value of this column.")
@click.option("--versus-opposite", is_flag=True, help="With --group-col: each group against every record of the opposite class.")
@click.option("--model", default=None, type=click.Path(exists=True, file_okay=False), help="Model folder; default: the shipped one.")
@click.option("--include-trained", is_flag=True, help="Also score rows whose text the model was trained on (left out by default).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate_solicitation_cmd(labels: str, text_col: str, label_col: str, group_col: str | None, versus_opposite: bool,
                              model: str | None, include_trained: bool, as_json: bool) -> None:
    """Text-only predictions on LABELS against their solicited/unsolicited labels."""
    from .io import read_table
    from .solicitation import evaluate_solicitation

    df = read_table(labels)
    result = evaluate_solicitation(df, text_col=text_col, label_col=label_col, group_col=group_col, model=model,
                                   versus_opposite=versus_opposite, skip_seen=not include_trained)
    if as_json:
        click.echo(json.dumps(result))
        return
    _print_scores(result, f"solicitation, text only: {labels}")
    for key, title in (("groups", "by"), ("groups_vs_opposite", "against the opposite class, by")):
        for g, r in result.get(key, {}).items():
            click.echo(f"  [{title} {group_col} = {g}] n {r['n']:,}  accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}  "
                       f"confusion {r['confusion']['matrix']}")


@evaluate.command("outcomes")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.option("--text-col", default="sentence", show_default=True)
@click.option("--label-col", default="label", show_default=True)
@click.option("--group-col", default=None, help="Also report the figures per value of this column (e.g. source).")
@click.option("--model", default=None, type=click.Path(exists=True, file_okay=False), help="Model folder; default: the shipped one.")
@click.option("--include-trained", is_flag=True, help="Also score rows whose text the model was trained on (left out by default).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate_outcomes_cmd(labels: str, text_col: str, label_col: str, group_col: str | None, model: str | None,
                          include_trained: bool, as_json: bool) -> None:
    """Classify each row of LABELS as one unit and score it against its label."""
    from .io import read_table
    from .outcomes import evaluate_outcomes

    result = evaluate_outcomes(read_table(labels), text_col=text_col, label_col=label_col, group_col=group_col, model=model,
                               skip_seen=not include_trained)
    if as_json:
        click.echo(json.dumps(result))
        return
    _print_scores(result, f"outcomes vs enablers: {labels}")
    for g, r in result.get("groups", {}).items():
        click.echo(f"  [{group_col} = {g}] n {r['n']:,}  accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}  "
                   f"outcome_f1 {r['outcome_f1']:.4f}  enabler_f1 {r['enabler_f1']:.4f}  ece {r['ece']:.4f}")


@evaluate.command("themes")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.option("--text-col", default="text", show_default=True)
@click.option("--label-col", default="category", show_default=True)
@click.option("--kind", type=click.Choice(["enabler", "job"]), default="enabler", show_default=True)
@click.option("--drop-label", "drop_labels", multiple=True, help="Leave out rows with this gold label (repeatable), e.g. \"Can't Tell\".")
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--no-baseline", is_flag=True, help="Skip plain BERTopic on the raw texts.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate_themes_cmd(labels: str, text_col: str, label_col: str, kind: str, drop_labels: tuple[str, ...], seed: int,
                        no_baseline: bool, as_json: bool) -> None:
    """Theme the texts of LABELS and score each record's dominant theme against its gold category (NMI, ARI)."""
    from .io import read_table
    from .themes import evaluate_themes

    result = evaluate_themes(read_table(labels), text_col=text_col, label_col=label_col, kind=kind, seed=seed,
                             drop_labels=drop_labels, baseline=not no_baseline)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"{kind} themes: {labels} ({result['n']:,} labelled records)")
    rows = [("jtbd", result)] + ([("plain BERTopic", result["baseline"])] if "baseline" in result else [])
    click.echo(f"  {'':<16} {'NMI':>7} {'ARI':>7} {'themes':>7} {'outliers':>9}")
    for name, r in rows:
        click.echo(f"  {name:<16} {r['nmi']:>7.4f} {r['ari']:>7.4f} {r['n_themes']:>7,} {100 * r['outlier_share']:>8.1f}%")
    click.echo(f"  records with no {kind} unit: {100 * result['records_without_kind']:.1f}% (counted as outliers)")


@evaluate.command("statements")
@click.argument("labels", type=click.Path(exists=True, dir_okay=False))
@click.option("--text-col", default="sentence", show_default=True)
@click.option("--id-col", default="id", show_default=True)
@click.option("--group-col", default="source", show_default=True, help="Also report the figures per value of this column, when present.")
@click.option("--predictions", "predictions_out", default=None, type=click.Path(dir_okay=False),
              help="Write one row per input id: id, job, metric, direction, statement.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate_statements_cmd(labels: str, text_col: str, id_col: str, group_col: str, predictions_out: str | None,
                            as_json: bool) -> None:
    """Make (or decline) a desired-outcome statement for each row of LABELS as one outcome unit; score it against
    the reference columns (job, metric, direction, statement and job_2 ... statement_2) when the file has them."""
    import pandas as pd

    from .io import read_table
    from .statements import evaluate_statements

    result = evaluate_statements(read_table(labels), text_col=text_col, id_col=id_col, group_col=group_col)
    if predictions_out:
        pd.DataFrame(result["predictions"], columns=["id", "job", "metric", "direction", "statement"]).to_csv(predictions_out, index=False)
    if as_json:
        click.echo(json.dumps({k: v for k, v in result.items() if k != "predictions"}, default=str))
        return
    click.echo(f"statements: {labels} ({result['n']:,} units, {result['made']:,} statements made, {result['jobs']:,} jobs)")
    if "precision" in result:
        click.echo(f"  precision  {result['precision']:.4f}   (made statements matching a reference: job token F1 >= 0.5, same metric and direction)")
        click.echo(f"  coverage   {result['coverage']:.4f}   (reference statements matched)")
        click.echo(f"  job F1     {result['job_f1']:.4f}   (mean content-word token F1 where both have a job; match {result['job_match']:.4f})")
        click.echo(f"  metric     {result['metric_agreement']:.4f}   direction {result['direction_agreement']:.4f} (where both made one)")
        click.echo(f"  scored against {', '.join(result['references_scored'])}, averaged")
        for g, r in result.get("groups", {}).items():
            click.echo(f"  [{group_col} = {g}] n {r['n']:,}  precision {r['precision']:.4f}  coverage {r['coverage']:.4f}  job F1 {r['job_f1']:.4f}")
    if predictions_out:
        click.echo(f"  predictions -> {predictions_out}")


def main() -> None:
    """Entry point of the ``jtbd`` console script."""
    import signal

    def terminated(signum, frame):  # SIGTERM unwinds like Ctrl-C: an unfinished run folder is removed
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    try:
        cli(obj={}, prog_name="jtbd")
    except BrokenPipeError:  # output piped into `head` and the like
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
