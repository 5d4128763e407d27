"""The CLI: inspect prints what was found, load writes a run folder, errors are one coded line."""

from __future__ import annotations

import json

import pandas as pd
import pytest

ROWS = pd.DataFrame({
    "id": ["a", "b", "c"],
    "comment": ["=HYPERLINK(\"http://evil\") click", "The app crashed so I missed my rent payment", "Lovely staff"],
    "score": [1, 2, 10],
})


def test_inspect_json_has_the_documented_keys(invoke, tmp_path):
    ROWS.to_csv(tmp_path / "f.csv", index=False)
    result = invoke("inspect", "--json", tmp_path / "f.csv")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert {"format", "encoding", "rows_read", "records", "skipped", "roles", "layout", "questions"} <= set(info)
    assert info["format"] == "csv" and info["roles"]["text"] == "comment" and len(info["examples"]) == 3


def test_inspect_prints_a_readable_summary(invoke, tmp_path):
    ROWS.to_csv(tmp_path / "f.csv", index=False)
    result = invoke("inspect", tmp_path / "f.csv")
    assert result.exit_code == 0
    assert "rows read  3" in result.stdout and "comment" in result.stdout and "examples" in result.stdout


@pytest.mark.parametrize("content", [b"", b"id,comment\n", b"\x00\x01\x02binary\x00" * 100])
def test_bad_input_is_exit_1_and_one_line(invoke, tmp_path, content):
    (tmp_path / "bad.csv").write_bytes(content)
    result = invoke("inspect", tmp_path / "bad.csv")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: E1") and "Fix:" in lines[0]
    assert "Traceback" not in result.output


def test_bad_usage_is_exit_2(invoke, tmp_path):
    ROWS.to_csv(tmp_path / "f.csv", index=False)
    result = invoke("inspect", tmp_path / "f.csv", "--text-col", "coment")
    assert result.exit_code == 2
    assert "did you mean 'comment'" in result.stderr
    assert invoke("inspect", tmp_path / "missing.csv").exit_code == 2


def test_debug_shows_the_traceback(runner, tmp_path):
    from jtbd.cli import cli

    (tmp_path / "bad.csv").write_bytes(b"")
    result = runner.invoke(cli, ["--debug", "inspect", str(tmp_path / "bad.csv")], obj={})
    assert result.exit_code != 0 and result.exception is not None


def test_load_writes_a_run_folder_with_manifest(invoke, tmp_path):
    ROWS.to_csv(tmp_path / "f.csv", index=False)
    result = invoke("load", tmp_path / "f.csv", "-o", tmp_path / "run1")
    assert result.exit_code == 0, result.output
    run = tmp_path / "run1"
    records = pd.read_parquet(run / "records.parquet")
    assert records["record_id"].tolist() == ["a", "b", "c"]
    manifest = json.loads((run / "run.json").read_text())
    for key in ("inputs", "config", "versions", "seeds", "counts", "timings", "tables", "started_at", "finished_at"):
        assert key in manifest
    assert manifest["inputs"][0]["sha256"] and manifest["counts"]["records"] == 3
    assert manifest["config"]["load"]["redact"] is False
    assert manifest["versions"]["pandas"]
    assert "-> " in result.stdout


def test_load_default_run_folder_is_timestamped_under_runs(invoke, tmp_path):
    ROWS.to_csv(tmp_path / "f.csv", index=False)
    assert invoke("load", tmp_path / "f.csv").exit_code == 0
    folders = list((tmp_path / "runs").iterdir())
    assert len(folders) == 1 and folders[0].name.endswith("-load")


def test_csv_tables_neutralise_spreadsheet_formulas(invoke, tmp_path):
    ROWS.to_csv(tmp_path / "f.csv", index=False)
    assert invoke("load", tmp_path / "f.csv", "-o", tmp_path / "r", "--csv").exit_code == 0
    text = (tmp_path / "r" / "records.csv").read_text()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text.replace(",=", "\n=")


def test_config_file_then_flags(invoke, tmp_path):
    df = pd.DataFrame({"title": ["Great", "Bad"], "body": ["I can pay rent on time now", "Lost two hours on hold"]})
    df.to_csv(tmp_path / "f.csv", index=False)
    (tmp_path / "jtbd.toml").write_text('[load]\ntext_col = "title"\nredact = true\n')
    assert invoke("load", tmp_path / "f.csv", "-o", tmp_path / "r1").exit_code == 0
    m = json.loads((tmp_path / "r1" / "run.json").read_text())
    assert m["config"]["load"]["text_col"] == "title" and m["config"]["load"]["redact"] is True
    assert m["config_file"].endswith("jtbd.toml")
    assert invoke("load", tmp_path / "f.csv", "-o", tmp_path / "r2", "--text-col", "body", "--no-redact").exit_code == 0
    m = json.loads((tmp_path / "r2" / "run.json").read_text())
    assert m["config"]["load"]["text_col"] == "body" and m["config"]["load"]["redact"] is False
    (tmp_path / "jtbd.toml").write_text('[load]\ntext_column = "title"\n')
    result = invoke("load", tmp_path / "f.csv")
    assert result.exit_code == 2 and "did you mean 'text_col'" in result.stderr


def test_redact_flag_masks_before_writing(invoke, tmp_path):
    pd.DataFrame({"comment": ["mail me at jo@example.com", "call 07700 900123 please"]}).to_csv(tmp_path / "f.csv", index=False)
    assert invoke("load", tmp_path / "f.csv", "-o", tmp_path / "r", "--redact").exit_code == 0
    texts = pd.read_parquet(tmp_path / "r" / "records.parquet")["text"].tolist()
    assert texts == ["mail me at [EMAIL]", "call [PHONE] please"]
    m = json.loads((tmp_path / "r" / "run.json").read_text())
    assert m["redaction"]["enabled"] is True
