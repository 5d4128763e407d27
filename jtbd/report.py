"""The HTML report: one self-contained file built from a run folder, never from a model.

:func:`build_report` reads the tables and ``run.json`` that ``jtbd analyze`` wrote and
renders ``report.html`` beside them: headline figures, the customer-centricity index,
job themes ranked by opportunity and by customer value (with desired-outcome statements
and verbatim quotes traced to record ids and character spans), enabler themes with
polarity, the score by theme, the opportunity landscape, the survey-question audit,
trends, channels, and how the run was made.

The file needs no network: styles and the one small script are inline, charts are
inline SVG (see :mod:`jtbd.charts`), and a Content-Security-Policy forbids any fetch and
any script but the report's own. Every piece of feedback text goes through Jinja's
autoescaping, so a record holding ``<script>`` or ``javascript:`` shows as text. Tables
sort when scripts run and read in their ranked order when they do not; theme quotes
expand with ``<details>``, which needs no script.

Example:
    >>> from jtbd.report import build_report
    >>> build_report("runs/demo")  # doctest: +SKIP
    PosixPath('runs/demo/report.html')
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

from .errors import UsageError

__all__ = ["build_report", "render_report", "report_context", "export_tables", "screenshot"]

_TEMPLATE_DIR = Path(__file__).parent / "data" / "report"
QUOTES_PER_THEME = 8


# ---------------------------------------------------------------------- formatting
def _num(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return "–"
    if f.is_integer() and digits == 0:
        return f"{int(f):,}"
    return f"{f:,.{digits}f}"


def _pct(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(f) else f"{100 * f:.{digits}f}%"


def _json_list(v: Any) -> list:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, (list, tuple)):
        return list(v)
    if hasattr(v, "tolist"):
        return list(v.tolist())
    try:
        out = json.loads(v)
    except (TypeError, ValueError):
        return [v]
    return out if isinstance(out, list) else [out]


def _records(df, limit: int | None = None) -> list[dict]:
    if df is None:
        return []
    d = df if limit is None else df.head(limit)
    rows = d.to_dict("records")
    for r in rows:
        for k, v in list(r.items()):
            if isinstance(v, float) and math.isnan(v):
                r[k] = None
    return rows


# ---------------------------------------------------------------------- context
def report_context(run_dir: str | Path) -> dict:
    """Everything the template shows, read from the run folder (plain Python values and SVG strings)."""
    import pandas as pd

    from . import charts
    from .runs import read_run_table

    run_dir = Path(run_dir)
    manifest_path = run_dir / "run.json"
    if not manifest_path.exists():
        raise UsageError("E220", f"'{run_dir}' is not a run folder (no run.json)",
                         fix="pass the --out folder of `jtbd analyze PATH --out DIR`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if read_run_table(run_dir, "metrics_headline", required=False) is None:
        raise UsageError("E221", f"run folder '{run_dir}' has no metrics (it was written by `jtbd {manifest.get('command')}`)",
                         fix=f"run `jtbd analyze PATH --out {run_dir}` first; the report is built from its tables")

    def table(name):
        return read_run_table(run_dir, name, required=False)

    head = table("metrics_headline").iloc[0].to_dict()
    records = read_run_table(run_dir, "records", required=False, columns=["date"])  # only dates: big runs stay small
    themes = table("themes")
    cent = table("metrics_centricity")
    opp = table("metrics_opportunity")
    impact = table("metrics_theme_impact")
    by_group = table("metrics_scores_by_group")
    vprio = table("metrics_value_priority")
    vtiers = table("metrics_value_tiers")
    upc = table("metrics_up_and_comers")
    audit = table("metrics_question_audit")
    trends = table("metrics_theme_trends")
    channels = table("metrics_theme_channels")
    min_n = manifest.get("metrics", {}).get("min_n", 30)
    ctx: dict[str, Any] = {"min_n": min_n, "manifest": manifest, "not_made": manifest.get("not_made", {})}

    # headline
    inputs = manifest.get("inputs", [])
    ctx["title"] = ", ".join(Path(i.get("path", "")).name for i in inputs) or str(run_dir.name)
    dates = pd.to_datetime(records["date"], errors="coerce", utc=True) if records is not None and "date" in records else None
    head_cards = [("records", _num(head.get("records"), 0), f"{_num(head.get('units'), 0)} units (sentences and clauses)"),
                  ("solicited", _num(head.get("solicited"), 0), _pct(head["solicited"] / head["records"]) + " of records" if head.get("records") else ""),
                  ("unsolicited", _num(head.get("unsolicited"), 0), _pct(head["unsolicited"] / head["records"]) + " of records" if head.get("records") else "")]
    if head.get("measure") and head.get("score") is not None and not pd.isna(head.get("score")):
        unit = "%" if str(head["measure"]).endswith("%") else ""
        head_cards.append((str(head["measure"]).rstrip(" %"), _num(head["score"], 1) + unit,
                           f"95% CI {_num(head['score_ci_low'], 1)} to {_num(head['score_ci_high'], 1)}{unit}; n {_num(head.get('score_n'), 0)}"))
    head_cards.append(("themes", f"{_num(head.get('job_themes'), 0)} + {_num(head.get('enabler_themes'), 0)}", "job themes + enabler themes"))
    ctx["cards"] = [{"name": a, "value": b, "sub": c} for a, b, c in head_cards]
    ctx["period"] = (f"{dates.min():%d %b %Y} to {dates.max():%d %b %Y}" if dates is not None and dates.notna().any() else None)
    ctx["headline"] = head
    ctx["scale_note"] = _scale_note(head)

    # centricity
    if cent is not None and len(cent):
        c = cent.set_index("group")
        gap_key = next((g for g in c.index if str(g).startswith("gap")), None)
        ctx["centricity"] = {
            "rows": _records(cent[~cent["group"].astype(str).str.startswith("gap")]),
            "gap": c.loc[gap_key].to_dict() if gap_key else None,
            "method": str(cent["method"].iloc[0]) if "method" in cent else "",
            "svg": charts.centricity_chart(cent),
        }

    # job and enabler themes
    quotes = _quotes(run_dir)
    job_t = themes[themes["kind"] == "job"] if themes is not None and len(themes) else None
    en_t = themes[themes["kind"] == "enabler"] if themes is not None and len(themes) else None
    opp_by = opp.set_index("theme_id") if opp is not None and len(opp) else None
    ctx["job_themes"] = [_theme_card(t, quotes, opp_by) for t in _records(job_t.sort_values("n_records", ascending=False))] if job_t is not None else []
    ctx["enabler_themes"] = [_theme_card(t, quotes, None) for t in _records(en_t.sort_values("n_records", ascending=False))] if en_t is not None else []
    if opp is not None and len(opp):
        ctx["opportunity"] = {"rows": _records(opp), "basis": str(opp["basis"].iloc[0]), "svg": charts.opportunity_chart(opp),
                              "underserved": int(opp["underserved"].sum()), "overserved": int(opp["overserved"].sum())}
    if en_t is not None and len(en_t):
        ctx["polarity_svg"] = charts.polarity_chart(en_t.sort_values("n_records", ascending=False))

    # customer value
    if vprio is not None and len(vprio):
        ctx["value"] = {"jobs": _records(vprio[vprio["kind"] == "job"].sort_values("value_share", ascending=False)),
                        "enablers": _records(vprio[vprio["kind"] == "enabler"].sort_values("value_share", ascending=False))}
        if vtiers is not None and len(vtiers):
            piv = vtiers.pivot_table(index=["theme_id", "label", "kind"], columns="tier", values="share_of_tier", aggfunc="first").reset_index()
            tiers = [t for t in ("top 20%", "middle", "bottom 20%") if t in piv.columns]
            if "top 20%" in piv and "bottom 20%" in piv:
                piv["top_minus_bottom"] = piv["top 20%"].fillna(0) - piv["bottom 20%"].fillna(0)
                piv = piv.sort_values("top_minus_bottom", ascending=False)
            ctx["value"]["tiers"] = tiers
            ctx["value"]["tier_rows"] = _records(piv)
        if upc is not None and len(upc):
            ctx["value"]["up_and_comers"] = _records(upc.sort_values("lift", ascending=False), 12)

    # score by theme
    if impact is not None and len(impact):
        imp = impact.sort_values("impact", key=lambda s: s.abs(), ascending=False)
        measure = str(imp["measure"].iloc[0])
        pct = measure.endswith("%")  # top-2-box is stored in percent already
        ctx["impact"] = {"rows": _records(imp), "measure": measure, "percent": pct,
                         "svg": charts.interval_chart(imp.assign(name=imp["theme_id"] + " " + imp["label"].astype(str)),
                                                      value="score_with", low="ci_low", high="ci_high", label="name",
                                                      reference=head.get("score"),
                                                      xlabel=f"{measure} of the theme's records (95% CI); dashed: overall")}
    if by_group is not None and len(by_group):
        ctx["by_group"] = {g: _records(d) for g, d in by_group.groupby("group_by", sort=False)}

    if audit is not None and len(audit):
        ctx["audit"] = _records(audit)

    if trends is not None and len(trends):
        ctx["trends"] = {"jobs_svg": charts.trend_chart(trends, kind="job") if (trends["kind"] == "job").any() else None,
                         "enablers_svg": charts.trend_chart(trends, kind="enabler") if (trends["kind"] == "enabler").any() else None,
                         "emerging": _records(trends[trends["emerging"]].drop_duplicates("theme_id")[["theme_id", "kind", "label", "slope"]])}
    if channels is not None and len(channels):
        top = channels.groupby("theme_id")["records"].sum().nlargest(15).index
        piv = channels[channels["theme_id"].isin(top)].pivot_table(index=["theme_id", "label"], columns="channel", values="share",
                                                                      aggfunc="first").reset_index()
        chans = [c for c in piv.columns if c not in ("theme_id", "label")]
        ns = channels.drop_duplicates("channel").set_index("channel")["n"].to_dict()
        piv["_total"] = piv["theme_id"].map(channels.groupby("theme_id")["records"].sum())
        ctx["channels"] = {"channels": [{"name": c, "n": int(ns.get(c, 0)), "small": int(ns.get(c, 0)) < min_n} for c in chans],
                           "rows": _records(piv.sort_values("_total", ascending=False))}

    ctx["made"] = _how_made(manifest, run_dir)
    return ctx


def _scale_note(head: dict) -> str | None:
    if not head.get("measure"):
        return None
    scale = head.get("scale")
    try:
        import ast

        scale = ast.literal_eval(scale) if isinstance(scale, str) else scale
    except (ValueError, SyntaxError):
        scale = None
    what = "NPS: % promoters (9–10) − % detractors (0–6)" if head["measure"] == "NPS" else f"{head['measure']}: share of answers in the two best boxes"
    if isinstance(scale, dict):
        direction = str(scale.get("direction", "")).replace("_", " ")
        what += f"; scale {scale.get('min')}–{scale.get('max')} ({scale.get('kind')}, {direction})"
    if head.get("score_method"):
        what += f"; interval: {head['score_method']}"
    return what + "."


def _quotes(run_dir: Path) -> dict:
    """Up to QUOTES_PER_THEME verbatims per theme (most similar first, one per record), read a row group at a time."""
    import pandas as pd

    cols = ["theme_id", "similarity", "record_id", "start", "end", "text"]
    path = run_dir / "theme_assignments.parquet"
    if path.exists():
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        batches = (pf.read_row_group(i, columns=cols).to_pandas() for i in range(pf.num_row_groups))
    else:
        from .runs import read_run_table

        a = read_run_table(run_dir, "theme_assignments", required=False, columns=cols)
        batches = iter([] if a is None else [a])

    def best(a):
        a = a[a["theme_id"].notna() & (a["theme_id"] != "outlier")]
        a = a.sort_values(["theme_id", "similarity", "record_id", "start"], ascending=[True, False, True, True], kind="stable")
        return a.drop_duplicates(["theme_id", "record_id"]).groupby("theme_id", sort=False).head(QUOTES_PER_THEME)

    kept = None
    for batch in batches:
        kept = best(batch if kept is None else pd.concat([kept, batch], ignore_index=True))
    if kept is None or not len(kept):
        return {}
    kept = best(kept)
    return {str(tid): [{"record_id": str(r["record_id"]), "start": int(r["start"]), "end": int(r["end"]), "text": str(r["text"])}
                       for r in g.to_dict("records")] for tid, g in kept.groupby("theme_id", sort=False)}


def _theme_card(t: dict, quotes: dict, opp_by) -> dict:
    reps = [q for q in _json_list(t.get("representatives")) if isinstance(q, dict)]
    seen = {(q.get("record_id"), q.get("start")) for q in reps}
    more = [q for q in quotes.get(str(t["theme_id"]), []) if (q["record_id"], q["start"]) not in seen]
    card = {**t, "keywords": [str(k) for k in _json_list(t.get("keywords"))],
            "statements": [str(s) for s in _json_list(t.get("statements"))],
            "outcomes": [{k: o.get(k) for k in ("statement", "metric", "n_units", "n_records")}
                         for o in _json_list(t.get("outcomes")) if isinstance(o, dict) and o.get("statement")],
            "quotes": (reps + more)[:QUOTES_PER_THEME], "small": (t.get("n_records") or 0) < 30}
    if opp_by is not None and t["theme_id"] in opp_by.index:
        o = opp_by.loc[t["theme_id"]]
        card.update(opportunity=o["opportunity"], importance=o["importance"], satisfaction=o["satisfaction"],
                    underserved=bool(o["underserved"]), overserved=bool(o["overserved"]))
    return card


def _how_made(manifest: dict, run_dir: Path) -> dict:
    models = manifest.get("models", {})
    emb = models.get("embedding", {})
    themes = models.get("themes", {})
    extraction = models.get("extraction", {})
    rows = [("jtbd", manifest.get("jtbd_version")), ("command", "jtbd " + " ".join(map(str, manifest.get("argv", [])))),
            ("started", manifest.get("started_at")), ("finished", manifest.get("finished_at")),
            ("embedding model", f"{emb.get('model_id')} ({emb.get('backend')}, {emb.get('device')})" if emb else None),
            ("solicitation", _short(models.get("solicitation"))),
            ("outcome classifier", _short((extraction.get("models") or extraction).get("outcome_model") if isinstance(extraction, dict) else None)),
            ("seed", manifest.get("seeds", {}).get("seed")),
            ("minimum confidence", _unsure_line(manifest)),
            ("small-sample rule", f"figures from fewer than {manifest.get('metrics', {}).get('min_n', 30)} records are flagged ⚠")]
    for kind, info in themes.items():
        if isinstance(info, dict):
            fit = info.get("fit", {}) if isinstance(info.get("fit"), dict) else {}
            rows.append((f"{kind} themes", f"{info.get('n_themes')} themes from {info.get('units_themed')} units; method {info.get('method')}"
                         + (f"; fitted on {fit.get('units_fitted')}" if fit.get("units_fitted") else "")
                         + ("; reused from cache" if fit.get("cached") else "")))
    counts = manifest.get("counts", {})
    skipped = (manifest.get("load") or {}).get("skipped") or {}
    return {"rows": [(a, str(b)) for a, b in rows if b not in (None, "", "None")],
            "inputs": manifest.get("inputs", []), "counts": counts, "skipped": skipped,
            "timings": manifest.get("timings", {}), "versions": manifest.get("versions", {}),
            "roles": (manifest.get("load") or {}).get("roles", {}), "run_dir": str(run_dir)}


def _unsure_line(manifest: dict) -> str | None:
    """How many units fell below ``--min-confidence`` and were left out (None when no minimum was set)."""
    floor = ((manifest.get("config") or {}).get("extract") or {}).get("min_confidence") or 0
    if not floor:
        return None
    counts = manifest.get("counts", {})
    n, total = int(counts.get("unsure_units", 0)), int(counts.get("units", 0) or 0)
    share = f" ({100 * n / total:.1f}%)" if total else ""
    return (f"{n:,} of {total:,} units{share} were below the minimum confidence {floor:g}: labelled 'unsure' and left out of "
            "statements, themes and measures")


def _short(info) -> str | None:
    if not isinstance(info, dict):
        return None if info is None else str(info)
    keep = [f"{k}: {info[k]}" for k in ("name", "path", "model", "mode", "classes", "params", "training_data") if k in info]
    return "; ".join(keep)[:400] if keep else json.dumps(info, default=str)[:400]


# ---------------------------------------------------------------------- render
def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATE_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["svg"] = _safe_svg
    return env


def _safe_svg(svg: str | None):
    """Mark a chart from :mod:`jtbd.charts` safe to inline (it holds no script or link: checked)."""
    import markupsafe

    if not svg:
        return ""
    low = svg.lower()
    if "<script" in low or "javascript:" in low or "href=\"http" in low or "onload=" in low:
        raise ValueError("chart SVG holds active content")  # matplotlib escapes text: this is a guard, never expected
    return markupsafe.Markup(svg)


def render_report(run_dir: str | Path) -> str:
    """The report of a run folder, as an HTML string."""
    ctx = report_context(run_dir)
    env = _env()
    script = (_TEMPLATE_DIR / "report.js").read_text(encoding="utf-8")
    style = (_TEMPLATE_DIR / "report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")
    import markupsafe

    return env.get_template("report.html.j2").render(**ctx, csp=csp, script=markupsafe.Markup(script),
                                                     style=markupsafe.Markup(style),
                                                     generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def build_report(run_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Write ``report.html`` (or ``out``) for a run folder of ``jtbd analyze``; returns its path."""
    run_dir = Path(run_dir)
    html = render_report(run_dir)
    target = Path(out) if out else run_dir / "report.html"
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(target)  # a reader never sees half a report
    return target


def export_tables(run_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Every table of a run folder in one Excel workbook, cells that could run as formulas neutralised."""
    import pandas as pd

    from .runs import neutralise_formulas, read_run_table

    run_dir = Path(run_dir)
    target = Path(out) if out else run_dir / "tables.xlsx"
    names = sorted({p.stem for p in run_dir.iterdir() if p.suffix in (".parquet", ".csv")})
    if not names:
        raise UsageError("E222", f"'{run_dir}' holds no tables", fix="pass the --out folder of a jtbd command")
    with pd.ExcelWriter(target, engine="openpyxl") as xw:
        for name in names:
            df = read_run_table(run_dir, name)
            for col in df.columns:  # Excel has no list/dict cells
                if df[col].dtype == object:
                    df[col] = df[col].map(lambda v: json.dumps(v, default=str) if isinstance(v, (list, dict)) else v)
            neutralise_formulas(df).to_excel(xw, sheet_name=name[:31], index=False)
    return target


def screenshot(html: str | Path, png: str | Path, *, width: int = 1280, max_height: int = 14000) -> dict:
    """Open ``html`` in headless Chromium, save a full-page screenshot, return what the browser saw.

    Needs the ``selenium`` package and Chromium with its driver (Debian: ``apt-get install
    chromium chromium-driver``). Returns ``{"console": [...], "requests": [...], "title": str,
    "height": int}``: the console messages and every URL the page asked for.
    """
    import shutil

    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise UsageError("E223", "screenshots need the selenium package", fix="pip install selenium") from None
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_bin = shutil.which("chromedriver")
    if not browser or not driver_bin:
        raise UsageError("E224", "screenshots need Chromium and chromedriver", fix="apt-get install chromium chromium-driver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},900",
                "--hide-scrollbars", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_bin), options=opts)
    try:
        url = Path(html).resolve().as_uri()
        driver.get(url)
        height = int(driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)"))
        driver.set_window_size(width, min(height + 100, max_height))
        driver.save_screenshot(str(png))
        console = [{"level": e.get("level"), "message": e.get("message")} for e in driver.get_log("browser")]
        requests = []
        for e in driver.get_log("performance"):
            msg = json.loads(e["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                requests.append(msg["params"]["request"]["url"])
        return {"console": console, "requests": requests, "title": driver.title, "height": height, "url": url}
    finally:
        driver.quit()
