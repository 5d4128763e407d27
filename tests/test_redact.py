"""Redaction masks personal data before any later stage sees the text."""

from __future__ import annotations

import pandas as pd
import pytest

import jtbd
from jtbd.redact import redact_text


@pytest.mark.parametrize("text,expected", [
    ("email me at jo.bloggs+test@example.co.uk please", "email me at [EMAIL] please"),
    ("my card 4111 1111 1111 1111 was charged", "my card [CARD] was charged"),
    ("ring 07700 900123 or +44 20 7946 0958", "ring [PHONE] or [PHONE]"),
    ("call (555) 123-4567 now", "call [PHONE] now"),
    ("sort code 12-34-56 account 12345678", "sort code [ACCOUNT] account [ACCOUNT]"),
    ("Account number: 99887766554 is wrong", "Account number: [ACCOUNT] is wrong"),
    ("I live at SW1A 1AA and they never came", "I live at [POSTCODE] and they never came"),
    ("ship to 90210-1234 asap", "ship to [POSTCODE] asap"),
    ("@SkyLarkAir where is my bag", "[HANDLE] where is my bag"),
    ("IBAN GB82 WEST 1234 5698 7654 32 refunded", "IBAN [ACCOUNT] refunded"),
])
def test_personal_data_is_masked(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "I paid £1,250.00 on 12/03/2024 for 3 nights",
    "Waited 45 minutes at gate 12 for flight 1234",
    "The 2nd time this year, 10/10 would not recommend",
])
def test_ordinary_numbers_are_left_alone(text):
    assert redact_text(text) == text


def test_invalid_card_numbers_are_not_cards():
    assert "[CARD]" not in redact_text("ref 4111 1111 1111 1112 here")


def test_load_feedback_redacts_and_reports_it():
    df = pd.DataFrame({"comment": ["Contact me on jo@example.com about my refund", "Great staff and quick service"]})
    loaded = jtbd.load_feedback(df, redact=True)
    assert loaded.records["text"].iloc[0] == "Contact me on [EMAIL] about my refund"
    assert loaded.info["redaction"] == {"enabled": True, "masked": {"[EMAIL]": 1}}
    assert jtbd.load_feedback(df).info["redaction"] is None
