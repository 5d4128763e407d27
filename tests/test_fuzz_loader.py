"""Fuzzing the loader (issue 16): random bytes, CSV dialects, encodings and cells never crash it.

Whatever the file, `jtbd inspect` exits 0 (read) or 1 (bad data) with a coded line, never
E900, and the rows it read are accounted for: rows read = kept + skipped.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CELL = st.one_of(
    st.just(""),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FFF, exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(["\x00", "\r", "\n", '"', "'", "=1+1", "\x1b]0;x\x07", "NA", "null", "  ", "\t-2", "😀", "é"]),
    st.text(alphabet="abc def ghi,;|\t\"'\r\n", max_size=60),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
DELIMS = st.sampled_from([",", ";", "\t", "|"])
QUOTING = st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])


def _check(runner, path):
    from jtbd.cli import cli

    res = runner.invoke(cli, ["inspect", str(path), "--json"], obj={})
    assert res.exit_code in (0, 1, 2), (res.exit_code, res.output, res.exception)
    assert "E900" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    if res.exit_code == 0:
        info = json.loads(res.stdout)
        assert info["rows_read"] == info["rows_kept"] + sum(info["skipped"].values())
        assert info["rows_kept"] >= 0
    else:
        assert res.output.startswith("Error: E") or "Error: E" in res.output, res.output


@pytest.fixture(scope="module")
def runner():
    from click.testing import CliRunner

    return CliRunner()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), ext=st.sampled_from([".csv", ".tsv", ".json", ".jsonl", ".txt"]))
def test_random_bytes(runner, tmp_path_factory, data, ext):
    path = tmp_path_factory.mktemp("fuzz") / f"f{ext}"
    path.write_bytes(data)
    _check(runner, path)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=8), delim=DELIMS, quoting=QUOTING,
       encoding=ENCODINGS, header=st.booleans())
def test_random_csv(runner, tmp_path_factory, rows, delim, quoting, encoding, header):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delim, quoting=quoting, lineterminator="\r\n")
    if header:
        writer.writerow(["id", "text", "channel", "score", "notes"][: max(len(r) for r in rows)])
    for row in rows:
        writer.writerow(row)
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    _check(runner, path)
