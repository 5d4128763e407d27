"""Encodings are detected and reported, mixed files and mojibake handled, never a crash."""

from __future__ import annotations

import codecs

import pytest

import jtbd

TEXT = (
    "id,comment\n1,Café staff were lovely – thank you\n"
    '2,"The waiting room was freezing, 3°C outside"\n'
    "3,Naïve question: why £5 for parking?\n"
)


@pytest.mark.parametrize("encoding,bom,expected", [
    ("utf-8", b"", "utf-8"),
    ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
    ("cp1252", b"", "cp1252"),
])
def test_encoding_is_detected_and_reported(tmp_path, encoding, bom, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(bom + TEXT.encode(encoding))
    loaded = jtbd.load_feedback(path)
    assert loaded.info["encoding"] == expected
    assert loaded.records["text"].tolist()[0] == "Café staff were lovely – thank you"
    assert "£5" in loaded.records["text"].tolist()[2]


def test_utf16_without_bom_is_detected(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(TEXT.encode("utf-16-le"))
    assert jtbd.load_feedback(path).info["encoding"] == "utf-16-le"


def test_latin1_bytes_outside_cp1252_never_crash(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,comment\n1,bad byte \x81 here and \x8d there ok\n2,fine row here ok\n")
    loaded = jtbd.load_feedback(path)
    assert loaded.info["records"] == 2


def test_mixed_encodings_are_read_line_by_line(tmp_path):
    lines = ["id,comment"] + [f"{i},Entrée number {i} was great, merci" for i in range(10)]
    data = b""
    for i, line in enumerate(lines):
        data += line.encode("utf-8" if i % 2 else "cp1252") + b"\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    loaded = jtbd.load_feedback(path)
    assert loaded.info["encoding"] == "mixed (utf-8 + cp1252)"
    assert all("Entrée" in t for t in loaded.records["text"])


def test_mojibake_is_repaired_and_counted(tmp_path):
    broken = "It wasnâ€™t what I expected, the cafÃ© was shut"
    path = tmp_path / "moji.csv"
    path.write_text(f'id,comment\n1,"{broken}"\n2,Plain ASCII text stays the same\n', encoding="utf-8")
    loaded = jtbd.load_feedback(path)
    assert loaded.records["text"].iloc[0] == "It wasn’t what I expected, the café was shut"
    assert loaded.info["mojibake_repaired"] == 1
    off = jtbd.load_feedback(path, config=jtbd.LoadConfig(repair_mojibake=False))
    assert off.records["text"].iloc[0] == broken


def test_forced_encoding_and_unknown_codec(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(TEXT.encode("cp1252"))
    assert jtbd.load_feedback(path, encoding="latin-1").info["encoding"] == "latin-1"
    with pytest.raises(jtbd.UsageError):
        jtbd.load_feedback(path, encoding="klingon-8")
