"""Infer what each column of a feedback dump is for: text, id, date, score, channel, ...

Inference looks at the column name and at a sample of its values (how long, how
wordy, how numeric, how repetitive). Every role can be overridden; an override
naming a column that does not exist is an error with the closest names.

Example:
    >>> import pandas as pd
    >>> from jtbd.columns import infer_roles
    >>> df = pd.DataFrame({"id": ["a", "b"], "comment": ["Staff were lovely and kind", "Parking was awful, took ages"]})
    >>> infer_roles(df).roles["text"]
    'comment'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import DataError, UsageError

__all__ = ["ROLES", "RoleInference", "infer_roles", "parse_dates", "infer_scale", "is_question_like"]

#: Roles a column can play, in the order they are inferred.
ROLES = ("text", "id", "date", "score", "channel", "question", "customer_id", "customer_value")

_TEXT_NAMES = re.compile(
    r"\b(text|comments?|feedback|reviews?|review ?text|verbatims?|answers?|body|narratives?|messages?|tweets?|"
    r"descriptions?|content|responses?|complaints?|story|stories|opinions?|remarks?|notes?|free ?text|open ?ended|why|reason|suggestions?|improve)\b"
)
_TEXT_BAD_NAMES = re.compile(r"\b(clean(ed)?|processed|normali[sz]ed|lemma\w*|tokens?|stemmed|lower(ed|case)?)\b")
_NOT_TEXT_NAMES = re.compile(r"\b(url|link|email|e mail|ip|address|coord\w*|location|timezone|time zone|user ?agent|handle|username|name|author|city|state|country|zip|postcode|phone)\b")
_ID_STRONG = re.compile(r"\b(record|comment|response|review|ticket|complaint|tweet|message|case|feedback|survey response|submission|row|entry|post|_)\s?id\b|^_?id$|^uuid$|^guid$|^key$|\bresponse ?id\b")
_ID_WEAK = re.compile(r"(^|\s)(id|uuid|guid|key|ref|reference|no|number)$|^id\s")
_DATE_NAMES = re.compile(r"\b(date|time|timestamp|created|submitted|received|posted|recorded|updated|day|datetime|when|start ?date|end ?date)\b|_at$|^dt$")
_DATE_PREFERRED = re.compile(r"\b(received|created|submitted|posted|recorded|response date|survey date|feedback date)\b|^date$|_at$")
_SCORE_NAMES = re.compile(
    r"\b(score|scores|rating|ratings|stars?|nps|recommend\w*|likelihood|ltr|satisfaction|satisfied|csat|ces|effort|fft|rate|grade|"
    r"categorical answer|overall|likert)\b|rating|stars"
)
_SCORE_BAD_NAMES = re.compile(r"\b(count|length|len|words?|chars?|confidence|prob\w*|id|year|age|criticality|sentiment|label|code)\b")
_CHANNEL_NAMES = re.compile(r"\b(channel|source|medium|platform|via|submitted via|origin|touchpoint|collector|network|site|outlet|media)\b")
_QUESTION_NAMES = re.compile(r"\b(question|questions|prompt|item|survey question|asked)\b")
_CUSTOMER_NAMES = re.compile(
    r"\b(customer|client|user|member|account|respondent|author|reviewer|username|user ?name|screen ?name|patient|contact|"
    r"subscriber|guest|passenger|student|policy ?holder|consumer)\b"
)
_CUSTOMER_BAD = re.compile(r"\b(value|revenue|spend|ltv|clv|type|tier|segment|age|gender|location|timezone|email|since|date)\b")
_CUSTOMER_SINGLE = {
    "author", "reviewer", "username", "user name", "user", "customer", "client", "member", "respondent", "account",
    "patient", "guest", "passenger", "subscriber", "consumer", "contact", "screen name", "screenname", "handle",
}
_VALUE_NAMES = re.compile(r"\b(value|revenue|spend|spending|ltv|clv|cltv|lifetime|arr|mrr|annual|worth|sales|profit|margin|wallet)\b")
_VALUE_PREV = re.compile(r"\b(prev|previous|prior|last|old|before|baseline)\b|_prev$|_last$|py$")

_QUESTION_START = re.compile(
    r"^(what|how|why|where|when|which|who|whom|whose|is|are|was|were|do|does|did|would|could|can|should|will|have|has|had|"
    r"any|anything|please|tell|describe|explain|if|in what|overall|comments?|suggestions?|other comments)\b",
    re.I,
)


def _norm(name: Any) -> str:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return re.sub(r"[^a-z0-9?]+", " ", text.lower()).strip()


def is_question_like(header: str) -> bool:
    """True when a column header reads like a question or an open prompt put to respondents."""
    h = str(header).strip()
    if len(h.split()) < 2:
        return False
    return h.endswith("?") or bool(_QUESTION_START.match(h))


@dataclass
class ColumnProfile:
    """Summary statistics of one column, computed on a sample."""

    name: str
    norm: str
    fill: float  # share of non-empty values
    numeric: float  # share of non-empty values that parse as numbers
    integer: bool
    vmin: float | None
    vmax: float | None
    mean_len: float
    word_frac: float  # share of non-empty values with 3+ words
    unique_ratio: float  # distinct / non-empty
    n_unique: int
    n_nonempty: int
    is_datetime: bool = False


def profile_column(name: str, series) -> ColumnProfile:
    """Profile a pandas Series (values may be strings or native types)."""
    import numpy as np
    import pandas as pd

    n = len(series)
    is_dt = pd.api.types.is_datetime64_any_dtype(series)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.dropna()
        num = pd.to_numeric(values, errors="coerce")
        strings = values.astype(str)
    else:
        raw = series.dropna()
        strings = raw.astype(str).str.strip()
        strings = strings[strings != ""]
        values = strings
        num = pd.to_numeric(strings.str.replace(",", "", regex=False), errors="coerce") if len(strings) else pd.Series([], dtype=float)
    k = len(values)
    numeric = float(num.notna().mean()) if k else 0.0
    nums = num.dropna()
    integer = bool(len(nums) and np.all(np.isclose(nums, np.round(nums))))
    lengths = strings.str.len() if k else pd.Series([], dtype=float)
    words = strings.str.count(r"\S+") if k else pd.Series([], dtype=float)
    n_unique = int(values.nunique()) if k else 0
    return ColumnProfile(
        name=name,
        norm=_norm(name),
        fill=k / n if n else 0.0,
        numeric=numeric,
        integer=integer,
        vmin=float(nums.min()) if len(nums) else None,
        vmax=float(nums.max()) if len(nums) else None,
        mean_len=float(lengths.mean()) if k else 0.0,
        word_frac=float((words >= 3).mean()) if k else 0.0,
        unique_ratio=n_unique / k if k else 0.0,
        n_unique=n_unique,
        n_nonempty=k,
        is_datetime=is_dt,
    )


# --------------------------------------------------------------------------- dates

_DATE_FORMATS = [
    "ISO8601",
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y",
    "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%Y/%m/%d",
    "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p",
    "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y",
    "%a %b %d %H:%M:%S %z %Y",
]
_DOT_TIME = re.compile(r"(\d{1,2})\.(\d{2})$")


def parse_dates(series, *, sample: int = 300):
    """Parse a column of dates given in one consistent format.

    The format is chosen on a sample from a list of common layouts (ISO 8601,
    day-first and month-first with ``/``, ``-`` or ``.``, month names, times with
    ``:`` or ``.``) and applied to the whole column; values that do not parse become
    ``NaT``. Day-first wins over month-first when both fit the sample equally.

    Returns:
        ``(parsed_series, format_used)``; ``format_used`` is ``None`` when nothing fits.
    """
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series):
        return series, "native"
    strings = series.astype("string").str.strip()
    strings = strings.str.replace(_DOT_TIME, r"\1:\2", regex=True)
    nonempty = strings.dropna()
    nonempty = nonempty[nonempty != ""]
    if nonempty.empty:
        return pd.Series(pd.NaT, index=series.index), None
    probe = nonempty.sample(min(sample, len(nonempty)), random_state=0) if len(nonempty) > sample else nonempty
    best, best_rate = None, 0.0
    for fmt in _DATE_FORMATS:
        try:
            parsed = pd.to_datetime(probe, format=fmt, errors="coerce", utc=fmt.endswith("%Y") and "%z" in fmt)
        except (ValueError, TypeError):
            continue
        rate = float(parsed.notna().mean())
        if rate > best_rate + 1e-9:
            best, best_rate = fmt, rate
    if best is None or best_rate < 0.8:
        return pd.Series(pd.NaT, index=series.index), None
    parsed = pd.to_datetime(strings, format=best, errors="coerce", utc="%z" in best)
    if "%z" in best or getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed, best


# --------------------------------------------------------------------------- scores

_SCALES = [(1, 5), (0, 5), (1, 7), (0, 10), (1, 10), (0, 100)]  # tightest first


def infer_scale(name: str, vmin: float, vmax: float) -> dict:
    """Name the rating scale of a score column from its name and observed range.

    Returns a dict with ``min``, ``max``, ``kind`` (``nps``, ``fft``, ``csat``,
    ``stars``, ``likert`` or ``rating``) and ``direction`` (``higher_is_better``, or
    ``lower_is_better`` for the NHS Friends and Family Test's 1 = very good).
    """
    norm = _norm(name)
    lo, hi = next(((a, b) for a, b in _SCALES if a <= vmin and vmax <= b), (vmin, vmax))
    if re.search(r"\b(nps|recommend\w*|ltr|likelihood)\b", norm) and vmin >= 0 and vmax <= 10:
        lo, hi, kind = 0, 10, "nps"
    elif "fft" in norm or "friends and family" in norm:
        # NHS Friends and Family Test: 1 very good .. 5 very poor; 6 "don't know" is no score
        lo, hi, kind = 1, 5, "fft"
    elif re.search(r"\bstars?\b|stars", norm):
        kind = "stars"
    elif re.search(r"\b(csat|satisf\w*)\b", norm):
        kind = "csat"
    elif re.search(r"\blikert\b", norm):
        kind = "likert"
    else:
        kind = "rating"
    direction = "lower_is_better" if kind == "fft" else "higher_is_better"
    return {"min": lo, "max": hi, "kind": kind, "direction": direction, "out_of_scale_values": int(vmin < lo) + int(vmax > hi) > 0}


# --------------------------------------------------------------------------- roles


@dataclass
class RoleInference:
    """The result of :func:`infer_roles`."""

    roles: dict[str, str | None]
    profiles: dict[str, ColumnProfile]
    text_candidates: list[str] = field(default_factory=list)
    open_text_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    score_scale: dict | None = None
    date_format: str | None = None


def _text_score(p: ColumnProfile) -> float:
    import math

    if p.numeric > 0.5 or p.fill < 0.05 or p.is_datetime or p.n_nonempty == 0:
        return 0.0
    if p.mean_len < 8 and p.word_frac < 0.2:
        return 0.0
    score = math.log1p(p.mean_len) * (0.3 + p.word_frac) * (0.5 + p.fill)
    if p.unique_ratio < 0.3 and p.n_nonempty > 20:
        score *= 0.2  # repeated values: a category or a question, not free text
    if _TEXT_NAMES.search(p.norm):
        score *= 1.6
    if _TEXT_BAD_NAMES.search(p.norm):
        score *= 0.5
    if _NOT_TEXT_NAMES.search(p.norm) and not _TEXT_NAMES.search(p.norm):
        score *= 0.3
    if re.search(r"\bid\b", p.norm):
        score *= 0.1
    return score


def _is_text_like(p: ColumnProfile) -> bool:
    return _text_score(p) > 0 and p.word_frac >= 0.3 and p.unique_ratio >= 0.3


def _check_column(df, role: str, col: str) -> str:
    if col in df.columns:
        return col
    names = [str(c) for c in df.columns]
    lowered = {n.lower(): n for n in names}
    if col.lower() in lowered:
        return lowered[col.lower()]
    close = difflib.get_close_matches(col, names, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    flag = "--" + role.replace("_id", "").replace("customer_value", "value").replace("_", "-") + "-col"
    raise UsageError("E210", f"{flag} names column '{col}', which is not in the data{hint}", fix=f"use one of the columns: {', '.join(names[:30])}")


_FLAGS = {"text": "text-col", "id": "id-col", "date": "date-col", "score": "score-col", "channel": "channel-col",
          "question": "question-col", "customer_id": "customer-col", "customer_value": "value-col"}


def infer_roles(df, *, overrides: Mapping[str, str | None] | None = None, sample: int = 3000, require_text: bool = True,
                source: str = "the data") -> RoleInference:
    """Infer the role of each column of ``df``.

    Args:
        df: The raw table (one row per input row, original column names).
        overrides: ``{role: column}`` chosen by the user; they win over inference.
        sample: Rows profiled (a seeded sample when the table is larger).
        require_text: Raise when no text column is found.
        source: Name used in messages.

    Raises:
        UsageError: an override names a missing column.
        DataError: no text column could be found (the message lists candidates).
    """
    absent = {k for k, v in (overrides or {}).items() if v is False}  # False: "this role has no column" (no inference)
    overrides = {k: v for k, v in (overrides or {}).items() if v}
    part = df.sample(sample, random_state=0) if len(df) > sample else df
    profiles = {str(c): profile_column(str(c), part[c]) for c in df.columns}
    roles: dict[str, str | None] = {r: None for r in ROLES}
    used: set[str] = set()
    notes: list[str] = []
    for role, col in overrides.items():
        if role not in roles:
            raise UsageError("E211", f"unknown column role '{role}'", fix=f"use one of: {', '.join(ROLES)}")
        roles[role] = _check_column(df, role, col)
        other = next((r for r in overrides if r != role and roles.get(r) == roles[role]), None)
        if other is not None:
            raise UsageError("E218", f"--{_FLAGS.get(other, other)} and --{_FLAGS.get(role, role)} both name column '{roles[role]}'",
                             fix="give each role its own column (omit one of the options to let it be inferred)")
        used.add(roles[role])

    ranked = sorted(((s, c) for c, p in profiles.items() if (s := _text_score(p)) > 0), reverse=True)
    text_candidates = [c for _, c in ranked]
    open_text = [c for c in text_candidates if _is_text_like(profiles[c])]
    if roles["text"] is None:
        free = [c for c in text_candidates if c not in used]
        if free:
            roles["text"] = free[0]
            used.add(free[0])
        elif require_text:
            by_len = sorted(profiles.values(), key=lambda p: -p.mean_len)
            cands = [p.name for p in by_len if p.numeric < 0.5 and p.n_nonempty][:5]
            raise DataError(
                "E102",
                f"no free-text column found in {source} (columns with the longest values: {', '.join(repr(c) for c in cands) or 'none'})",
                fix="name the column that holds the feedback with --text-col NAME",
            )

    order = {c: i for i, c in enumerate(profiles)}

    def pick(role: str, candidates: list[tuple[float, str]]) -> None:
        if roles[role] is not None or role in absent:
            return
        for _, col in sorted(candidates, key=lambda t: (-t[0], order[t[1]])):
            if col not in used:
                roles[role] = col
                used.add(col)
                return

    # id: unique, (nearly) always filled, named like an id
    cands = []
    for c, p in profiles.items():
        if c in used or p.fill < 0.99:
            continue
        strong, weak = bool(_ID_STRONG.search(p.norm)), bool(_ID_WEAK.search(p.norm))
        if not (strong or weak) or _CUSTOMER_NAMES.search(p.norm) and not strong:
            continue
        full_unique = df[c].nunique(dropna=True) == len(df)
        if not full_unique:
            if strong and len(df) > 1:
                notes.append(f"column '{c}' looks like a record id but repeats values (a spreadsheet may have rounded it); ids were generated instead")
            continue
        cands.append((2.0 if strong else 1.0, c))
    pick("id", cands)

    # date
    cands = []
    date_formats: dict[str, str | None] = {}
    for c, p in profiles.items():
        if c in used or p.fill < 0.3:
            continue
        named = bool(_DATE_NAMES.search(p.norm))
        if not (named or p.is_datetime):
            continue
        if p.numeric > 0.9 and not p.is_datetime:
            continue
        parsed, fmt = parse_dates(part[c])
        if fmt is None:
            continue
        rate = float(parsed.notna().sum()) / max(1, p.n_nonempty)
        if rate < 0.8:
            continue
        date_formats[c] = fmt
        cands.append((1.0 + (1.0 if _DATE_PREFERRED.search(p.norm) else 0.0) - (0.5 if re.search(r"\b(end|sent|updated|closed)\b", p.norm) else 0.0), c))
    pick("date", cands)

    # score: numeric, integer, on a rating scale, named like a score
    cands = []
    for c, p in profiles.items():
        if c in used or p.numeric < 0.9 or not p.integer or p.vmin is None or p.n_nonempty == 0:
            continue
        if not _SCORE_NAMES.search(p.norm) or _SCORE_BAD_NAMES.search(p.norm):
            continue
        if p.vmin < 0 or p.vmax > 10:
            continue
        cands.append((2.0 if re.search(r"\b(nps|recommend\w*|ltr|likelihood)\b", p.norm) else 1.0, c))
    pick("score", cands)

    # channel: a low-cardinality string column named like a channel
    cands = []
    for c, p in profiles.items():
        if c in used or p.numeric > 0.5 or not _CHANNEL_NAMES.search(p.norm) or p.norm in ("source file", "source row"):
            continue
        if p.n_unique <= 60 and (p.unique_ratio <= 0.2 or p.n_unique <= 12):
            cands.append((1.0, c))
    pick("channel", cands)

    # question: repeated prompts
    cands = []
    for c, p in profiles.items():
        if c in used or p.numeric > 0.5 or not _QUESTION_NAMES.search(p.norm):
            continue
        if p.unique_ratio <= 0.5 or p.n_unique <= 50:
            cands.append((1.0, c))
    pick("question", cands)

    # customer id
    cands = []
    for c, p in profiles.items():
        if c in used or not _CUSTOMER_NAMES.search(p.norm) or _CUSTOMER_BAD.search(p.norm) or p.fill < 0.05:
            continue
        if not (re.search(r"\b(id|ref|number|no|code|key|name|handle)\b", p.norm) or p.norm in _CUSTOMER_SINGLE):
            continue
        if p.mean_len > 60 or p.norm.endswith("?") or p.numeric > 0.9 and not p.integer:
            continue
        if p.n_unique < 2 or (p.unique_ratio < 0.02 and p.n_unique < 20):
            continue  # a flag or a category, not an identifier
        cands.append((2.0 if re.search(r"\b(id|ref|number|no|code)\b", p.norm) else 1.0, c))
    pick("customer_id", cands)

    # customer value: numeric, named like money/value
    cands = []
    for c, p in profiles.items():
        if c in used or p.numeric < 0.9 or not _VALUE_NAMES.search(p.norm):
            continue
        cands.append((0.5 if _VALUE_PREV.search(p.norm) else 1.0 + (0.5 if "customer" in p.norm else 0.0), c))
    pick("customer_value", cands)

    scale = None
    if roles["score"] is not None:
        num = _numeric(df[roles["score"]])
        if num.notna().any():
            scale = infer_scale(roles["score"], float(num.min()), float(num.max()))
    return RoleInference(
        roles=roles,
        profiles=profiles,
        text_candidates=text_candidates,
        open_text_columns=open_text,
        notes=notes,
        score_scale=scale,
        date_format=date_formats.get(roles["date"]) if roles["date"] else None,
    )


def _numeric(series):
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce")
    return pd.to_numeric(series.astype("string").str.strip().str.replace(",", "", regex=False), errors="coerce")


numeric = _numeric
