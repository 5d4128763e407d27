"""Training data for the shipped classifiers: the project's corpora plus the permissive real sources.

Everything here reads ``../shared/datasets`` at run time; no text from it is ever written
into the repository. Permissive sources only (see ``../shared/datasets/README.md``):
NHS FFT (MIT), CFPB narratives (US public domain), UD English EWT and the EWT rows of
the labelled files (CC BY-SA 4.0). Care Opinion, airline tweets, app reviews, course
evaluations and hotel reviews are never read here.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
PERMISSIVE_SENTENCE_SOURCES = ("ewt_reviews", "ewt_answers", "nhs_fft_phase1", "nhs_fft_v6", "cfpb")


def need_shared() -> Path:
    if not SHARED.is_dir():
        raise SystemExit(f"training needs the real datasets in {SHARED} (../shared/datasets beside the repository)")
    return SHARED


# --------------------------------------------------------------------------- outcomes


def corpus_units() -> pd.DataFrame:
    """The project's hand-written units: text, label, group (corpus part), source."""
    frames = []
    for part in sorted((ROOT / "corpora" / "outcomes").glob("part_*")):
        df = pd.read_csv(part / "units.csv", dtype=str, keep_default_na=False)
        frames.append(pd.DataFrame({"text": df["text"], "label": df["label"], "group": f"corpus_{part.name}",
                                    "source": "corpus", "id": df["id"]}))
    return pd.concat(frames, ignore_index=True)


def real_units() -> pd.DataFrame:
    """``sentences_train.csv`` (all rows are permissive): text, label, group (= source)."""
    df = pd.read_csv(need_shared() / "sentences_train.csv", dtype=str, keep_default_na=False)
    df = df[df["source"].isin(PERMISSIVE_SENTENCE_SOURCES)]
    return pd.DataFrame({"text": df["sentence"], "label": df["label"], "group": df["source"], "source": df["source"],
                         "id": df["id"], "ref": df["ref"], "start": df["start"], "end": df["end"]}).reset_index(drop=True)


def dev_sentences() -> pd.DataFrame:
    return pd.read_csv(need_shared() / "sentences_dev.csv", dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- solicitation


def corpus_records() -> pd.DataFrame:
    df = pd.read_csv(ROOT / "corpora" / "solicitation" / "examples.csv", dtype=str, keep_default_na=False)
    return pd.DataFrame({"text": df["text"], "solicited": df["solicited"].astype(int), "group": "corpus_" + df["domain"],
                         "source": "corpus"})


def _clean(text: str) -> str:
    return str(text).strip()


def nhs_answers() -> pd.DataFrame:
    """Solicited: NHS FFT answers from both permissive files (one row per answer text)."""
    s = need_shared()
    p1 = pd.read_csv(s / "nhs_fft_phase1_dev.csv", dtype=str, keep_default_na=False)
    v6 = pd.read_csv(s / "nhs_fft_v6_dev.csv", dtype=str, keep_default_na=False)
    rows = [pd.DataFrame({"text": p1["feedback"].map(_clean), "group": "nhs_fft_phase1"}),
            pd.DataFrame({"text": v6["FFT answer"].map(_clean), "group": "nhs_fft_v6"})]
    df = pd.concat(rows, ignore_index=True)
    df = df[df["text"].str.len() > 0].drop_duplicates("text")
    df["solicited"], df["source"] = 1, df["group"]
    return df.reset_index(drop=True)


def cfpb_narratives() -> pd.DataFrame:
    df = pd.read_csv(need_shared() / "cfpb_complaints_dev.csv", dtype=str, keep_default_na=False)
    t = df["Consumer complaint narrative"].map(_clean)
    out = pd.DataFrame({"text": t, "group": "cfpb", "solicited": 0, "source": "cfpb"})
    return out[out["text"].str.len() > 0].drop_duplicates("text").reset_index(drop=True)


def ewt_documents(genres=("reviews", "answers")) -> pd.DataFrame:
    """Unsolicited: EWT review and answer documents rebuilt from the treebank's sentences (all splits)."""
    docs: dict[str, list[str]] = {}
    order: list[str] = []
    for split in ("train", "dev", "test"):
        path = need_shared() / "ud_english_ewt" / f"en_ewt-ud-{split}.conllu"
        doc = None
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("# newdoc id = "):
                    doc = line.split("=", 1)[1].strip()
                    if doc.split("-")[0] in genres:
                        docs.setdefault(doc, [])
                        order.append(doc)
                elif line.startswith("# text = ") and doc in docs:
                    docs[doc].append(line.split("=", 1)[1].strip())
    rows = []
    for d in order:
        text = " ".join(docs[d]).strip()
        if text:
            rows.append({"text": text, "group": "ewt_" + d.split("-")[0], "solicited": 0, "source": "ewt_" + d.split("-")[0], "doc": d})
    return pd.DataFrame(rows).drop_duplicates("text").reset_index(drop=True)


def solicitation_dev() -> pd.DataFrame:
    return pd.read_csv(need_shared() / "solicitation_dev.csv", dtype=str, keep_default_na=False)
