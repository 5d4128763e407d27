"""The whole pipeline (`jtbd.analyze`): dump -> records -> solicitation -> units -> themes -> metrics.

:func:`analyze` is the library face of ``jtbd analyze``. It returns an
:class:`AnalysisResult` holding the tidy tables (records, units, outcomes, themes,
theme assignments and one table per metric) and the provenance of the run; every
metric row can be traced to record ids through ``theme_assignments`` and ``units``.
Tables the data does not allow (no score column, no dates, no customer values, no
questions) are listed in ``not_made`` with the reason.

Example:
    >>> import jtbd
    >>> result = jtbd.analyze("corpora/demo/feedback.csv")  # doctest: +SKIP
    >>> result.metrics["centricity"]  # doctest: +SKIP
    >>> result.save("runs/demo")  # doctest: +SKIP
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["analyze", "AnalysisResult", "question_audit", "compute_metrics", "METRIC_TABLES"]

METRIC_TABLES = ("headline", "scores_by_group", "theme_impact", "centricity", "opportunity", "value_priority", "value_tiers",
                 "up_and_comers", "question_audit", "theme_trends", "theme_channels")


@dataclass
class AnalysisResult:
    """Tables of a whole run and where they came from."""

    records: Any
    units: Any
    outcomes: Any
    themes: Any
    assignments: Any
    metrics: dict = field(default_factory=dict)
    not_made: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    theme_models: dict = field(default_factory=dict)
    skipped: Any = None

    def tables(self) -> dict:
        """Every table by its run-folder name."""
        out = {"records": self.records, "units": self.units, "outcomes": self.outcomes, "themes": self.themes,
               "theme_assignments": self.assignments}
        if self.skipped is not None:
            out["skipped"] = self.skipped
        out.update({f"metrics_{k}": v for k, v in self.metrics.items()})
        return out

    def save(self, out: str | Path | None = None, *, csv: bool = False, config: dict | None = None, report: bool = True,
             force: bool = False):
        """Write the run folder (tables, theme models, report.html unless ``report=False``, and run.json).

        The folder is written beside ``out`` and moved into place when complete; an
        ``out`` that already holds files is refused unless ``force=True`` (which replaces it).
        Returns its :class:`~jtbd.runs.RunFolder`.
        """
        from .runs import RunFolder

        run = RunFolder.create(out, command="analyze", config=config or self.provenance.get("config", {}), csv=csv, force=force)
        try:
            for name, df in self.tables().items():
                run.write_table(name, df)
            for kind, model in self.theme_models.items():
                model.save(run.path / "theme_model" / kind)
            prov = {k: v for k, v in self.provenance.items() if k != "config"}
            run.finish(**prov, not_made=self.not_made, commit=False)
            if report:
                from .report import build_report

                build_report(run.path)
            run.commit()
        except BaseException:
            run.abort()
            raise
        return run


def _stage(name: str, progress: bool) -> None:
    if progress:
        print(f"[jtbd] {name} ...", file=sys.stderr, flush=True)


def compute_metrics(records, units, themes, assignments, *, score_scale=None, outcome_model=None, seed: int = 42,
                    min_n: int = 30, period: str = "M") -> tuple[dict, dict]:
    """Every metric table the data allows, and the reason for each it does not: ``(metrics, not_made)``.

    Needs only slim tables: ``records`` without text (``record_id``, ``solicitation`` and the
    role columns present), ``units`` with ``record_id`` and ``label``, ``assignments`` with
    ``record_id``, ``theme_id``, ``kind`` (and ``theme``); the streaming pipeline reads just
    these columns back from the run folder.
    """
    import pandas as pd

    from . import metrics as M

    metrics: dict[str, Any] = {}
    not_made: dict[str, str] = {}
    scale = score_scale
    rthemes = M.record_themes(assignments)
    has_score = "score" in records.columns and records["score"].notna().any()
    head = {"records": len(records), "units": len(units),
            "solicited": int((records["solicitation"] == "solicited").sum()),
            "unsolicited": int((records["solicitation"] == "unsolicited").sum()),
            "job_themes": int((themes["kind"] == "job").sum()) if len(themes) else 0,
            "enabler_themes": int((themes["kind"] == "enabler").sum()) if len(themes) else 0}
    if has_score:
        s = M.score_summary(records["score"], scale)
        head.update({"measure": s["measure"], "score": s["value"], "score_ci_low": s["ci_low"], "score_ci_high": s["ci_high"],
                     "score_n": s["n"], "score_method": s["method"], "scale": str(scale)})
    metrics["headline"] = pd.DataFrame([head])
    if has_score:
        parts = [M.group_scores(records, "solicitation", scale, min_n=min_n)]
        if "channel" in records.columns and records["channel"].notna().any():
            parts.append(M.group_scores(records, "channel", scale, min_n=min_n))
        if "date" in records.columns and records["date"].notna().any():
            r = records.assign(period=pd.to_datetime(records["date"], errors="coerce", utc=True).dt.tz_localize(None).dt.to_period(period).astype(str))
            parts.append(M.group_scores(r[r["period"] != "NaT"], "period", scale, min_n=min_n))
        metrics["scores_by_group"] = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
        metrics["theme_impact"] = M.theme_impact(records, rthemes, themes, scale, min_n=min_n)
    else:
        not_made["scores_by_group"] = not_made["theme_impact"] = "no score column (NPS 0-10, CSAT or FFT) was found or named (--score-col)"
    metrics["centricity"] = M.centricity(units.merge(records[["record_id", "solicitation"]], on="record_id", how="left",
                                                     suffixes=("_unit", "")) if "solicitation" not in units.columns else units,
                                         seed=seed, min_n=min_n)
    if len(themes) and (themes["kind"] == "job").any():
        metrics["opportunity"] = M.opportunity_table(themes, min_n=min_n)
    else:
        not_made["opportunity"] = "no job themes (no outcome units)"
    has_value = {"customer_id", "customer_value"} <= set(records.columns) and records["customer_value"].notna().any()
    if has_value and len(rthemes):
        metrics["value_priority"], metrics["value_tiers"], metrics["up_and_comers"] = M.value_tables(records, rthemes, themes, min_n=min_n)
    else:
        for k in ("value_priority", "value_tiers", "up_and_comers"):
            not_made[k] = "no customer id and customer value columns (--customer-col, --value-col)"
    if "question" in records.columns and records["question"].notna().any():
        qs = sorted(records["question"].dropna().astype(str).unique().tolist())
        focus = _question_focus(qs, outcome_model) if outcome_model is not None else {}
        metrics["question_audit"] = question_audit(records, units, rthemes, themes, focus, min_n=min_n)
    else:
        not_made["question_audit"] = "no question column or wide survey export"
    if "date" in records.columns and records["date"].notna().any() and len(rthemes):
        metrics["theme_trends"] = M.theme_trends(records, rthemes, themes, freq=period, min_n=min_n)
    else:
        not_made["theme_trends"] = "no dates"
    if "channel" in records.columns and records["channel"].notna().any() and len(rthemes):
        m = rthemes.merge(records[["record_id", "channel"]], on="record_id")
        per = records.groupby("channel").size()
        tc = m.groupby(["theme_id", "kind", "channel"]).record_id.nunique().rename("records").reset_index()
        tc["n"] = tc["channel"].map(per)
        tc["share"] = tc["records"] / tc["n"]
        tc["label"] = tc["theme_id"].map(themes.set_index("theme_id")["label"])
        tc["small_sample"] = tc["n"] < min_n
        metrics["theme_channels"] = tc
    else:
        not_made["theme_channels"] = "no channel column"
    return metrics, not_made


def units_for_themes(units, records):
    """``(units with their record's language, {"records", "units", "languages"})``: the units not in an analysis
    language (see :data:`jtbd.themes.ANALYSIS_LANGUAGES`) are counted here and left out of every theme."""
    from .themes import not_in_language

    if "language" in units.columns or "language" not in records.columns:
        u = units
    else:
        u = units.merge(records[["record_id", "language"]].drop_duplicates("record_id"), on="record_id", how="left")
    out = not_in_language(u)
    langs = u.loc[out, "language"].astype(str).value_counts().to_dict() if out.any() else {}
    return u, {"records": int(u.loc[out, "record_id"].nunique()) if out.any() else 0, "units": int(out.sum()),
               "languages": {str(k): int(v) for k, v in langs.items()}}


def non_answer_counts(units) -> dict:
    """``{"records", "units"}`` of the non-answer units ("Did not answer", "Nothing."), left out of every theme."""
    from .themes import non_answers

    na = non_answers(units)
    return {"records": int(units.loc[na, "record_id"].nunique()) if na.any() else 0, "units": int(na.sum())}


def question_audit(records, units, rthemes, themes, focus: dict, *, min_n: int = 30):
    """One row per survey question: its focus, the outcome share of its answers, and a rewording for the others.

    The rewording is built from the job theme the question's answers touch most, and only when
    that theme is named by a shared job whose name passes :func:`jtbd.naming.name_problems`;
    otherwise there is none, and ``rewording_status`` says why (nothing is invented).

    Args:
        focus: ``{question: (label, p_outcome, p_enabler)}`` from the outcome model.
    """
    import pandas as pd

    from .naming import name_problems

    rows = []
    jobs = themes[themes["kind"] == "job"].set_index("theme_id") if len(themes) else pd.DataFrame()
    for q, sub in records[records["question"].notna()].groupby("question", sort=True):
        ids = set(sub["record_id"])
        u = units[units["record_id"].isin(ids) & units["label"].isin(["outcome", "enabler", "both"])]
        share = float(u["label"].map({"outcome": 1.0, "both": 0.5, "enabler": 0.0}).mean()) if len(u) else float("nan")
        label, p_o, p_e = focus.get(q, ("open", float("nan"), float("nan")))
        suggestion = None
        if label == "outcome-focused":
            status = "outcome-focused question: no rewording needed"
        elif not len(jobs):
            status = "no job themes in this run"
        else:
            touched = rthemes[rthemes["record_id"].isin(ids) & (rthemes["kind"] == "job")]["theme_id"].value_counts()
            touched = touched[touched.index.isin(jobs.index)]
            if not len(touched):
                status = "its answers touch no job theme"
            else:
                tid = touched.index[0]
                t = jobs.loc[tid]
                name = str(t["label"]).split(" (")[0]
                problems = name_problems(name)
                if not str(t["label_source"]).startswith("shared_job"):
                    status = f"the job theme its answers touch most ({tid}) is named by {t['label_source']}, not by a shared job"
                elif problems:
                    status = f"the name of the job theme its answers touch most ({tid}) breaks the naming rules: {'; '.join(problems)}"
                else:
                    suggestion = f"When you were trying to {name}, what made it slow, hard or uncertain?"
                    status = f"suggested from job theme {tid}"
        rows.append({"question": q, "focus": label, "p_outcome": p_o, "p_enabler": p_e, "n": len(ids), "answer_units": len(u),
                     "answer_outcome_share": share, "suggested_rewording": suggestion,
                     "rewording_is_suggestion": suggestion is not None, "rewording_status": status})
    df = pd.DataFrame(rows, columns=["question", "focus", "p_outcome", "p_enabler", "n", "answer_units", "answer_outcome_share",
                                     "suggested_rewording", "rewording_is_suggestion", "rewording_status"])
    df["small_sample"] = df["n"] < min_n
    return df


def _question_focus(questions: list[str], model) -> dict:
    if not questions:
        return {}
    proba = model.predict_proba(questions)
    classes = list(model.classes_)
    out = {}
    for q, p in zip(questions, proba):
        po = p[classes.index("outcome")] + 0.5 * p[classes.index("both")]
        pe = p[classes.index("enabler")] + 0.5 * p[classes.index("both")]
        label = "outcome-focused" if po > pe and po >= 0.3 else "enabler-focused" if pe > po and pe >= 0.3 else "open"
        out[q] = (label, round(float(po), 4), round(float(pe), 4))
    return out


def analyze(data, *, config=None, seed: int | None = None, min_n: int = 30, theme_model: str | Path | None = None,
            outcome_model=None, embedder: str | None = None, dask: str | Any = None, progress: bool = False,
            period: str = "M", **load_options: Any) -> AnalysisResult:
    """Run load, solicitation split, extraction, themes and metrics on a dump.

    Args:
        data: A path (file, folder or glob) or a pandas DataFrame.
        config: A :class:`jtbd.config.Config` (its load, solicitation and run sections are used).
        seed: Seed of theme fitting and bootstraps (default: ``config.run.seed``, 42).
        min_n: Figures from fewer records carry ``small_sample=True``.
        theme_model: A ``theme_model`` folder of an earlier run: assign to its themes instead of fitting.
        outcome_model: An :class:`~jtbd.outcomes.OutcomeModel` or the folder of one saved by
            ``jtbd train outcomes`` (default: the shipped model).
        embedder: Embedding backend for this run (``auto``, ``torch``, ``onnx``, ``onnx-int8``,
            ``static``); default ``config.embed.backend``, else ``$JTBD_EMBEDDER``, else ``auto``.
        dask: ``"local"``, ``"local:N"``, a scheduler address or a ``distributed.Client``: run the
            solicitation split and extraction on Dask workers (see :mod:`jtbd.distributed`).
        progress: Progress bars and stage lines on stderr.
        period: ``"M"`` (months) or ``"W"`` (weeks) for trends.
        **load_options: Fields of :class:`jtbd.config.LoadConfig` (``text_col=``, ``score_col=``, ...).
    """
    import os

    from .config import Config

    configured = (config or Config()).embed.backend
    backend = embedder or (configured if configured != "auto" else None)
    previous = os.environ.get("JTBD_EMBEDDER")
    if backend:
        os.environ["JTBD_EMBEDDER"] = backend  # every stage's get_embedder() reads it
    try:
        return _analyze(data, config=config, seed=seed, min_n=min_n, theme_model=theme_model, outcome_model=outcome_model,
                        dask=dask, progress=progress, period=period, **load_options)
    finally:
        if backend:
            if previous is None:
                os.environ.pop("JTBD_EMBEDDER", None)
            else:
                os.environ["JTBD_EMBEDDER"] = previous


def _analyze(data, *, config, seed, min_n, theme_model, outcome_model, dask, progress, period, **load_options) -> AnalysisResult:
    import pandas as pd

    from .config import Config
    from .embed import get_embedder
    from .extract import OutcomeExtractor
    from .io import load_feedback
    from .solicitation import SolicitationSplitter
    from .themes import ThemeModel, assign_themes, fit_themes

    cfg = config or Config()
    if load_options:
        cfg = cfg.override({"load": load_options})
    seed = cfg.run.seed if seed is None else seed
    timings: dict[str, float] = {}

    def timed(name, fn):
        _stage(name, progress)
        t = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t, 3)
        return out

    loaded = timed("load", lambda: load_feedback(data, config=cfg.load, progress=progress))
    info = loaded.summary()
    splitter_kwargs = cfg.solicitation.splitter_kwargs(score_scale=info.get("score_scale"), layout=info.get("layout"))
    splitter = SolicitationSplitter(**splitter_kwargs)
    ex = OutcomeExtractor(model=outcome_model, min_confidence=cfg.extract.min_confidence)
    dask_info = None
    if dask is not None:
        from .distributed import connect, per_record_stages

        client = connect(dask) if isinstance(dask, str) else dask
        try:
            _stage("solicitation + extraction on Dask", progress)
            t = time.perf_counter()
            # a folder travels as its path (workers load it once); a model object travels pickled
            model_arg = str(outcome_model) if isinstance(outcome_model, Path) else outcome_model if outcome_model is None or isinstance(outcome_model, str) else ex.model
            records, units, outcomes, extraction_info, dask_info = per_record_stages(
                loaded.records, client=client, splitter_kwargs=splitter_kwargs, outcome_model=model_arg,
                extractor_kwargs={"min_confidence": cfg.extract.min_confidence})
            timings["solicitation_and_extract_dask"] = round(time.perf_counter() - t, 3)
        finally:
            if isinstance(dask, str):
                cluster = getattr(client, "cluster", None)
                client.close()
                if cluster is not None:
                    cluster.close()
    else:
        records = timed("solicitation", lambda: splitter.transform(loaded.records, progress=progress))
        extracted = timed("extract", lambda: ex.transform(records, progress=progress))
        units, outcomes, extraction_info = extracted.units, extracted.outcomes, extracted.info
    theme_results = {}
    themed_units, language_excluded = units_for_themes(units, records)
    for kind in ("job", "enabler"):
        def run_kind(kind=kind):
            if theme_model:
                folder = Path(theme_model) / kind
                return assign_themes(themed_units, ThemeModel.load(folder), outcomes=outcomes)
            return fit_themes(themed_units, outcomes=outcomes, kind=kind, seed=seed)
        theme_results[kind] = timed(f"themes_{kind}", run_kind)
    themes = pd.concat([r.themes for r in theme_results.values() if len(r.themes)], ignore_index=True) \
        if any(len(r.themes) for r in theme_results.values()) else theme_results["job"].themes
    assignments = pd.concat([r.assignments for r in theme_results.values() if len(r.assignments)], ignore_index=True) \
        if any(len(r.assignments) for r in theme_results.values()) else theme_results["job"].assignments

    _stage("metrics", progress)
    t0 = time.perf_counter()
    metrics, not_made = compute_metrics(records, units, themes, assignments, score_scale=info.get("score_scale"),
                                        outcome_model=ex.model, seed=seed, min_n=min_n, period=period)
    timings["metrics"] = round(time.perf_counter() - t0, 3)
    provenance = {
        "inputs": info.get("inputs", []), "config": cfg.to_dict(), "seeds": {"seed": seed},
        "counts": {"records": len(records), "skipped": int(len(loaded.skipped)), "units": len(units), "outcome_units": len(outcomes),
                   "unsure_units": int((units["label"] == "unsure").sum()) if len(units) else 0,
                   "themes": {k: r.info.get("n_themes", 0) for k, r in theme_results.items()},
                   "not_in_analysis_language": language_excluded, "non_answers": non_answer_counts(units)},
        "models": {"solicitation": splitter.describe(), "extraction": extraction_info,
                   "themes": {k: {kk: v for kk, v in r.info.items() if kk != "embedding"} for k, r in theme_results.items()},
                   "embedding": get_embedder().describe()},
        "load": {k: v for k, v in info.items() if k != "inputs"}, "timings": timings, "dask": dask_info,
        "metrics": {"min_n": min_n, "period": period},
    }
    return AnalysisResult(records=records, units=units, outcomes=outcomes, themes=themes, assignments=assignments, metrics=metrics,
                          not_made=not_made, provenance=provenance, skipped=loaded.skipped,
                          theme_models={k: r.model for k, r in theme_results.items() if r.model.n_themes})
