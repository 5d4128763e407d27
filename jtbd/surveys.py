"""Survey exports: platform header layouts and wide (one column per open question) tables.

Layouts recognised without flags:

* **Qualtrics** CSV/Excel exports carry three header rows: the column ids
  (``StartDate``, ``ResponseId``, ``Q1``, ``Q2_TEXT`` ...), the question text
  (``Start Date``, ``Response ID``, ``How likely are you to recommend ...?``) and the
  import ids as JSON (``{"ImportId":"QID2_TEXT"}``). Columns are named by the
  question text; the ids are kept in the manifest.
* **SurveyMonkey** exports carry two header rows: the question (written once above
  all of its sub-columns; metadata columns such as ``Respondent ID``,
  ``Collector ID``, ``Start Date`` have no second row) and the sub-answer
  (``Response``, ``Open-Ended Response``, or a choice label).
* **Generic wide** exports: one row per respondent, each open question a column whose
  header reads like a question ("What could we improve?"), with Likert or 0-10
  score columns beside them (e.g. course evaluations).

Wide tables are melted into one record per non-empty answer that keeps the question,
the respondent id and every other column of the respondent (their scores).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .columns import is_question_like

__all__ = ["Header", "detect_header", "unique_names", "choose_open_questions"]

_SM_META = {
    "respondent id", "collector id", "start date", "end date", "ip address", "email address",
    "first name", "last name", "custom data 1", "custom data", "custom variable 1",
}
_SM_OPEN_SUB = {"", "response", "open-ended response", "open ended response", "other (please specify)", "comment"}
_QUALTRICS_META_IDS = {
    "startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)", "finished", "recordeddate",
    "responseid", "recipientlastname", "recipientfirstname", "recipientemail", "externalreference", "externaldatareference",
    "locationlatitude", "locationlongitude", "distributionchannel", "userlanguage",
}


@dataclass
class Header:
    """How the header of a grid was read."""

    columns: list[str]
    n_rows: int = 1
    platform: str | None = None  # "qualtrics" | "surveymonkey" | None
    questions: dict[str, str] = field(default_factory=dict)  # column -> question text
    column_ids: dict[str, str] = field(default_factory=dict)  # column -> platform column id / import id
    open_hint: set[str] = field(default_factory=set)  # columns the platform marks as open-ended


def unique_names(names: list[str]) -> list[str]:
    """Make column names non-empty and unique (``column_3``, ``name (2)``)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = re.sub(r"\s+", " ", str(raw)).strip() or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
            while name in seen:
                name += "'"
        seen.setdefault(name, 1)
        out.append(name)
    return out


def _import_id(cell: str) -> str | None:
    cell = cell.strip()
    if not (cell.startswith("{") and "importid" in cell.lower()):
        return None
    try:
        obj = json.loads(cell)
    except json.JSONDecodeError:
        match = re.search(r'ImportId"?\s*:\s*"([^"]+)"', cell, re.I)
        return match.group(1) if match else None
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key.lower() == "importid":
                return str(value)
    return None


def _is_qualtrics(rows: list[list[str]]) -> bool:
    if len(rows) < 3:
        return False
    cells = [c for c in rows[2] if c.strip()]
    return bool(cells) and sum(_import_id(c) is not None for c in cells) / len(cells) >= 0.5


def _is_surveymonkey(rows: list[list[str]]) -> bool:
    if len(rows) < 2:
        return False
    first = [c.strip().lower() for c in rows[0]]
    if "respondent id" not in first or not ({"collector id", "start date", "end date"} & set(first)):
        return False
    second = [c.strip().lower() for c in rows[1]]
    idx = first.index("respondent id")
    # the second header row is blank under the metadata columns and names sub-answers elsewhere
    return idx < len(second) and second[idx] == "" and any(second)


def detect_header(rows: list[list[str]]) -> Header:
    """Read the header row(s) of a grid: Qualtrics (3 rows), SurveyMonkey (2) or plain (1)."""
    if not rows:
        return Header(columns=[])
    width = max(len(r) for r in rows[:50])
    pad = lambda r: list(r) + [""] * (width - len(r))  # noqa: E731
    if _is_qualtrics(rows):
        ids, texts, imports = pad(rows[0]), pad(rows[1]), pad(rows[2])
        names = unique_names([t.strip() or i for t, i in zip(texts, ids)])
        header = Header(columns=names, n_rows=3, platform="qualtrics")
        for name, col_id, text, imp in zip(names, ids, texts, imports):
            import_id = _import_id(imp) or ""
            header.column_ids[name] = f"{col_id} ({import_id})" if import_id and import_id != col_id else col_id
            is_question = import_id.upper().startswith("QID") or (col_id.lower() not in _QUALTRICS_META_IDS and bool(col_id))
            if is_question and text.strip():
                header.questions[name] = re.sub(r"\s+-\s+(Text|Open-Ended Response)\s*$", "", text.strip())
            if import_id.upper().endswith("_TEXT"):
                header.open_hint.add(name)
        return header
    if _is_surveymonkey(rows):
        top, sub = pad(rows[0]), pad(rows[1])
        names, questions, current = [], [], ""
        for q, s in zip(top, sub):
            q, s = q.strip(), s.strip()
            if q:
                current = q
            question = q or current
            if s.lower() in _SM_OPEN_SUB or not s:
                names.append(question)
            else:
                names.append(f"{question} - {s}")
            questions.append(question)
        names = unique_names(names)
        header = Header(columns=names, n_rows=2, platform="surveymonkey")
        for name, question, s in zip(names, questions, sub):
            if question.lower() in _SM_META:
                continue
            header.questions[name] = question
            if s.strip().lower() in {"open-ended response", "open ended response", "response", "other (please specify)"}:
                header.open_hint.add(name)
        return header
    first = list(rows[0])
    while first and not first[-1].strip():
        first.pop()
    body = [len(r) for r in rows[1:201]]
    longer = [n for n in body if n > len(first)]
    if body and len(longer) >= 0.8 * len(body):
        # a header that names fewer columns than nearly every row has: keep the extra columns
        first += [""] * (max(set(longer), key=longer.count) - len(first))
    return Header(columns=unique_names(first), n_rows=1)


def choose_open_questions(header: Header, inference, *, layout: str) -> list[str]:
    """Columns to melt as open questions, or ``[]`` for a long (one record per row) table.

    Args:
        header: How the header was read.
        inference: :class:`jtbd.columns.RoleInference` over all columns.
        layout: ``"auto"``, ``"long"`` or ``"wide"``.
    """
    if layout == "long":
        return []
    text_like = list(inference.open_text_columns)
    if header.platform:
        cols = [c for c in text_like if c in header.questions and c not in _platform_meta(header, c)]
        hinted = [c for c in header.open_hint if c in inference.profiles and inference.profiles[c].n_nonempty and inference.profiles[c].numeric < 0.5]
        cols = list(dict.fromkeys(cols + [c for c in hinted if inference.profiles[c].word_frac >= 0.1]))
        return [c for c in header.columns if c in cols]
    if layout == "wide":
        return [c for c in header.columns if c in text_like]
    # Generic exports: open questions are columns headed by a question whose answers are
    # free text. A sparse one ("Any other comments") counts when another one is clearly text.
    profiles = inference.profiles
    questionish = [
        c for c in header.columns
        if is_question_like(c) and c in profiles and profiles[c].n_nonempty and profiles[c].numeric < 0.5
        and (c in text_like or (profiles[c].unique_ratio >= 0.5 and profiles[c].mean_len >= 3))
    ]
    if sum(c in text_like for c in questionish) >= 1 and len(questionish) >= 2:
        return questionish
    if questionish == [inference.roles.get("text")]:
        return questionish
    return []


def _platform_meta(header: Header, col: str) -> set[str]:
    q = header.questions.get(col, "").lower()
    return {col} if q in _SM_META else set()
