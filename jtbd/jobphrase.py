"""Candidate job phrases of an outcome unit, their features, and the ranker that picks one.

An outcome sentence holds several verbs; the customer's job is usually one of them, often
not the first ("I waited two hours on the phone *to change my flight*", "they spent time
with me and *got me into a great pair of shoes*"). This module

1. lists every verb of a parsed unit as a **candidate**, each in up to three lengths (verb +
   its objects; + the first prepositional phrase; + the rest), rendered as a **general** job
   phrase: base form, present tense, no subject, no pronouns, numbers, dates, amounts,
   redactions (``XXXX``) or proper names, possessives made indefinite ("my rent payment" ->
   "a rent payment");
2. describes each candidate by parse features (its dependency relation and tag, whether it
   is an infinitive of need/try/want, who its subject is, negation, passive, position,
   how many content words survive generalisation, ...);
3. scores them with a small logistic regression (:class:`JobRanker`) trained on the
   permissive rows of ``statements_dev.csv`` (see ``training/train_statements.py`` and the
   model card in ``jtbd/data/statements/README.md``) and keeps the best, with its
   probability of matching what an annotator would write (token F1 >= 0.5).

The same file holds the metric model: a logistic regression from cue counts and the
unit's words to one of ``none``, ``likelihood/increase``, ``likelihood/minimize``,
``time/minimize``, ``effort/minimize``, ``cost/minimize`` (the reference annotators'
vocabulary). Both are stored as JSON (coefficients, vocabulary), no pickle.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["Candidate", "candidates", "candidate_features", "metric_features", "JobRanker", "METRIC_CLASSES",
           "default_ranker_path", "load_ranker", "general_words_ok"]

METRIC_CLASSES = ("none", "likelihood/increase", "likelihood/minimize", "time/minimize", "effort/minimize", "cost/minimize")

_DEPS = ("ROOT", "xcomp", "advcl", "conj", "ccomp", "acl", "acl:relcl", "parataxis", "csubj", "amod")
_TAGS = ("VB", "VBD", "VBG", "VBN", "VBP", "VBZ")
_WANT = {"need", "want", "try", "have", "wish", "hope", "attempt", "struggle", "manage", "able", "wait", "like", "plan",
         "help", "get", "go", "use", "spend", "take", "allow", "enable", "let", "make", "come", "continue", "start", "decide"}
_NOT_JOBS = {"think", "know", "believe", "guess", "feel", "hope", "say", "tell", "mean", "like", "love", "hate", "want", "need",
             "wish", "suppose", "seem", "ask", "wonder", "realise", "realize", "thank", "appreciate", "expect", "understand", "be",
             "have", "do", "let", "try", "go", "come", "bother", "mind", "care", "reckon", "recommend", "lie", "see", "notice",
             "panic", "struggle", "say", "write", "complain", "happen", "seem", "look", "sound", "keep", "start", "continue",
             "decide", "manage", "plan", "attempt", "spend", "wait", "make", "allow", "enable", "help", "use"}
_LIGHT = {"get", "have", "make", "take", "go", "come", "do", "give", "put", "keep", "be"}
_SUBORD = {"when", "while", "after", "before", "if", "once", "whenever", "during", "until", "because", "since", "as", "although",
           "though", "whether", "unless"}
_NEG = {"not", "n't", "never", "no", "cannot", "unable", "nt"}
_OBJ_PRONOUNS = {"it", "them", "him", "her", "me", "us", "you", "this", "that", "these", "those", "one", "something", "anything",
                 "everything", "nothing", "someone", "anyone", "everyone", "somebody", "anybody", "everybody", "myself",
                 "yourself", "himself", "herself", "ourselves", "themselves", "itself", "i", "we", "they", "he", "she", "what",
                 "which", "who", "whom", "there", "here", "all", "much", "lot", "lots"}
_POSS = {"my", "our", "your", "his", "her", "their", "its", "ur", "yr", "mine"}
_TIME_NOUNS = {"month", "year", "week", "day", "today", "yesterday", "tomorrow", "tonight", "night", "morning", "evening",
               "afternoon", "hour", "minute", "min", "mins", "hrs", "hr", "second", "time", "monday", "tuesday", "wednesday",
               "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
               "august", "september", "october", "november", "december", "weekend", "date", "ago", "moment", "decade"}
_DROP_ADV = {"just", "really", "finally", "still", "even", "also", "actually", "literally", "only", "so", "too", "then",
             "now", "again", "already", "eventually", "ever", "never", "always", "very", "immediately", "quickly", "soon",
             "yet", "not", "n't", "simply", "basically", "certainly", "definitely", "probably", "maybe", "obviously",
             "absolutely", "totally", "completely", "constantly", "repeatedly", "once", "twice", "almost", "here", "there",
             "today", "yesterday", "later", "recently", "currently", "previously", "originally", "apparently", "unfortunately",
             "luckily", "hopefully", "nearly", "barely", "hardly", "usually", "often", "sometimes"}
_PARTICLE_DEPS = ("compound:prt", "prt")
_CLAUSE_DEPS = {"advcl", "ccomp", "parataxis", "conj", "cc", "acl:relcl", "relcl", "discourse", "vocative", "dislocated", "list",
                "reparandum", "appos", "mark", "punct", "dep", "csubj", "nsubj", "nsubj:pass", "expl", "aux", "aux:pass", "cop",
                "neg", "orphan", "goeswith"}
_REDACTED = re.compile(r"^(x{2,}|X{2,})(/x+|/X+)*$|^\{?\$|^[$£€]|^\d|\d{2,}|^#|^@|://|^www\.", re.I)
_NUMWORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty",
             "thirty", "forty", "fifty", "hundred", "thousand", "million", "half", "several", "dozen", "couple"}
_MONEY_WORDS = {"dollar", "dollars", "pound", "pounds", "euro", "euros", "cents", "usd", "gbp", "bucks", "quid", "k"}
_PEOPLE_GENERAL = {"dad": "a parent", "mum": "a parent", "mom": "a parent", "mother": "a parent", "father": "a parent",
                   "son": "a child", "daughter": "a child", "kid": "a child", "baby": "a baby", "wife": "a partner",
                   "husband": "a partner", "boyfriend": "a partner", "girlfriend": "a partner"}


def _lemma(tok) -> str:
    from lemminflect import getLemma

    word = tok.text.lower().replace("\u2019", "'")
    if tok.pos_ == "VERB" and tok.tag_ in ("VB", "VBP"):
        return word
    upos = "VERB" if tok.pos_ in ("VERB", "AUX") else (tok.pos_ if tok.pos_ in ("NOUN", "ADJ", "PROPN") else "VERB")
    lemmas = getLemma(word, upos=upos)
    return lemmas[0].lower() if lemmas else word


def _is_subject(t) -> bool:
    return t.dep_.startswith("nsubj") or t.dep_ in ("csubj", "expl")


def _subject(verb):
    t = verb
    for _ in range(4):
        subj = [c for c in t.children if _is_subject(c)]
        if subj:
            return subj[0]
        if t.dep_ not in ("xcomp", "conj") or t.head is t:
            return None
        t = t.head
    return None


def _negated(verb) -> bool:
    heads = [verb] + ([verb.head] if verb.dep_ == "xcomp" else [])
    return any(c.lower_.replace("\u2019", "'") in _NEG or c.lower_ in ("can't", "couldn't", "won't", "didn't", "cannot")
               for h in heads for c in h.children if c.dep_ in ("advmod", "neg", "aux", "det") or c.lower_ in _NEG)


def _drop_token(t) -> bool:
    """Tokens a general job phrase leaves out (with their subtree when they modify)."""
    low = t.lower_
    if t.is_punct and t.text not in "-/'":
        return True
    if t.text.startswith("#") or (t.i > 0 and t.doc[t.i - 1].text == "#" and t.doc[t.i - 1].idx + 1 == t.idx):
        return True  # hashtags ("#notokay") are not the customer's words for the job
    if _REDACTED.search(t.text) or t.like_url or t.like_email or t.like_num or low in _NUMWORDS or low in _MONEY_WORDS:
        return True
    if t.pos_ == "PROPN" or (t.tag_ in ("NNP", "NNPS")):
        return True
    if low in _TIME_NOUNS and t.dep_ not in ("obj", "dobj"):
        return True
    if low in _OBJ_PRONOUNS and t.pos_ in ("PRON", "DET", "NOUN", "ADV") and t.dep_ not in ("det",):
        return True
    if t.dep_ == "advmod" and (low in _DROP_ADV or low.endswith("ly")):
        return True
    if t.dep_ in ("det", "det:predet") and low in ("this", "that", "these", "those", "every", "each", "some", "any", "all",
                                                     "another", "no"):
        return True
    return False


@dataclass
class Candidate:
    """One candidate job: a verb of the unit and a general phrase built from it."""

    verb_i: int
    variant: int  # 0: verb + objects, 1: + first prepositional phrase, 2: + the rest
    words: list[str]
    n_content: int
    dropped: int  # words left out to generalise (names, numbers, pronouns, ...)
    has_object: bool
    shown: list[str] | None = None  # the phrase as written out, when it differs from ``words`` (the ranker's features)

    @property
    def text(self) -> str:
        return " ".join(self.shown or self.words)


def _subtree_keep(root, skip: set[int]) -> list[int]:
    """Indices of ``root``'s subtree minus clauses and generalised-away material."""
    out = []
    stack = [root]
    while stack:
        t = stack.pop()
        if t.i in skip:
            continue
        if t is not root and _drop_token(t):
            if t.dep_ in ("nummod", "compound", "nmod:poss", "amod", "nmod", "obl", "obl:tmod", "obl:npmod", "obl:unmarked",
                          "advmod", "appos", "flat", "det", "npadvmod", "nmod:tmod"):
                skip.update(x.i for x in t.subtree)
                continue
            skip.add(t.i)
        else:
            out.append(t.i)
        stack.extend(c for c in t.children if c.dep_ not in _CLAUSE_DEPS or (c.dep_ in ("conj", "cc") and t is not root
                                                                                and c.head.pos_ in ("NOUN", "ADJ")))
    return sorted(out)


def _articles_for_one(doc, idx: list[int]) -> set[int]:
    """Indices in ``idx`` before which an article stands in for a dropped "one" ("change one flight" -> "change a flight")."""
    kept = set(idx)
    out = set()
    for i in idx:
        t = doc[i]
        if t.tag_ != "NN" or any(c.dep_ in ("det", "nmod:poss", "poss") and c.i in kept for c in t.children):
            continue
        if any(c.dep_ == "nummod" and c.lower_ in ("one", "1") and c.i not in kept for c in t.children):
            out.add(min(j for j in (x.i for x in t.subtree) if j in kept and j <= t.i))
    return out


def _render_tokens(doc, verb, idx: list[int]) -> tuple[list[str], int]:
    """``(words, dropped)``: the general phrase of ``idx`` (see :func:`_render_words`)."""
    words, dropped = _render_words(doc, verb, idx, set())
    return words, dropped


def _render_words(doc, verb, idx: list[int], article_at: set[int]) -> tuple[list[str], int]:
    from lemminflect import getInflection

    words: list[str] = []
    dropped = 0
    for i in idx:
        t = doc[i]
        if i in article_at:
            words.append("a")
        low = t.lower_.replace("\u2019", "'")
        if i == verb.i:
            words.append(_lemma(t))
            continue
        if low in _POSS:
            head = t.head
            if head.tag_ in ("NNS", "NNPS") or head.lower_ in _PEOPLE_GENERAL:
                dropped += 1
                continue
            nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
            words.append("an" if nxt[:1] in "aeiou" and nxt else "a")
            continue
        if low in _PEOPLE_GENERAL and t.pos_ == "NOUN":
            w = _PEOPLE_GENERAL[low]
            if words and words[-1] in ("a", "an", "the"):
                words.pop()
            words.extend(w.split())
            continue
        if t.pos_ == "AUX" or low in ("to",) and t.dep_ == "mark":
            if t.dep_ == "mark" and t.head.i != verb.i:
                words.append(low)
            continue
        if t.pos_ == "VERB" and t.tag_ in ("VBD", "VBZ", "VBP") and t.dep_ not in ("amod",):
            forms = getInflection(_lemma(t), tag="VBZ")
            words.append(forms[0] if forms else t.text.lower())
            continue
        w = t.text if t.text.isupper() and len(t.text) <= 4 and t.text.isalpha() and t.text not in ("I",) else t.text.lower()
        words.append(w)
    # tidy: no trailing function words, no doubled articles
    out: list[str] = []
    for w in words:
        if out and w in ("a", "an", "the") and out[-1] in ("a", "an", "the"):
            out[-1] = w
            continue
        out.append(w)
    while len(out) > 1 and out[-1] in ("a", "an", "the", "to", "of", "for", "in", "on", "at", "by", "with", "from", "and", "or",
                                       "about", "into", "as", "'s", "-", "/", "'"):
        out.pop()
    for k in range(len(out) - 1):  # a/an agreement after generalisation
        if out[k] in ("a", "an"):
            out[k] = "an" if out[k + 1][:1] in "aeiou" else "a"
    return out, dropped


def candidates(doc, *, max_words: int = 10) -> list[Candidate]:
    """Every verb of ``doc`` as a general job phrase, in up to three lengths."""
    from .statements import job_tokens

    found: list[Candidate] = []
    for v in doc:
        if v.pos_ != "VERB" or v.dep_ in ("compound", "case") or not v.text[:1].isalpha():
            continue
        kids = list(v.children)
        core_deps = ("obj", "dobj", "iobj", "xcomp", "compound:prt", "prt", "ccomp")
        preps = [c for c in kids if c.dep_ in ("obl", "obl:agent", "advmod", "nmod") and c.i > v.i]
        variants = []
        skip_all = {c.i for c in kids if _is_subject(c) or c.dep_ in _CLAUSE_DEPS}
        core_skip = skip_all | {x.i for c in preps for x in c.subtree}
        variants.append(core_skip)
        if preps:
            first = min(preps, key=lambda c: c.i)
            variants.append(skip_all | {x.i for c in preps if c is not first for x in c.subtree})
            if len(preps) > 1:
                variants.append(set(skip_all))
        for k, skip in enumerate(variants):
            skip = {i for i in skip if i != v.i} | {c.i for c in kids if c.dep_ in ("xcomp",) and k == 0 and
                                                    any(cc.dep_ == "mark" for cc in c.children) and False}
            skip |= {x.i for c in kids if c.dep_ == "ccomp" for x in c.subtree}
            before = {t.i for t in doc if t.i < v.i}
            idx = [i for i in _subtree_keep(v, set(skip)) if i not in before]
            # stop at the first gap
            run = []
            for i in idx:
                if run and i != run[-1] + 1:
                    # allow gaps left by dropped modifiers inside the phrase
                    if any(not _drop_token(doc[j]) and j not in skip for j in range(run[-1] + 1, i)):
                        break
                run.append(i)
            words, dropped = _render_tokens(doc, v, run)
            article_at = _articles_for_one(doc, run)
            shown = _render_words(doc, v, run, article_at)[0] if article_at else None
            if v.tag_ == "VBN" and any(c.dep_ in ("aux:pass", "auxpass") for c in kids):
                words = ["get", v.text.lower()] + words[1:]  # "I was approved for a card" -> "get approved for a card"
                shown = ["get", v.text.lower()] + shown[1:] if shown else None
            words = words[:max_words]
            shown = shown[:max_words + len(article_at)] if shown else None
            content = job_tokens(" ".join(words[1:]))
            cand = Candidate(verb_i=v.i, variant=k, words=words, n_content=len(content),
                             dropped=dropped + sum(1 for i in range(v.i, (run[-1] + 1) if run else v.i) if i not in run),
                             has_object=any(c.dep_ in core_deps for c in kids), shown=shown)
            if not found or all(c.text != cand.text for c in found):
                found.append(cand)
    return found


def candidate_features(doc, cand: Candidate, n_verbs: int) -> list[float]:
    """Numeric features of one candidate (see the module docs)."""
    v = doc[cand.verb_i]
    lemma = _lemma(v)
    subj = _subject(v)
    slow = subj.lower_ if subj is not None else ""
    f: list[float] = []
    f += [float(v.dep_ == d) for d in _DEPS]
    f.append(float(v.dep_ not in _DEPS))
    f += [float(v.tag_ == t) for t in _TAGS]
    f.append(float(any(c.lower_ == "to" and c.dep_ == "mark" for c in v.children)))
    f.append(float(v.dep_ == "xcomp" and _lemma(v.head) in _WANT))
    f.append(float(lemma in _NOT_JOBS))
    f.append(float(lemma in _LIGHT))
    f.append(float(slow in ("i", "we")))
    f.append(float(subj is None))
    f.append(float(slow in ("they", "he", "she", "it", "you", "staff", "nurse", "doctor")))
    f.append(float(subj is not None and slow not in ("i", "we", "they", "he", "she", "it", "you")))
    f.append(float(any(c.dep_ == "mark" and c.lower_ in _SUBORD for c in v.children)))
    f.append(float(_negated(v)))
    f.append(float(any(c.dep_ in ("aux:pass", "nsubj:pass", "auxpass") for c in v.children)))
    f.append(v.i / max(len(doc) - 1, 1))
    f.append(float(v.i == min((t.i for t in doc if t.pos_ == "VERB"), default=v.i)))
    f.append(math.log1p(n_verbs))
    f.append(float(cand.n_content))
    f.append(float(min(cand.n_content, 6) ** 2) / 36.0)
    f.append(float(len(cand.words)))
    f.append(float(cand.n_content == 0))
    f.append(float(cand.has_object))
    f += [float(cand.variant == k) for k in range(3)]
    f.append(float(cand.dropped))
    depth, t = 0, v
    while t.head is not t and depth < 8:
        depth, t = depth + 1, t.head
    f.append(float(depth))
    f.append(float(doc.text.rstrip().endswith("?")))
    f.append(float(v.dep_ == "advcl" and any(c.lower_ == "to" for c in v.children)))
    f.append(float(any(c.dep_ == "xcomp" for c in v.children)))
    f.append(float(v.head.lower_ in ("able", "unable") or any(c.lower_ in ("able", "unable") for c in v.head.children)))
    f.append(float(v.dep_ == "conj" and v.head.dep_ == "ROOT"))
    return f


# ---------------------------------------------------------------- metric cues

_CUES = {
    "time": re.compile(r"\b(wait\w*|delay\w*|late|later|slow\w*|ages|forever|long|longer|hours?|hrs?|minutes?|mins?|days?|weeks?|"
                       r"months?|years?|quick\w*|fast\w*|soon\w*|time|times|on hold|hurry|rush\w*|prompt\w*|immediate\w*|"
                       r"speed\w*|took|takes|taking|still|yet|overdue|queue\w*|appointment)\b", re.I),
    "effort": re.compile(r"\b(had to|have to|has to|having to|forced|ended up|chas\w+|struggl\w+|hard|difficult\w*|impossible|"
                         r"hassle|effort|nightmare|myself|kept|keep|again|multiple|several|repeated\w*|confus\w+|easy|easier|"
                         r"easily|simple|convenient|inconvenien\w+|calls?|called|calling|phone|emails?|letters?|travel\w*|drive|"
                         r"drove|miles?|far|distance|explain\w*|paperwork|forms?)\b", re.I),
    "cost": re.compile(r"[$£€]|\{\$|\b(paid|pay\w*|fees?|charg\w+|cost\w*|afford\w*|overdraft|interest|expensive|cheap\w*|"
                       r"price\w*|money|refund\w*|dollars?|pounds?|save|saved|saving\w*|budget|bill\w*|debt|credit|"
                       r"balance|penny|worth|value|energy)\b", re.I),
    "likelihood": re.compile(r"\b(not|n't|never|no|cannot|unable|couldn'?t|can'?t|didn'?t|won'?t|wouldn'?t|fail\w*|miss\w*|"
                             r"lost|lose|losing|wrong\w*|error\w*|mistake\w*|fraud\w*|risk\w*|safe\w*|worr\w+|afraid|scared|"
                             r"anxious|sure|able|managed|finally|help\w*|better|improv\w+|recover\w*|heal\w*|feel\w*|felt|"
                             r"confident|understand\w*|know|informed|deni\w+|reject\w*|declin\w+|damag\w+|harm\w*|pain\w*)\b", re.I),
    "negative": re.compile(r"\b(not|n't|never|no|cannot|unable|couldn'?t|can'?t|didn'?t|won'?t|wouldn'?t|fail\w*|miss\w*|lost|"
                           r"lose|wrong\w*|unresolved|incorrect\w*|fraud\w*|deni\w+|reject\w*|damag\w+|harm\w*|worse|bad|"
                           r"poor|problem\w*|issue\w*|risk\w*|afraid|scared|anxious|worr\w+|without|refus\w+)\b", re.I),
}


def metric_features(text: str, compound: float = 0.0) -> dict[str, float]:
    """Cue counts of one unit (dense part of the metric model's input)."""
    out = {f"cue_{k}": float(len(rx.findall(text))) for k, rx in _CUES.items()}
    out["compound"] = float(compound)
    out["neg_compound"] = float(min(compound, 0.0))
    out["len"] = math.log1p(len(text.split()))
    out["question"] = float("?" in text)
    out["money"] = float(bool(re.search(r"[$£€]\s?\d|\{\$", text)))
    out["duration"] = float(bool(re.search(r"\b(\d+|an?|two|three|four|five|several|many|few)\s+(hours?|hrs?|minutes?|mins?|days?|"
                                           r"weeks?|months?|years?)\b", text, re.I)))
    return out


def metric_words(text: str) -> list[str]:
    """The lower-case word features of the metric model (unigrams, no digits)."""
    return [w for w in re.findall(r"[a-z][a-z']+", text.lower().replace("\u2019", "'")) if len(w) > 1]


#: "pay extra", "pay twice", "get charged again": the payment is the cost the customer names, not their job.
_PAYMENT_ITSELF = re.compile(r"^(pay|get charged|charge)( (extra|more|twice|again|double|for it|a fee|fees|the fee))*$")


def general_words_ok(phrase: str) -> bool:
    """Whether a job phrase is free of digits, amounts, redactions, handles and links, and is not the payment itself."""
    phrase = str(phrase)
    return not re.search(r"\d|[$£€]|\bx{2,}\b|@|://|www\.", phrase, re.I) and not _PAYMENT_ITSELF.match(phrase.lower())


# ---------------------------------------------------------------- the shipped models

def default_ranker_path() -> Path:
    return Path(__file__).parent / "data" / "statements" / "statements.json"


class JobRanker:
    """The job-phrase ranker and the metric model, loaded from (or saved to) one JSON file."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    # candidate ranking
    def job_probability(self, feats) -> Any:
        import numpy as np

        p = self.params["ranker"]
        X = (np.asarray(feats, dtype=float) - np.asarray(p["mean"])) / np.asarray(p["scale"])
        z = X @ np.asarray(p["coef"]) + p["intercept"]
        return 1.0 / (1.0 + np.exp(-z))

    # metric + direction
    def metric_probabilities(self, text: str, compound: float = 0.0) -> dict[str, float]:
        import numpy as np

        p = self.params["metric"]
        dense = metric_features(text, compound)
        x = (np.array([dense[k] for k in p["dense"]]) - np.asarray(p["mean"])) / np.asarray(p["scale"])
        vocab = p["vocab"]
        bow = np.zeros(len(vocab))
        for w in set(metric_words(text)):
            j = vocab.get(w)
            if j is not None:
                bow[j] = 1.0
        z = np.concatenate([x, bow * p["bow_weight"]]) @ np.asarray(p["coef"]).T + np.asarray(p["intercept"])
        z = z - z.max()
        e = np.exp(z)
        e /= e.sum()
        return dict(zip(p["classes"], map(float, e)))

    @property
    def thresholds(self) -> dict[str, float]:
        return self.params.get("thresholds", {"job": 0.5, "metric": 0.0})

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.params, indent=1, sort_keys=True))
        return path


@lru_cache(maxsize=4)
def load_ranker(path: str | None = None) -> JobRanker | None:
    """The shipped ranker (``None`` when its file is absent: statements then fall back to the rules)."""
    p = Path(path) if path else default_ranker_path()
    if not p.is_file():
        return None
    return JobRanker(json.loads(p.read_text()))


# ---------------------------------------------------------------- explicit evidence beside the learned models

#: The customer says they paid more than they should ("we paid $200 extra", "I was charged twice"): cost, whatever
#: the metric model (trained on 337 rows, where amounts mostly mark fraud or balances, not cost) makes of it.
_EXPLICIT_COST = re.compile(
    r"\b(i|we)\b(?:\s+[a-z']+){0,3}?\s+(paid|pay|was charged|were charged|got charged|been charged)\b[^.;!?]{0,25}?"
    r"([$£€]\s?\d|\{\$|\bextra\b|\btwice\b|\bdouble\b|\bover the odds\b)", re.I)
#: Words that say something failed or could fail: without them "Minimize the likelihood of failing to ..." is invented.
_FAILURE_WORDS = re.compile(
    r"\b(not|n't|never|no|cannot|unable|couldn'?t|can'?t|didn'?t|won'?t|wouldn'?t|wasn'?t|weren'?t|isn'?t|doesn'?t|don'?t|"
    r"fail\w*|miss\w*|lost|lose|losing|wrong\w*|error\w*|mistake\w*|deni\w+|reject\w*|declin\w+|refus\w+|unsuccessful\w*|"
    r"impossible|stuck|stranded|crash\w*|broke|broken|risk\w*|worr\w+|afraid|scared|fraud\w*|unauthori[sz]ed|late)\b", re.I)
_NOT_A_CONDITION = {"a", "an", "the", "my", "our", "your", "his", "her", "their", "its", "them", "him", "me", "us", "you", "it", "any"}


#: Jobs that are themselves a failure ("miss a connection"): only their likelihood can be minimised.
FAILURE_JOBS = frozenset({"miss", "lose", "fail", "forget"})


def decide_metric(probs: dict[str, float], text: str, none_threshold: float, job: str = "") -> str:
    """The metric class of a unit: ``none`` or ``metric/direction``.

    The metric model decides, within two pieces of explicit evidence in the words: a customer who
    says they paid extra (or an amount) is read as cost, and a likelihood to minimise needs words
    that say something failed (``not``, ``missed``, ``refused``, ...): "I just want to pay my bill
    without calling" gets no "Minimize the likelihood of failing to pay a bill". A job that is
    itself a failure ("miss a connection") is only ever minimised in likelihood: never "Minimize
    the time it takes to miss a connection".
    """
    failure_job = bool(job.split()) and job.split()[0] in FAILURE_JOBS
    if _EXPLICIT_COST.search(text) and not failure_job:
        return "cost/minimize"
    if probs.get("none", 0.0) >= none_threshold:
        return "none"
    if failure_job:
        return "likelihood/minimize"
    best = max((k for k in probs if k != "none"), key=lambda k: probs[k])
    if best == "likelihood/minimize" and not _FAILURE_WORDS.search(text.replace("\u2019", "'")):
        return "none"
    return best


def prefer_condition(texts: list[str], best: int) -> int:
    """The index of the job to keep: the best one, or the same job with the condition the customer named.

    "Now I can walk to the shops without pain": the outcome is walking there *without pain*; the
    ranker, trained on annotators who mostly shorten, picks "walk to the shops". A longer candidate
    that only adds ``without`` + a bare noun or gerund (not "without the team") is kept instead.
    """
    head = texts[best] + " without "
    for j, t in enumerate(texts):
        if t.startswith(head):
            rest = t[len(head):].split()
            if 1 <= len(rest) <= 2 and rest[0] not in _NOT_A_CONDITION:
                return j
    return best
