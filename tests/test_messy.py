"""Messy real dumps (issue 16): nothing crashes, nothing leaks, run folders never lie.

One test (or a small table of cases) per numbered case of the issue; the command that
reproduced each case is in its docstring.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------- 1. empty cells


@pytest.mark.parametrize("column, values", [
    ("channel", ["review", pd.NA, "survey"]),
    ("score", [5.0, pd.NA, 10.0]),
])
def test_solicitation_metadata_copes_with_empty_cells(column, values):
    """`jtbd -q analyze ec.csv` on a file with an empty channel cell crashed with E900 (NA is ambiguous)."""
    from jtbd.solicitation import SolicitationSplitter

    df = pd.DataFrame({"text": ["The app crashed", "Delivery took weeks", "Fine"]})
    df[column] = pd.array(values, dtype="string" if column == "channel" else "Float64")
    splitter = SolicitationSplitter(score_scale={"kind": "nps", "min": 0, "max": 10, "direction": "higher_is_better"})
    decision, evidence = splitter._metadata(df)
    assert decision[1] is None  # the empty cell decides nothing; the text model will
    assert decision[0] is not None


def test_load_records_with_empty_and_ragged_cells(tmp_path):
    """A short ragged row and an empty channel cell load as records with no channel."""
    import jtbd

    src = _write(tmp_path / "ec.csv", "record_id,text,channel\ne1,The app crashed when I paid,review\n"
                                      "e2,Delivery took three weeks,\ne3,Parking was a nightmare\n")
    loaded = jtbd.load_feedback(src)
    assert loaded.records["record_id"].tolist() == ["e1", "e2", "e3"]
    assert loaded.records["channel"].isna().tolist() == [False, True, True]


@pytest.mark.slow
def test_split_with_an_empty_channel_cell(invoke, tmp_path):
    """`jtbd -q split ec.csv -o out`: the run goes on, the empty cell is left to the text model."""
    _write(tmp_path / "ec.csv", "record_id,text,channel\ne1,The app crashed when I paid,review\ne2,Delivery took three weeks,\n")
    res = invoke("-q", "split", "ec.csv", "-o", "out")
    assert res.exit_code == 0, res.output
    recs = pd.read_parquet(tmp_path / "out" / "records.parquet")
    assert recs["solicitation_evidence"].str.contains("text model|channel").all()


# --------------------------------------------------------------------------- 2. CSV output


NASTY_CELLS = [
    "\r=1+1 the app crashed again",
    "line one\rline two",
    "line one\r\nline two\nthree",
    ' =HYPERLINK("http://x")',
    "\x07@SUM(A1)",
    "\t-2+3",
    "'=already quoted",
    "''=twice",
    "'tis a fine app",
    'she said "no", then left',
    "NA",
    "-",
    "plain text",
]


def test_csv_tables_quote_cr_and_neutralise_formulas_after_leading_controls(tmp_path):
    """`jtbd load --csv` on a cell "\\r=1+1 ..." wrote it unquoted: CSV readers saw an extra row starting "=1+1"."""
    import csv

    from jtbd.runs import RunFolder, read_run_table

    df = pd.DataFrame({"record_id": [f"r{i}" for i in range(len(NASTY_CELLS))], "text": NASTY_CELLS})
    run = RunFolder.create(tmp_path / "out", command="load", csv=True)
    run.write_table("records", df)
    run.finish()
    with open(tmp_path / "out" / "records.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 1 + len(NASTY_CELLS)  # no cell split into extra rows
    for row in rows[1:]:
        cell = row[1]
        stripped = cell.lstrip("".join(chr(c) for c in range(33)))
        assert not stripped.startswith(("=", "+", "-", "@")) or cell.startswith("'"), cell
        assert not cell.startswith(("\t", "\r")), cell
    # reading back gives the same rows
    back = read_run_table(tmp_path / "out", "records")
    assert back["text"].tolist() == NASTY_CELLS


@pytest.mark.parametrize("value", NASTY_CELLS + ["=cmd|' /C calc'!A0", "\u00a0+1", "@"])
def test_neutralise_formulas_round_trips(value):
    from jtbd.runs import neutralise_formulas, restore_formulas

    df = pd.DataFrame({value: [value]})
    out = neutralise_formulas(df)
    assert restore_formulas(out).columns.tolist() == [value]
    assert restore_formulas(out).iloc[0, 0] == value


def test_load_csv_with_cr_in_a_cell(invoke, tmp_path):
    """`jtbd load x.csv --csv -o out` with a multi-line cell holding a bare CR: one record per row, read back equal."""
    import csv

    _write(tmp_path / "x.csv", 'id,text\na1,"first line\rsecond =1+1"\na2,"\r=1+1 the app crashed again"\n')
    res = invoke("load", "x.csv", "--csv", "-o", "out")
    assert res.exit_code == 0, res.output
    with open(tmp_path / "out" / "records.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ["a1", "a2"]
    from jtbd.runs import read_run_table

    assert read_run_table(tmp_path / "out", "records")["text"].tolist() == ["first line\rsecond =1+1", "\r=1+1 the app crashed again"]


# --------------------------------------------------------------------------- 13. report quotes from CSV runs


def test_report_quotes_from_a_csv_run_are_the_original_text(tmp_path):
    """With --csv the report quoted "'=..." (the neutralising apostrophe) while the span referred to the original text."""
    from jtbd.report import _quotes
    from jtbd.runs import RunFolder

    text = "=the app crashed again"
    a = pd.DataFrame({"theme_id": ["J1"], "similarity": [0.9], "record_id": ["r1"], "start": [0], "end": [len(text)], "text": [text]})
    run = RunFolder.create(tmp_path / "out", command="analyze", csv=True)
    run.write_table("theme_assignments", a)
    run.finish()
    q = _quotes(tmp_path / "out")["J1"][0]
    assert q["text"] == text
    assert q["end"] - q["start"] == len(q["text"])


# --------------------------------------------------------------------------- 4. run folders


def _ls(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_rerun_into_a_run_folder_is_refused_without_force(invoke, tmp_path):
    """Re-running into a Parquet run folder with --csv left both table sets; the report then quoted the old run."""
    _write(tmp_path / "a.csv", "id,text\na1,The app crashed when I paid\n")
    assert invoke("load", "a.csv", "-o", "out").exit_code == 0
    before = (tmp_path / "out" / "run.json").read_bytes()
    res = invoke("load", "a.csv", "-o", "out", "--csv")
    assert res.exit_code == 2 and "E234" in res.output and "--force" in res.output
    assert (tmp_path / "out" / "run.json").read_bytes() == before
    res = invoke("load", "a.csv", "-o", "out", "--csv", "--force")
    assert res.exit_code == 0, res.output
    assert _ls(tmp_path / "out") == ["records.csv", "run.json", "skipped.csv"]  # replaced whole: no Parquet left
    assert json.loads((tmp_path / "out" / "run.json").read_text())["complete"] is True
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_existing_folder_that_is_not_empty_is_refused(invoke, tmp_path):
    _write(tmp_path / "a.csv", "id,text\na1,The app crashed when I paid\n")
    (tmp_path / "out").mkdir()
    _write(tmp_path / "out" / "notes.txt", "mine")
    res = invoke("load", "a.csv", "-o", "out")
    assert res.exit_code == 2 and "E234" in res.output
    assert _ls(tmp_path / "out") == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    assert invoke("load", "a.csv", "-o", "empty").exit_code == 0  # an empty folder is fine


@pytest.mark.parametrize("args, content", [
    (["load", "bad.csv", "-o", "deep/er/out"], b"\x00\x01\x02binary" * 100),
    (["load", "bad.csv", "-o", "out"], b""),
    (["analyze", "nothing/*.csv", "-o", "out"], None),
])
def test_a_failed_run_leaves_no_folder(invoke, tmp_path, args, content):
    """A failed `load`/`split`, or a glob matching nothing, left an empty --out folder."""
    if content is not None:
        _write(tmp_path / "bad.csv", content)
    res = invoke(*args)
    assert res.exit_code in (1, 2), res.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "deep").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_ctrl_c_while_rerunning_keeps_the_old_run_whole(invoke, tmp_path, monkeypatch):
    """Ctrl-C while re-running into an existing folder left a new records table beside the old run.json."""
    _write(tmp_path / "a.csv", "id,text\na1,The app crashed when I paid\n")
    assert invoke("load", "a.csv", "-o", "out").exit_code == 0
    old = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    import jtbd.runs

    real = jtbd.runs.RunFolder.write_table

    def interrupted(self, name, df):
        if name == "skipped":  # after records was written
            raise KeyboardInterrupt
        return real(self, name, df)

    monkeypatch.setattr(jtbd.runs.RunFolder, "write_table", interrupted)
    res = invoke("load", "a.csv", "-o", "out", "--force")
    assert res.exit_code == 130
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == old
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_interrupt_after_run_json_leaves_no_folder(tmp_path, monkeypatch):
    """Ctrl-C just after run.json was written left a run.json with finished_at set and no report."""
    import jtbd.report
    from jtbd.pipeline import AnalysisResult

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(jtbd.report, "build_report", boom)
    result = AnalysisResult(records=pd.DataFrame({"record_id": ["a"]}), units=pd.DataFrame(), outcomes=pd.DataFrame(),
                            themes=pd.DataFrame(), assignments=pd.DataFrame())
    with pytest.raises(KeyboardInterrupt):
        result.save(tmp_path / "out")
    assert _ls(tmp_path) == []
    run = result.save(tmp_path / "out", report=False)
    assert run.path == tmp_path / "out" and json.loads((run.path / "run.json").read_text())["complete"] is True
    with pytest.raises(Exception, match="E234"):
        result.save(tmp_path / "out", report=False)


def test_read_run_table_reads_the_table_run_json_lists(tmp_path):
    """`jtbd report` read `.parquet` first, even when run.json listed the CSV table of the newer run."""
    from jtbd.runs import RunFolder, read_run_table

    run = RunFolder.create(tmp_path / "out", command="load", csv=True)
    run.write_table("records", pd.DataFrame({"record_id": ["new"]}))
    run.finish()
    pd.DataFrame({"record_id": ["stale"]}).to_parquet(tmp_path / "out" / "records.parquet")
    assert read_run_table(tmp_path / "out", "records")["record_id"].tolist() == ["new"]


# --------------------------------------------------------------------------- 11. usage


def test_global_options_after_the_command(invoke, tmp_path, monkeypatch):
    """`jtbd analyze X --embedder static` said "No such option '--embedder'"."""
    monkeypatch.delenv("JTBD_EMBEDDER", raising=False)
    _write(tmp_path / "a.csv", "id,text\na1,The app crashed when I paid\n")
    res = invoke("load", "a.csv", "-o", "out", "-q", "--embedder", "static")
    assert res.exit_code == 0, res.output
    import os

    assert os.environ["JTBD_EMBEDDER"] == "static"
    res = invoke("load", "a.csv", "-o", "out", "--force", "--config", "none.toml")
    assert res.exit_code == 2 and "E203" in res.output  # --config after the command is read
    for cmd in (["analyze"], ["report"], ["evaluate", "themes"], ["train", "solicitation"]):
        assert "--embedder" in invoke(*cmd, "--help").output


def test_debug_after_the_command_shows_the_traceback(runner, tmp_path):
    from jtbd.cli import cli

    _write(tmp_path / "e.csv", "")
    res = runner.invoke(cli, ["inspect", str(tmp_path / "e.csv"), "--debug"], obj={})
    assert res.exit_code != 0 and res.exception is not None and "E101" in str(res.exception)


def test_layout_wide_on_a_long_file_is_refused(invoke, tmp_path):
    """`--layout wide` on a long file silently turned the question texts into records."""
    _write(tmp_path / "long.csv", "id,question,answer\n1,What could we improve?,The parking is awful and slow\n"
                                  "2,What could we improve?,Staff were rude at the desk today\n3,What did you like?,Quick service and kind nurses\n")
    res = invoke("inspect", "long.csv", "--layout", "wide")
    assert res.exit_code == 2 and "E219" in res.output


@pytest.mark.parametrize("toml, key", [
    ('[run]\ncsv = "no"\n', "run.csv"),
    ('[run]\nseed = "abc"\n', "run.seed"),
    ("[load]\ntext_col = 3\n", "load.text_col"),
    ('[solicitation]\nsolicited_channels = "survey"\n', "solicitation.solicited_channels"),
])
def test_config_values_are_type_checked(invoke, tmp_path, toml, key):
    """`jtbd.toml` values were not type-checked (`csv = "no"` wrote CSV; `seed = "abc"` failed with E900 after 11 s)."""
    _write(tmp_path / "jtbd.toml", toml)
    _write(tmp_path / "a.csv", "id,text\na1,The app crashed when I paid\n")
    res = invoke("load", "a.csv", "-o", "out")
    assert res.exit_code == 2 and "E216" in res.output and key in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, code", [
    (["analyze", "a.csv", "--min-n", "-5"], "-5 is not in the range"),
    (["inspect", "a.csv", "--sheet", "S1"], "E217"),
    (["inspect", "a.csv", "--text-col", "text", "--id-col", "text"], "E218"),
])
def test_contradictory_options_are_refused(invoke, tmp_path, args, code):
    """`--min-n -5`, `--sheet` on a CSV and `--text-col text --id-col text` passed without comment."""
    _write(tmp_path / "a.csv", "id,text\na1,The app crashed when I paid\n")
    res = invoke(*args)
    assert res.exit_code == 2 and code in res.output


# --------------------------------------------------------------------------- 3. redaction


@pytest.mark.parametrize("text, secret", [
    ("write to j.o'neil+tag@example.com today", "neil"),
    ("iban gb82 west 1234 5698 7654 32 please", "5698"),
    ("IBAN GB82WEST12345698765432", "5698"),
    ("card 4111.1111.1111.1111 was charged", "1111"),
    ("mail john%40example.com", "john"),
    ("ring 07700 900123", "900123"),
    ("call +1 (555) 123-4567", "4567"),
])
def test_redaction_masks(text, secret):
    """`--redact` leaked: j.o'neil+tag@… -> j.o'[EMAIL]; lower-case IBAN partly masked; 4111.1111… -> [PHONE].1111; %40."""
    from jtbd.redact import redact_text

    out = redact_text(text)
    assert secret not in out, out
    assert "[" in out


@pytest.mark.parametrize("text", [
    "Order #123456789 never arrived",
    "ISBN 978-3-16-148410-0 is out of print",
    "the book 978-3-16-148410-0 is great",
    "Invoice 2024-0001-5678 was wrong",
    "Ticket no. 55512345 closed",
    "flight BA 2490 was 3 hours late",
])
def test_redaction_keeps(text):
    """Over-redaction: Order #123456789 -> [PHONE], ISBN 978-3-16-148410-0 -> 978-[PHONE]-0, Invoice 2024-0001-5678 -> [PHONE]."""
    from jtbd.redact import redact_text

    assert redact_text(text) == text


def test_redact_covers_every_column_written(invoke, tmp_path):
    """`jtbd load pii.csv --redact --csv`: email, contact_email, phone, customer_id and question were written unmasked."""
    _write(tmp_path / "pii.csv", "record_id,text,email,contact_email,phone,customer_id,question,notes\n"
                                 "r1,Mail me at jo@example.com,jo@example.com,x@y.org,7946 0958,bob@example.com,"
                                 "Your number 07700 900123?,ring +44 20 7946 0958\n"
                                 "r2,Great staff,,,,c-17,Why?,fine\n")
    res = invoke("load", "pii.csv", "--redact", "--csv", "-o", "out")
    assert res.exit_code == 0, res.output
    written = (tmp_path / "out" / "records.csv").read_text(encoding="utf-8")
    for secret in ("jo@example", "x@y.org", "7946", "bob@example", "900123"):
        assert secret not in written, secret
    recs = pd.read_csv(tmp_path / "out" / "records.csv")
    assert recs.loc[1, "customer_id"] == "c-17"  # ids without personal data are kept
    assert recs.loc[0, "customer_id"].startswith("[EMAIL]-")
    manifest = json.loads((tmp_path / "out" / "run.json").read_text())
    assert manifest["redaction"]["masked"]["[EMAIL]"] >= 4
