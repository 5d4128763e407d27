"""Static charts for the report: matplotlib figures rendered to inline SVG strings.

Every function takes tidy tables (the run folder's metric tables) and returns an SVG
document as a string, with text kept as text (searchable, printable) and no scripts,
external fonts or links. Matplotlib escapes every text it writes into the SVG, so labels
built from customer text cannot inject markup; math text is switched off so a ``$`` in a
label prints as a dollar sign. Charts are deterministic (fixed hash salt, no date).

matplotlib is imported lazily, with the non-interactive Agg backend.
"""

from __future__ import annotations

import io
import math
import re
import textwrap

__all__ = ["centricity_chart", "opportunity_chart", "interval_chart", "trend_chart", "polarity_chart"]

INK = "#1f2933"
MUTED = "#7b8794"
OUTCOME = "#1f77b4"
ENABLER = "#e07b00"
GOOD = "#2f8f46"
BAD = "#c23b22"
_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "jtbd",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "sans-serif"],
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.titlesize": 10,
}


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _svg(fig) -> str:
    plt = _plt()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML declaration and DOCTYPE: the SVG is inlined in HTML
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)  # RDF block: namespaces only, no content
    # scalable: keep the viewBox, let CSS set the width
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', text, count=1)
    return text.replace("<svg", '<svg role="img" class="chart"', 1)


def _wrap(label: str, width: int = 38, lines: int = 2) -> str:
    parts = textwrap.wrap(str(label), width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1] + "…"
    return "\n".join(parts)


def centricity_chart(centricity) -> str:
    """Outcome vs enabler share per solicitation side (stacked bars, outcome share interval)."""
    plt = _plt()
    rows = centricity[~centricity["group"].astype(str).str.startswith("gap")]
    order = [g for g in ("solicited", "unsolicited", "all") if g in set(rows["group"])]
    rows = rows.set_index("group").loc[order]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 0.55 * len(rows) + 0.9))
        y = list(range(len(rows)))[::-1]
        o = rows["outcome_share"].astype(float).to_numpy() * 100
        ax.barh(y, o, color=OUTCOME, height=0.55, label="outcomes (customer's world)")
        ax.barh(y, 100 - o, left=o, color=ENABLER, height=0.55, alpha=0.85, label="enablers (company's world)")
        lo = rows["ci_low"].astype(float).to_numpy() * 100
        hi = rows["ci_high"].astype(float).to_numpy() * 100
        ax.errorbar(o, y, xerr=[o - lo, hi - o], fmt="none", ecolor=INK, capsize=3, lw=1)
        for yi, v, n in zip(y, o, rows["n"]):
            ax.text(1.5, yi, f"{v:.1f}% outcomes", va="center", ha="left", color="white", fontsize=9, fontweight="bold")
            ax.text(101, yi, f"n={int(n):,} records", va="center", ha="left", color=MUTED, fontsize=8)
        ax.set_yticks(y, [str(g) for g in rows.index])
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of outcome + enabler units (%)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(rows) > 1 else -0.6), ncol=2, frameon=False)
        return _svg(fig)


def opportunity_chart(opportunity, *, label_top: int = 12) -> str:
    """Importance vs satisfaction per job theme, the underserved zone (opportunity >= 10) shaded."""
    import numpy as np

    plt = _plt()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 5.2))
        imp = np.linspace(0, 10, 201)
        # opportunity = imp + max(imp - sat, 0) >= 10  <=>  sat <= 2 imp - 10 (for imp >= 5)
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        ax.fill_between(imp, 0, np.clip(2 * imp - 10, 0, 10), color=BAD, alpha=0.10, lw=0)
        ax.plot(imp, imp, color=MUTED, lw=0.8, ls="--")
        handles = [Patch(color=BAD, alpha=0.15, label="underserved zone (opportunity ≥ 10)"),
                   Line2D([], [], color=MUTED, ls="--", lw=0.8, label="satisfaction = importance (above: overserved)")]
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=1, frameon=False, fontsize=8)
        d = opportunity.dropna(subset=["importance", "satisfaction"])
        small = d["small_sample"].astype(bool) if "small_sample" in d else np.zeros(len(d), bool)
        sizes = 20 + 180 * d["n"].astype(float) / max(float(d["n"].max()), 1.0) if len(d) else []
        colors = [BAD if u else OUTCOME for u in d["underserved"].astype(bool)] if len(d) else []
        ax.scatter(d["importance"], d["satisfaction"], s=sizes, c=colors, alpha=np.where(small, 0.35, 0.8),
                   edgecolors="white", linewidths=0.6, zorder=3)
        for _, r in d.sort_values("opportunity", ascending=False).head(label_top).iterrows():
            ax.annotate(str(r["theme_id"]), (r["importance"], r["satisfaction"]), xytext=(4, 3), textcoords="offset points",
                        fontsize=8, color=INK)
        ax.set_xlim(0, 10.4)
        ax.set_ylim(0, 10.4)
        ax.set_xlabel("importance (0–10)")
        ax.set_ylabel("satisfaction (0–10)")
        return _svg(fig)


def interval_chart(df, *, value: str, low: str, high: str, label: str, reference: float | None = None,
                   xlabel: str = "", max_rows: int = 15, percent: bool = False) -> str:
    """One row per item: a dot at ``value`` and a line from ``low`` to ``high`` (forest plot)."""
    plt = _plt()
    d = df.head(max_rows).iloc[::-1]
    k = 100.0 if percent else 1.0
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(d) + 0.9))
        y = list(range(len(d)))
        v = d[value].astype(float).to_numpy() * k
        lo = d[low].astype(float).to_numpy() * k
        hi = d[high].astype(float).to_numpy() * k
        small = d["small_sample"].astype(bool).to_numpy() if "small_sample" in d else [False] * len(d)
        for yi, a, b, c, s in zip(y, lo, hi, v, small):
            if not (math.isnan(a) or math.isnan(b)):
                ax.plot([a, b], [yi, yi], color=MUTED if s else INK, lw=1.2)
            ax.plot([c], [yi], "o", color=MUTED if s else OUTCOME, ms=5)
        if reference is not None and not math.isnan(reference):
            ax.axvline(reference * k, color=BAD, lw=0.8, ls="--")
        ax.set_yticks(y, [_wrap(t, 44, 1) for t in d[label]])
        ax.set_xlabel(xlabel)
        ax.set_ylim(-0.7, len(d) - 0.3)
        return _svg(fig)


def trend_chart(trends, *, kind: str = "job", top: int = 6) -> str:
    """Monthly (or weekly) share of records raising the most-raised themes of one kind."""
    plt = _plt()
    t = trends[trends["kind"] == kind]
    keep = t.groupby("theme_id")["records"].sum().nlargest(top).index
    t = t[t["theme_id"].isin(keep)]
    periods = sorted(t["period"].astype(str).unique())
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        for tid, g in t.groupby("theme_id", sort=False):
            s = g.set_index("period")["share"].reindex(periods).fillna(0) * 100
            emerging = bool(g["emerging"].any()) if "emerging" in g else False
            lab = f"{tid} {_wrap(g['label'].iloc[0], 46, 1)}" + (" (emerging)" if emerging else "")
            ax.plot(range(len(periods)), s.to_numpy(), marker="o", ms=3, lw=2.2 if emerging else 1.2, label=lab)
        step = max(1, len(periods) // 10)
        ax.set_xticks(range(0, len(periods), step), periods[::step], rotation=30, ha="right")
        ax.set_ylabel("% of the period's records")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
        return _svg(fig)


def polarity_chart(enablers, *, max_rows: int = 15) -> str:
    """Enabler themes: share of their units that are negative (red) vs not (green), by size."""
    plt = _plt()
    d = enablers.head(max_rows).iloc[::-1]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(d) + 0.9))
        y = list(range(len(d)))
        neg = d["unmet_share"].astype(float).fillna(0).to_numpy() * 100
        ax.barh(y, neg, color=BAD, height=0.6, label="negative")
        ax.barh(y, 100 - neg, left=neg, color=GOOD, height=0.6, alpha=0.75, label="neutral or positive")
        ax.set_yticks(y, [_wrap(f"{a} {b}", 44, 1) for a, b in zip(d["theme_id"], d["label"])])
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of the theme's units (%)")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        return _svg(fig)
