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

__all__ = ["redact_text", "redact_series", "PLACEHOLDERS"]

PLACEHOLDERS = ("[EMAIL]", "[CARD]", "[ACCOUNT]", "[PHONE]", "[POSTCODE]", "[HANDLE]")

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SORT_ACCOUNT = re.compile(r"\b\d{2}-\d{2}-\d{2}\b(?:[ ,/]*\d{6,8}\b)?")
_ACCOUNT_WORD = re.compile(r"(?i)\b(?:account|acct|a/c|acc|policy|member(?:ship)?|customer|reference|ref)(?:\s*(?:no\.?|number|num|#))?\s*[:#]?\s*([A-Z]{0,3}\d[\dA-Z-]{5,})\b")
_LONG_DIGITS = re.compile(r"(?<![\d.,£$€])\d{8,}(?![\d.,])")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+?\d{1,3}[\s.-]?\(?\d{1,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"  # +44 20 7946 0958, +1 (555) 123-4567
    r"|\(?0\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"  # 07700 900123, (020) 7946 0958
    r"|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}"  # 555-123-4567
    r")(?!\w)"
)
_UK_POSTCODE = re.compile(r"(?i)\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
_ZIP4 = re.compile(r"\b\d{5}-\d{4}\b")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{1,30}\b")


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def redact_text(text: str, counts: Counter | None = None) -> str:
    """Return ``text`` with personal data masked; tally what was masked into ``counts``."""
    if not text:
        return text

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
    out = sub(_CARD, "[CARD]", out, check=lambda s: 13 <= len(d := re.sub(r"\D", "", s)) <= 19 and _luhn(d))
    out = sub(_IBAN, "[ACCOUNT]", out)
    out = sub(_SORT_ACCOUNT, "[ACCOUNT]", out)
    out = sub(_ACCOUNT_WORD, "[ACCOUNT]", out, group=1)
    out = sub(_ZIP4, "[POSTCODE]", out)
    out = sub(_PHONE, "[PHONE]", out, check=lambda s: len(re.sub(r"\D", "", s)) >= 9)
    out = sub(_LONG_DIGITS, "[ACCOUNT]", out)
    out = sub(_UK_POSTCODE, "[POSTCODE]", out)
    out = sub(_HANDLE, "[HANDLE]", out)
    return out


def redact_series(series) -> tuple[object, dict[str, int]]:
    """Redact every string of a pandas Series; return ``(new_series, counts_by_placeholder)``."""
    counts: Counter = Counter()
    out = series.map(lambda t: redact_text(t, counts) if isinstance(t, str) else t)
    return out, dict(counts)
