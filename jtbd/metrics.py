"""The measures that make themes actionable: pure functions over tidy tables.

Nothing here loads a model. Every table keeps ``n`` (records behind the figure) and a
``small_sample`` flag when ``n`` is below ``min_n`` (default 30): such a figure is shown
with that warning, never as if it were solid.

Scores:
    * **NPS** from a 0-10 score: promoters 9-10, passives 7-8, detractors 0-6;
      NPS = %promoters - %detractors. Its 95% interval is the Wald interval of a
      difference of two multinomial proportions: var = (p + d - (p - d)^2) / n.
    * **Top-2-box** for other scales (1-5 CSAT, NHS FFT where 1 = very good): the share
      of answers in the two best categories, with a Wilson interval; the direction
      (higher or lower is better) comes from the loader's ``score_scale``.

Opportunity (Outcome-Driven Innovation): ``importance + max(importance - satisfaction, 0)``
on 0-10 scales; underserved at >= 10, overserved when satisfaction > importance.

Example:
    >>> from jtbd.metrics import nps, opportunity
    >>> round(nps([10, 9, 8, 6, 0])["nps"], 1)
    0.0
    >>> opportunity(8, 3)
    13.0
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

__all__ = ["nps", "top_box", "wilson", "score_summary", "opportunity", "centricity", "group_scores", "theme_impact",
           "opportunity_table", "value_tables", "theme_trends", "record_themes", "MIN_N"]

MIN_N = 30
Z95 = 1.959963984540054


def _clean(scores: Iterable) -> list[float]:
    out = []
    for s in scores:
        try:
            v = float(s)
        except (TypeError, ValueError):
            continue
        if not math.isnan(v):
            out.append(v)
    return out


def nps(scores: Iterable, *, z: float = Z95) -> dict:
    """Net Promoter Score of 0-10 scores (non-numbers and NaN ignored), with its interval.

    Returns:
        ``{"n", "promoters", "passives", "detractors", "nps", "ci_low", "ci_high", "method"}``;
        shares in 0-1, NPS and its interval in points (-100..100). ``nps`` is NaN when ``n`` is 0.
    """
    s = _clean(scores)
    n = len(s)
    method = "Wald interval for a difference of multinomial proportions"
    if n == 0:
        nan = float("nan")
        return {"n": 0, "promoters": nan, "passives": nan, "detractors": nan, "nps": nan, "ci_low": nan, "ci_high": nan, "method": method}
    p = sum(v >= 9 for v in s) / n
    d = sum(v <= 6 for v in s) / n
    value = p - d
    se = math.sqrt(max(p + d - value ** 2, 0.0) / n)
    return {"n": n, "promoters": p, "passives": 1 - p - d, "detractors": d, "nps": 100 * value,
            "ci_low": 100 * max(value - z * se, -1.0), "ci_high": 100 * min(value + z * se, 1.0), "method": method}


def wilson(k: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def top_box(scores: Iterable, *, scale_min: float, scale_max: float, direction: str = "higher_is_better", boxes: int = 2) -> dict:
    """Share of answers in the ``boxes`` best categories of a scale, with a Wilson interval.

    Args:
        direction: ``"higher_is_better"`` (CSAT 1-5: 4 and 5 are the top two) or
            ``"lower_is_better"`` (NHS FFT: 1 very good, 2 good).
    """
    if direction not in ("higher_is_better", "lower_is_better"):
        from .errors import UsageError

        raise UsageError("E701", f"unknown scale direction '{direction}'", fix="use higher_is_better or lower_is_better")
    s = [v for v in _clean(scores) if scale_min <= v <= scale_max]
    n = len(s)
    if direction == "higher_is_better":
        k = sum(v > scale_max - boxes for v in s)
    else:
        k = sum(v < scale_min + boxes for v in s)
    lo, hi = wilson(k, n)
    return {"n": n, "top_box": (k / n) if n else float("nan"), "ci_low": lo, "ci_high": hi, "boxes": boxes,
            "direction": direction, "method": "Wilson score interval"}


def score_summary(scores: Iterable, scale: dict | None) -> dict:
    """NPS for a 0-10 ``nps`` scale, else top-2-box: ``{"measure", "value", "ci_low", "ci_high", "n"}``."""
    scale = scale or {}
    if scale.get("kind") == "nps" or (scale.get("min") == 0 and scale.get("max") == 10):
        r = nps(scores)
        return {"measure": "NPS", "value": r["nps"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": r["n"],
                "method": r["method"]}
    lo, hi = scale.get("min", 1), scale.get("max", 5)
    r = top_box(scores, scale_min=lo, scale_max=hi, direction=scale.get("direction") or "higher_is_better")
    return {"measure": "top-2-box %", "value": 100 * r["top_box"], "ci_low": 100 * r["ci_low"], "ci_high": 100 * r["ci_high"],
            "n": r["n"], "method": r["method"]}


def opportunity(importance, satisfaction):
    """ODI opportunity score ``importance + max(importance - satisfaction, 0)`` (scalars or arrays, 0-10)."""
    import numpy as np

    imp = np.asarray(importance, dtype=float)
    sat = np.asarray(satisfaction, dtype=float)
    out = imp + np.maximum(imp - sat, 0.0)
    return float(out) if out.ndim == 0 else out


def _flag(df, min_n: int):
    df["small_sample"] = df["n"] < min_n
    return df


def record_themes(assignments) -> Any:
    """Distinct (record_id, theme_id, kind) pairs: a record raises a theme when any of its units is in it."""
    a = assignments[assignments["theme"] >= 0] if "theme" in assignments.columns else assignments
    return a[["record_id", "theme_id", "kind"]].drop_duplicates().reset_index(drop=True)


def group_scores(records, by: str, scale: dict | None, *, min_n: int = MIN_N):
    """Score (NPS or top-2-box) per value of the column ``by`` of ``records`` (which has ``score``)."""
    import pandas as pd

    rows = []
    for g, sub in records.groupby(by, dropna=True, sort=True):
        r = score_summary(sub["score"], scale)
        if r["n"]:
            rows.append({"group_by": by, "group": str(g), **r})
    df = pd.DataFrame(rows, columns=["group_by", "group", "measure", "value", "ci_low", "ci_high", "n", "method"])
    return _flag(df, min_n)


def theme_impact(records, rthemes, themes, scale: dict | None, *, min_n: int = MIN_N):
    """Score of the records raising each theme vs those that do not, and the theme's pull on the overall score.

    ``impact`` = overall score - score without the theme's records (how much the theme moves
    the headline figure; negative: it drags it down). The interval of ``difference`` (with vs
    without) treats the two groups as independent samples.
    """
    import pandas as pd

    scored = records[records["score"].notna()]
    overall = score_summary(scored["score"], scale)
    rows = []
    for _, t in themes.iterrows():
        ids = set(rthemes.loc[rthemes["theme_id"] == t["theme_id"], "record_id"])
        inside = scored[scored["record_id"].isin(ids)]
        outside = scored[~scored["record_id"].isin(ids)]
        a, b = score_summary(inside["score"], scale), score_summary(outside["score"], scale)
        if not a["n"]:
            continue
        se = _se(a) ** 2 + _se(b) ** 2
        diff = a["value"] - b["value"]
        rows.append({"theme_id": t["theme_id"], "kind": t["kind"], "label": t["label"], "measure": a["measure"], "n": a["n"],
                     "score_with": a["value"], "ci_low": a["ci_low"], "ci_high": a["ci_high"], "n_without": b["n"],
                     "score_without": b["value"], "difference": diff, "difference_ci_low": diff - Z95 * math.sqrt(se),
                     "difference_ci_high": diff + Z95 * math.sqrt(se), "impact": overall["value"] - b["value"]})
    df = pd.DataFrame(rows, columns=["theme_id", "kind", "label", "measure", "n", "score_with", "ci_low", "ci_high", "n_without",
                                     "score_without", "difference", "difference_ci_low", "difference_ci_high", "impact"])
    df = df.sort_values("impact", key=lambda s: s.abs(), ascending=False, kind="stable").reset_index(drop=True)
    return _flag(df, min_n)


def _se(r: dict) -> float:
    if not r["n"] or r["ci_high"] != r["ci_high"]:
        return 0.0
    return (r["ci_high"] - r["ci_low"]) / (2 * Z95)


def opportunity_table(themes, *, ratings=None, min_n: int = MIN_N):
    """Opportunity per job theme: from ratings when given, else the text proxy (always labelled).

    Args:
        themes: Job themes (``theme_id``, ``label``, ``record_share``, ``unmet_share``, ``n_records``).
        ratings: Optional DataFrame ``theme_id, importance, satisfaction`` (0-10 means of the
            dump's own ratings per outcome).

    The proxy: importance = 10 x the theme's record share relative to the most-raised job
    theme; satisfaction = 10 x the share of its mentions that are met (1 - unmet share).
    """
    import numpy as np
    import pandas as pd

    jobs = themes[themes["kind"] == "job"].copy()
    if ratings is not None and len(ratings):
        jobs = jobs.merge(ratings, on="theme_id", how="inner")
        jobs["basis"] = "ratings"
    else:
        top = jobs["record_share"].max() if len(jobs) else 0
        jobs["importance"] = 10 * jobs["record_share"] / top if top else np.nan
        jobs["satisfaction"] = 10 * (1 - jobs["unmet_share"].astype(float))
        jobs["basis"] = "text proxy"
    jobs["opportunity"] = opportunity(jobs["importance"].to_numpy(), jobs["satisfaction"].to_numpy()) if len(jobs) else []
    jobs["underserved"] = jobs["opportunity"] >= 10
    jobs["overserved"] = jobs["satisfaction"] > jobs["importance"]
    out = jobs[["theme_id", "label", "n_records", "importance", "satisfaction", "opportunity", "underserved", "overserved", "basis"]]
    out = out.rename(columns={"n_records": "n"}).sort_values("opportunity", ascending=False, kind="stable").reset_index(drop=True)
    return _flag(out, min_n)


def centricity(units, *, by: str = "solicitation", n_boot: int = 1000, seed: int = 42, min_n: int = MIN_N):
    """Customer-centricity index: share of outcome units among outcome + enabler units, per side.

    ``both`` units count half to each. Intervals are percentile bootstraps over records
    (units of one record are not independent). The ``gap`` row is unsolicited - solicited.
    """
    import numpy as np
    import pandas as pd

    u = units[units["label"].isin(["outcome", "enabler", "both"])].copy()
    u["o"] = u["label"].map({"outcome": 1.0, "both": 0.5, "enabler": 0.0})
    rng = np.random.default_rng(seed)
    rows, boots = [], {}
    groups = list(u.groupby(by, sort=True)) if by in u.columns else []
    groups = [("all", u)] + groups
    for g, sub in groups:
        per = sub.groupby("record_id").agg(o=("o", "sum"), t=("o", "size"))
        n = len(per)
        if not n:
            continue
        o, t = per["o"].to_numpy(), per["t"].to_numpy()
        share = o.sum() / t.sum()
        bs = np.empty(n_boot)
        step = max(1, min(n_boot, 4_000_000 // n))  # resamples drawn a block at a time: memory stays bounded for a million records
        for b in range(0, n_boot, step):
            idx = rng.integers(0, n, size=(min(step, n_boot - b), n))
            bs[b:b + len(idx)] = o[idx].sum(axis=1) / t[idx].sum(axis=1)
        boots[str(g)] = bs
        rows.append({"group": str(g), "n": n, "units": int(t.sum()), "outcome_share": share, "enabler_share": 1 - share,
                     "ci_low": float(np.quantile(bs, 0.025)), "ci_high": float(np.quantile(bs, 0.975))})
    if "solicited" in boots and "unsolicited" in boots:
        a = {r["group"]: r for r in rows}
        gap = a["unsolicited"]["outcome_share"] - a["solicited"]["outcome_share"]
        diff = boots["unsolicited"] - boots["solicited"]
        rows.append({"group": "gap (unsolicited - solicited)", "n": min(a["unsolicited"]["n"], a["solicited"]["n"]), "units": None,
                     "outcome_share": gap, "enabler_share": None, "ci_low": float(np.quantile(diff, 0.025)),
                     "ci_high": float(np.quantile(diff, 0.975))})
    df = pd.DataFrame(rows, columns=["group", "n", "units", "outcome_share", "enabler_share", "ci_low", "ci_high"])
    df["method"] = f"percentile bootstrap over records ({n_boot} resamples, seed {seed}); 'both' counts half"
    return _flag(df, min_n)


def value_tables(records, rthemes, themes, *, min_n: int = MIN_N):
    """Customer-value views: value-weighted theme priority, value tiers, and up-and-comers.

    Needs ``customer_id`` and ``customer_value`` on records. A customer's value is their
    latest known value. Tiers: top 20% / middle / bottom 20% of customers by value.
    Rising customers ("up-and-comers"): value rose by at least 10% between their earliest
    and latest dated records, or against ``customer_value_prev`` when the dump has it.

    Returns:
        ``(priority, tiers, up_and_comers)`` DataFrames.
    """
    import numpy as np
    import pandas as pd

    r = records[records["customer_value"].notna() & records["customer_id"].notna()].copy()
    r["customer_value"] = pd.to_numeric(r["customer_value"], errors="coerce")
    r = r[r["customer_value"].notna()]
    sort_cols = ["customer_id"] + (["date"] if "date" in r.columns else [])
    r = r.sort_values(sort_cols, kind="stable")
    cust = r.groupby("customer_id").agg(value=("customer_value", "last"), first=("customer_value", "first"))
    if "customer_value_prev" in r.columns:
        prev = pd.to_numeric(r.groupby("customer_id")["customer_value_prev"].last(), errors="coerce")
        cust["first"] = prev.where(prev.notna(), cust["first"])
    total = cust["value"].sum()
    q20, q80 = cust["value"].quantile(0.2), cust["value"].quantile(0.8)
    cust["tier"] = np.where(cust["value"] >= q80, "top 20%", np.where(cust["value"] <= q20, "bottom 20%", "middle"))
    cust["rising"] = (cust["first"] > 0) & (cust["value"] >= 1.1 * cust["first"])
    rt = rthemes.merge(r[["record_id", "customer_id"]], on="record_id").drop_duplicates(["theme_id", "customer_id"])
    rt = rt.merge(cust, left_on="customer_id", right_index=True)
    labels = themes.set_index("theme_id")["label"]
    pri = rt.groupby(["theme_id", "kind"]).agg(n=("customer_id", "nunique"), value=("value", "sum")).reset_index()
    pri["value_share"] = pri["value"] / total if total else np.nan
    pri["customer_share"] = pri["n"] / len(cust) if len(cust) else np.nan
    pri["value_index"] = pri["value_share"] / pri["customer_share"]
    pri["label"] = pri["theme_id"].map(labels)
    pri = pri.sort_values("value_share", ascending=False, kind="stable").reset_index(drop=True)
    tiers_n = cust["tier"].value_counts()
    tiers = rt.groupby(["theme_id", "kind", "tier"]).customer_id.nunique().rename("n").reset_index()
    tiers["share_of_tier"] = tiers["n"] / tiers["tier"].map(tiers_n)
    tiers["label"] = tiers["theme_id"].map(labels)
    rising = rt[rt["rising"]]
    up = rising.groupby(["theme_id", "kind"]).customer_id.nunique().rename("n").reset_index()
    n_rising = int(cust["rising"].sum())
    up["share_of_rising"] = up["n"] / n_rising if n_rising else np.nan
    all_share = rt.groupby("theme_id").customer_id.nunique() / len(cust)
    up["share_of_all"] = up["theme_id"].map(all_share)
    up["lift"] = up["share_of_rising"] / up["share_of_all"]
    up["label"] = up["theme_id"].map(labels)
    up = up.sort_values(["lift", "n"], ascending=False, kind="stable").reset_index(drop=True)
    return _flag(pri, min_n), _flag(tiers, min_n), _flag(up, min_n)


def theme_trends(records, rthemes, themes, *, freq: str = "M", min_n: int = MIN_N, periods_for_trend: int = 3):
    """Share of records raising each theme per period (``M`` month, ``W`` week); themes rising fastest flagged emerging.

    ``slope`` is the least-squares change in share per period over the last ``periods_for_trend``
    periods; a theme is ``emerging`` when its slope is positive and among the top 3 of its kind.
    """
    import numpy as np
    import pandas as pd

    r = records[records["date"].notna()][["record_id", "date"]].copy()
    r["period"] = pd.to_datetime(r["date"], errors="coerce", utc=True).dt.tz_localize(None).dt.to_period(freq).astype(str)
    r = r[r["period"] != "NaT"]
    per_n = r.groupby("period").size()
    m = rthemes.merge(r, on="record_id")
    tab = m.groupby(["theme_id", "kind", "period"]).record_id.nunique().rename("records").reset_index()
    tab["n"] = tab["period"].map(per_n)
    tab["share"] = tab["records"] / tab["n"]
    periods = sorted(per_n.index)
    last = periods[-periods_for_trend:]
    slopes = {}
    for tid, g in tab.groupby("theme_id"):
        s = g.set_index("period")["share"].reindex(last).fillna(0).to_numpy()
        slopes[tid] = float(np.polyfit(np.arange(len(s)), s, 1)[0]) if len(s) >= 2 else 0.0
    tab["slope"] = tab["theme_id"].map(slopes)
    tab["label"] = tab["theme_id"].map(themes.set_index("theme_id")["label"])
    emerging = set()
    for kind, g in tab.drop_duplicates("theme_id").groupby("kind"):
        top = g[g["slope"] > 0].nlargest(3, "slope")["theme_id"]
        emerging |= set(top)
    tab["emerging"] = tab["theme_id"].isin(emerging)
    return _flag(tab.sort_values(["kind", "theme_id", "period"]).reset_index(drop=True), min_n)
