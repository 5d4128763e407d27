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
    import os

    import jtbd.io

    monkeypatch.delenv("JTBD_EMBEDDER", raising=False)
    _write(tmp_path / "a.csv", "id,text\na1,The app crashed when I paid\n")
    seen = []
    real = jtbd.io.load_feedback
    monkeypatch.setattr(jtbd.io, "load_feedback", lambda *a, **k: seen.append(os.environ.get("JTBD_EMBEDDER")) or real(*a, **k))
    res = invoke("load", "a.csv", "-o", "out", "-q", "--embedder", "static")
    assert res.exit_code == 0, res.output
    assert seen == ["static"]  # the command ran with the backend named after it
    assert "JTBD_EMBEDDER" not in os.environ  # and it does not outlive the command (a later command in the process would use it)
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
    ("write to j.o'neil+tag@example.com today", "j.o"),
    ("write to j.o'neil+tag@example.com today", "neil"),
    ("iban gb82 west 1234 5698 7654 32 please", "gb82"),
    ("iban gb82 west 1234 5698 7654 32 please", "west"),
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


# --------------------------------------------------------------------------- 5. a record too long for the parser


def test_a_huge_record_is_segmented_in_pieces(monkeypatch):
    """One 5 MB record aborted `analyze` (spaCy's E088 "Text of length 5000000 exceeds maximum" surfaced as E900)."""
    import jtbd.segment
    from jtbd.segment import segment_records, segment_text

    monkeypatch.setattr(jtbd.segment, "PIECE_CHARS", 2_000)  # the same path as 5 MB against 100,000, quickly
    big = "I waited on the phone for an hour. Nobody answered, so I gave up\n" * 200
    records = pd.DataFrame({"record_id": ["a", "b"], "text": ["Short one. Fine.", big]})
    units = pd.concat(list(segment_records(records, prefer="blank")), ignore_index=True)
    b = units[units["record_id"] == "b"]
    assert len(b) >= 400 and b["sentence"].is_monotonic_increasing and b["sentence"].max() >= 399
    assert all(big[s:e] == t for s, e, t in zip(b["start"], b["end"], b["text"]))  # spans in the whole text
    assert [(u.start, u.end) for u in segment_text(big, prefer="blank")] == list(zip(b["start"], b["end"]))


def test_texts_over_max_text_chars_are_skipped_with_a_reason(tmp_path):
    """`[load] max_text_chars` (opt-in) skips longer texts as text_too_long, counted in the row accounting."""
    import jtbd

    src = _write(tmp_path / "big.csv", "id,text\n1,The app crashed when I paid\n2," + "word " * 30_000 + "\n3,Parking was awful\n")
    loaded = jtbd.load_feedback(src, config=jtbd.config.LoadConfig(max_text_chars=100_000))
    assert loaded.records["record_id"].tolist() == ["1", "3"]
    assert loaded.info["skipped"] == {"text_too_long": 1}
    assert loaded.info["rows_read"] == loaded.info["rows_kept"] + sum(loaded.info["skipped"].values())
    row = loaded.skipped.iloc[0]
    assert row["source_row"] == 3 and row["reason"] == "text_too_long" and "150,000" in row["detail"]


@pytest.mark.slow
def test_analyze_survives_a_record_over_the_parser_limit(invoke, tmp_path):
    """`jtbd -q analyze big.csv -o out --embedder static`: the run finishes, the long record is processed in pieces."""
    big = "the app froze again when I paid and " * 40_000  # 1.4 MB: over spaCy's 1,000,000-character limit
    rows = "".join(f"r{i},The delivery took {i} days and nobody told me why\n" for i in range(30))
    _write(tmp_path / "big.csv", "id,text\nbig," + big + "\n" + rows)
    res = invoke("-q", "analyze", "big.csv", "-o", "out", "--embedder", "static", "--no-report")
    assert res.exit_code == 0, res.output
    units = pd.read_parquet(tmp_path / "out" / "units.parquet", columns=["record_id"])
    assert (units["record_id"] == "big").sum() > 1000


# --------------------------------------------------------------------------- 6. many columns


def test_loading_is_linear_in_columns(tmp_path):
    """10,000 columns x 5 rows took 169 s and printed 9,903 PerformanceWarnings (one insert per column)."""
    import time
    import warnings

    import jtbd

    def seconds(ncol: int) -> float:
        df = pd.DataFrame({"text": ["The app crashed when I paid for the order"] * 5,
                           **{f"c{i}": [str(i)] * 5 for i in range(ncol - 1)}})
        path = tmp_path / f"wide{ncol}.csv"  # a file, as users load it
        df.to_csv(path, index=False)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a PerformanceWarning fails the test
            loaded = jtbd.load_feedback(path)
        assert loaded.records.shape[1] >= ncol
        return time.perf_counter() - t

    seconds(50)  # warm up
    small, large = seconds(200), seconds(2000)
    assert large < 25 * small + 1.0  # 10x the columns: about 10x the time, not 100x


# --------------------------------------------------------------------------- 7. folders


def test_a_folder_with_bad_entries_loads_the_good_files(tmp_path, monkeypatch):
    """Unreadable file -> E900 PermissionError; one empty file aborted the folder; broken link skipped silently."""
    import os

    import jtbd
    import jtbd._read

    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.csv", "id,text\n1,The app crashed when I paid\n")
    _write(folder / "empty.csv", "")
    _write(folder / "locked.csv", "id,text\n1,Parking was a nightmare\n")
    (folder / "broken.csv").symlink_to(tmp_path / "nowhere.csv")
    os.mkfifo(folder / "pipe.csv")
    real_open = open

    def guarded(path, *args, **kwargs):
        if str(path).endswith("locked.csv"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(jtbd._read, "open", guarded, raising=False)
    loaded = jtbd.load_feedback(folder)
    assert loaded.records["text"].tolist() == ["The app crashed when I paid"]
    notes = "\n".join(loaded.info["notes"])
    for name, why in (("broken.csv", "broken link"), ("pipe.csv", "not a regular file"), ("empty.csv", "E101"), ("locked.csv", "E110")):
        assert any(n.startswith(name) and why in n for n in loaded.info["notes"]), (name, notes)
    assert {f["file"] for f in loaded.info["files_skipped"]} == {"empty.csv", "locked.csv"}


def test_unreadable_file_and_fifo_are_coded_errors(invoke, tmp_path, monkeypatch):
    import os

    import jtbd._read

    os.mkfifo(tmp_path / "pipe.csv")
    res = invoke("inspect", "pipe.csv")  # used to hang
    assert res.exit_code == 2 and "E208" in res.output
    _write(tmp_path / "locked.csv", "id,text\n1,Parking was a nightmare\n")

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(jtbd._read, "open", denied, raising=False)
    res = invoke("inspect", "locked.csv")
    assert res.exit_code == 1 and "E110" in res.output and "Permission denied" in res.output and "E900" not in res.output


# --------------------------------------------------------------------------- 8. unterminated quote


def test_an_unterminated_quote_does_not_swallow_rows(tmp_path):
    """6 data lines -> rows_read 4, the last two lines inside the fourth record's text, no note."""
    import jtbd

    src = _write(tmp_path / "uq.csv", 'id,text\n1,The app is fine\n2,Parking was slow\n3,Staff were lovely\n'
                                      '4,"The quote opens here and never closes\n5,next row was slow to load\n6,six hours of waiting\n')
    loaded = jtbd.load_feedback(src)
    assert loaded.info["rows_read"] == 6
    assert loaded.records["record_id"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert loaded.records["text"].iloc[3] == "The quote opens here and never closes"
    assert any("line 5" in n and "never closes" in n for n in loaded.info["notes"])


# --------------------------------------------------------------------------- 9. NULs


def test_stray_nuls_are_removed_and_reported_wherever_they_are(tmp_path):
    """Three NULs in the first 64 KB rejected a CSV as binary; a NUL after 64 KB was stripped silently."""
    import jtbd

    src = _write(tmp_path / "nul.csv", "id,text\n1,The app is fi\x00ne\n2,Par\x00king was\x00 slow\n"
                                       + "3," + "long answer " * 7000 + "\n4,after \x0064k\n")
    loaded = jtbd.load_feedback(src)
    assert loaded.records["text"].iloc[0] == "The app is fine"
    assert loaded.records["text"].iloc[3] == "after 64k"
    assert any("4 NUL characters removed" in n for n in loaded.info["notes"])


def test_a_binary_file_is_still_refused(invoke, tmp_path):
    _write(tmp_path / "bin.csv", bytes(range(256)) * 200)
    res = invoke("inspect", "bin.csv")
    assert res.exit_code == 1 and "E103" in res.output


# --------------------------------------------------------------------------- 10. terminal control sequences


def test_inspect_never_prints_control_sequences(invoke, tmp_path):
    """`jtbd inspect hostile.csv --examples 100` printed BEL, BS and ESC]0;...BEL (sets the terminal title) raw."""
    _write(tmp_path / "hostile.csv", 'id,text\n1,"Title \x1b]0;pwned\x07 bell \x07 back\x08 csi \x1b[2J and \x9b31m more words"\n'
                                     "2,Another normal record here\n")
    res = invoke("inspect", "hostile.csv", "--examples", "100")
    assert res.exit_code == 0, res.output
    assert not any(ord(ch) < 32 and ch not in "\n\t" or 0x7f <= ord(ch) <= 0x9f for ch in res.output), repr(res.output)
    assert "\\x1b]0;pwned" in res.output  # shown, escaped


# --------------------------------------------------------------------------- 12. onnxruntime telemetry


def test_onnx_backend_switches_telemetry_off(monkeypatch):
    """onnxruntime's telemetry events accumulated in ~/.cache/Microsoft/.../onnxruntime.db during runs."""
    ort = pytest.importorskip("onnxruntime")
    from jtbd import backends

    calls = []
    monkeypatch.setattr(ort, "disable_telemetry_events", lambda: calls.append(1))

    class Stop(Exception):
        pass

    def stop(*a, **k):
        raise Stop

    monkeypatch.setattr(backends, "_export_dir", stop)  # stop right after the telemetry switch
    with pytest.raises(Stop):
        backends._OnnxBackend(Path("."), "fp", quantized=True, batch_size=8)
    assert calls == [1]


def test_a_fifo_given_to_analyze_is_refused_not_waited_on(invoke, tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.csv")
    for extra in ([], ["--stream"]):
        res = invoke("analyze", "pipe.csv", "-o", "out", *extra)
        assert res.exit_code == 2 and "E208" in res.output
    assert not (tmp_path / "out").exists()


def test_report_html_is_replaced_atomically(tmp_path, monkeypatch):
    """`jtbd report RUN_DIR` writes report.html beside the tables: a partial file never takes its place."""
    import jtbd.report

    run = tmp_path / "run"
    run.mkdir()
    (run / "report.html").write_text("old", encoding="utf-8")
    monkeypatch.setattr(jtbd.report, "render_report", lambda d: "new")
    jtbd.report.build_report(run)
    assert (run / "report.html").read_text(encoding="utf-8") == "new" and _ls(run) == ["report.html"]
