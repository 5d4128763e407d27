"""Mask personal data in feedback text before any later stage sees it.

Masked, each with a placeholder that keeps the sentence readable: e-mail addresses
(``[EMAIL]``), payment card numbers that pass the Luhn check (``[CARD]``), IBANs,
UK sort code + account pairs and long digit runs (``[ACCOUNT]``), phone numbers
(``[PHONE]``), UK postcodes and US ZIP+4 codes (``[POSTCODE]``), and @handles
(``[HANDLE]``). Redaction is pattern-based: it errs towards masking, and does not
find names or street addresses.

Example:
    >>> from jtbd.redact import redact_text
    >>> redact_text("Call me on 07700 900123 or mail jo@example.com, @jo_b")
    'Call me on [PHONE] or mail [EMAIL], [HANDLE]'
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["redact_text", "redact_series", "redact_frame", "PLACEHOLDERS"]

PLACEHOLDERS = ("[EMAIL]", "[CARD]", "[ACCOUNT]", "[PHONE]", "[POSTCODE]", "[HANDLE]")

_LOCAL = r"[A-Za-z0-9._%+'!#$&*=?^`{|}~-]+"
_EMAIL = re.compile(r"(?<![\w.'%+-])" + _LOCAL + r"(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")  # also URL-encoded (%40)
_CARD = re.compile(r"(?<![\d.-])(?:\d[ .-]?){12,18}\d(?![\d-]|\.\d)")
_IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SORT_ACCOUNT = re.compile(r"\b\d{2}-\d{2}-\d{2}\b(?:[ ,/]*\d{6,8}\b)?")
_ACCOUNT_WORD = re.compile(r"(?i)\b(?:account|acct|a/c|acc|policy|member(?:ship)?|customer|reference|ref)(?:\s*(?:no\.?|number|num|#))?\s*[:#]?\s*([A-Z]{0,3}\d[\dA-Z-]{5,})\b")
_LONG_DIGITS = re.compile(r"(?<![\d.,£$€])\d{8,}(?![\d.,])")
_PHONE = re.compile(
    r"(?<![\w+#/.-])(?:"
    r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"  # +44 20 7946 0958, +1 (555) 123-4567
    r"|\(?0\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"  # 07700 900123, (020) 7946 0958
    r"|\(\d{3}\)\s?\d{3}[\s.-]\d{4}|\d{3}[\s.-]\d{3}[\s.-]\d{4}"  # (555) 123-4567, 555-123-4567
    r")(?![\w-]|\.\d)"
)
_UK_POSTCODE = re.compile(r"(?i)\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
_ZIP4 = re.compile(r"\b\d{5}-\d{4}\b")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{1,30}\b")
# numbers that are not personal data, kept as they are: ISBNs with a valid check digit, and
# the numbers of orders, invoices, tickets, bookings, flights, parcels and the like
_ISBN = re.compile(r"(?i)(?<![\w-])(?:ISBN(?:-1[03])?:?\s*)?(?:97[89][- ]?)?\d{1,5}[- ]?\d{1,7}[- ]?\d{1,7}[- ]?[\dX](?![\w-])")
_DOCUMENT_NUMBER = re.compile(
    r"(?i)\b(?:order|invoice|inv|receipt|ticket|booking|reservation|confirmation|tracking|parcel|shipment|flight|case|"
    r"item|sku|product|model|serial|version|isbn)s?(?:\s*(?:no\.?|number|num|id|ref))?\s*[:#]?\s*#?\s*[A-Z]{0,4}\d[\dA-Z/-]*"
)
_KEEP = "\ue000{}\ue001"
_KEPT = re.compile("\ue000(\\d+)\ue001")


def _is_isbn(text: str) -> bool:
    from stdnum import isbn

    number = re.sub(r"(?i)^ISBN(?:-1[03])?:?\s*", "", text)
    return len(re.sub(r"[^\dXx]", "", number)) in (10, 13) and isbn.is_valid(number)


def _luhn(digits: str) -> bool:
    from stdnum import luhn

    return luhn.is_valid(digits)


def _iban_repl(counts: Counter | None):
    from stdnum import iban

    def repl(m: re.Match) -> str:
        text = m.group(0)
        tokens = text.split(" ")
        for n in range(len(tokens), 0, -1):  # lower case may take a word after the IBAN along
            head = " ".join(tokens[:n])
            if len(head.replace(" ", "")) >= 15 and iban.is_valid(head):
                if counts is not None:
                    counts["[ACCOUNT]"] += 1
                return "[ACCOUNT]" + text[len(head):]
        if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9 ]{11,}", text):  # IBAN-shaped in capitals: mask (errs towards masking)
            if counts is not None:
                counts["[ACCOUNT]"] += 1
            return "[ACCOUNT]"
        return text

    return repl


def redact_text(text: str, counts: Counter | None = None) -> str:
    """Return ``text`` with personal data masked; tally what was masked into ``counts``."""
    if not text:
        return text
    kept: list[str] = []

    def keep(m: re.Match) -> str:
        kept.append(m.group(0))
        return _KEEP.format(len(kept) - 1)

    def sub(pattern: re.Pattern, label: str, value: str, check=None, group: int | None = None) -> str:
        def repl(m: re.Match) -> str:
            if check is not None and not check(m.group(0)):
                return m.group(0)
            if counts is not None:
                counts[label] += 1
            if group is not None:
                return m.group(0)[: m.start(group) - m.start(0)] + label
            return label

        return pattern.sub(repl, value)

    out = sub(_EMAIL, "[EMAIL]", text)
    out = _ISBN.sub(lambda m: keep(m) if _is_isbn(m.group(0)) else m.group(0), out)
    out = _DOCUMENT_NUMBER.sub(keep, out)
    out = sub(_CARD, "[CARD]", out, check=lambda s: 13 <= len(d := re.sub(r"\D", "", s)) <= 19 and _luhn(d))
    out = _IBAN.sub(_iban_repl(counts), out)
    out = sub(_SORT_ACCOUNT, "[ACCOUNT]", out)
    out = sub(_ACCOUNT_WORD, "[ACCOUNT]", out, group=1)
    out = sub(_ZIP4, "[POSTCODE]", out)
    out = sub(_PHONE, "[PHONE]", out, check=lambda s: len(re.sub(r"\D", "", s)) >= 9)
    out = sub(_LONG_DIGITS, "[ACCOUNT]", out)
    out = sub(_UK_POSTCODE, "[POSTCODE]", out)
    out = sub(_HANDLE, "[HANDLE]", out)
    return _KEPT.sub(lambda m: kept[int(m.group(1))], out) if kept else out


def redact_series(series) -> tuple[object, dict[str, int]]:
    """Redact every string of a pandas Series; return ``(new_series, counts_by_placeholder)``."""
    counts: Counter = Counter()
    out = series.map(lambda t: redact_text(t, counts) if isinstance(t, str) else t)
    return out, dict(counts)


#: Columns that identify rows: personal data in them is replaced by a pseudonym, so they still join and count.
ID_COLUMNS = ("record_id", "respondent_id", "customer_id")
_NAMED = [
    (re.compile(r"(?i)(^|[\W_])(e-?mail|mail)([\W_]|$)"), "[EMAIL]"),
    (re.compile(r"(?i)(^|[\W_])(phone|mobile|cell|tel|telephone|fax|whatsapp)([\W_]|$)"), "[PHONE]"),
    (re.compile(r"(?i)(^|[\W_])(iban|card|account number|sort code|bank)([\W_]|$)"), "[ACCOUNT]"),
    (re.compile(r"(?i)(^|[\W_])(post ?code|zip|zip ?code|address)([\W_]|$)"), "[POSTCODE]"),
]
_SALT = None


def _pseudonym(value: str, label: str) -> str:
    """``[EMAIL]-3f9a1c0b2d``: the same value gives the same pseudonym within a process, never the value."""
    import hashlib
    import os

    global _SALT
    if _SALT is None:
        _SALT = os.urandom(16)
    return f"{label}-{hashlib.blake2b(value.encode('utf-8', 'surrogatepass'), key=_SALT, digest_size=5).hexdigest()}"


def redact_frame(df, *, skip: tuple[str, ...] = ("source_file", "source_row")):
    """Redact every column of a records table; return ``(new_frame, counts_by_placeholder)``.

    Text columns are masked pattern by pattern, as :func:`redact_text`; a column named like
    an e-mail, phone, account or address column is masked whole; in id columns
    (:data:`ID_COLUMNS`) a value holding personal data is replaced by a pseudonym.
    """
    import pandas as pd

    out = df.copy()
    counts: Counter = Counter()
    for col in out.columns:
        if col in skip:
            continue
        series = out[col]
        named = next((label for pattern, label in _NAMED if pattern.search(str(col))), None)
        if named and col not in ID_COLUMNS and col != "text":
            filled = series.notna() & (series.astype("string").str.strip().fillna("") != "")
            counts[named] += int(filled.sum())
            out[col] = series.astype(object).where(~filled, named)
            continue
        if not (series.dtype == object or pd.api.types.is_string_dtype(series)):
            continue
        if col in ID_COLUMNS:
            def pseudo(v):
                if not isinstance(v, str):
                    return v
                found: Counter = Counter()
                redact_text(v, found)
                if not found:
                    return v
                counts.update(found)
                return _pseudonym(v, next(iter(found)))

            out[col] = series.map(pseudo)
        else:
            out[col] = series.map(lambda t: redact_text(t, counts) if isinstance(t, str) else t)
    return out, dict(counts)
