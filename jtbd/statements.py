"""Turn outcome units into desired-outcome and job statements, faithfully or not at all.

``<Minimize|Increase> the <metric> <object of control> <clarifier>`` is built from a
dependency parse of the unit (the shipped UD parser, or an installed ``en_core_web_*``):

1. the **job verb**: the verb the customer was trying, needing or wanting to do
   ("waited two hours *to change* one flight", "had *to re-book* my connection"),
   else the main verb when the customer is its subject ("I *missed* my rent payment");
2. the **object of control**: that verb (base form, via lemminflect) with its own
   objects and modifiers from the customer's words, possessives made neutral
   ("my rent payment" -> "the rent payment"), subordinate clauses left out;
3. the **metric**, from what the words say was at stake: time (durations, waiting,
   delays), cost (money, fees, paying), number (how many times/calls), effort (having
   to, chasing, struggling), risk (worry, danger), frequency (every time, always),
   likelihood (missing, losing, failing, or being able / unable to);
4. the **clarifier**: a ``when/while/after/before/if`` clause of that verb.

When no job verb or no metric can be read off the words, ``statement`` is empty and
``statement_status`` says why; the clause text stays in the row. Nothing is invented.
``met`` is ``struggled``/``met``/``unclear`` from negation, failure and waiting cues and
VADER polarity. ``job_step`` is looked up from the job verb in the taxonomy's job map.

Example:
    >>> from jtbd.statements import make_statements
    >>> make_statements(["I waited two hours on the phone to change one flight."])[0]["statement"]  # doctest: +SKIP
    'Minimize the time it takes to change one flight'
"""

from __future__ import annotations

import re
from typing import Sequence

from .jobphrase import FAILURE_JOBS  # jobs that are themselves a failure ("miss a payment"): minimised as they stand

__all__ = ["make_statements", "statement_for_doc", "render_statement", "choose_job", "evaluate_statements", "score_statements",
           "score_against_references", "job_tokens", "job_token_f1", "METRICS", "REFERENCE_METRICS"]

METRICS = ("time", "likelihood", "number", "effort", "cost", "risk", "frequency", "amount")

_TIME = re.compile(r"\b(wait|waited|waiting|waits|delay|delayed|delays|late|slow|slowly|ages|forever|took (so |too )?long|took \w+ (hours?|minutes?|days?|weeks?)|"
                   r"takes? (so |too )?long|so long|long time|on hold|still waiting|quick|quickly|on time|in time|sooner|hurry|"
                   r"spent (\d+|an?|two|three|several|many) (hours?|minutes?|days?|weeks?)|it took|took me)\b", re.I)
_COST = re.compile(r"[$£€]\s?\d|\{\$[\d,.]+\}|\b(paid (extra|more|twice|again|for)|pay (extra|more|twice|again)|charged|fee|fees|cost|costs|"
                   r"costing|afford|overdraft|interest|expensive|out of pocket|lost money|\d+ (dollars|pounds|euros))\b", re.I)
_NUMBER = re.compile(r"\b(\d+|two|three|four|five|six|several|multiple|many|numerous)\s+(times|calls|attempts|emails|letters|visits|"
                     r"phone calls|trips|people|agents|departments)\b|\b(again and again|over and over)\b", re.I)
_EFFORT = re.compile(r"\b(had to|have to|has to|having to|forced to|ended up|chase|chased|chasing|struggle|struggled|struggling|"
                     r"hard|difficult|difficulty|impossible|hassle|effort|nightmare|myself|kept (calling|asking|ringing|emailing|trying)|"
                     r"all over again|yet again)\b", re.I)
_RISK = re.compile(r"\b(risk|risky|worried|worry|worrying|afraid|scared|fear|danger|dangerous|unsafe|safe|safely|anxious)\b", re.I)
_FREQ = re.compile(r"\b(every time|each time|always|constantly|keeps? happening|every (day|week|month)|repeatedly|often)\b", re.I)
_FAIL_VERBS = {"miss", "lose", "fail", "forget", "strand", "deny", "reject", "decline", "overcharge", "crash", "break", "cancel"}
_NEG = {"not", "n't", "never", "no", "cannot", "unable"}
_ABLE = re.compile(r"\b(now (i|we) (can|could)|(i|we) (can|could) now|able to|managed to|finally|got to)\b", re.I)
_CLARIFIER_MARKS = {"when", "while", "after", "before", "if", "once", "whenever", "during", "until"}
_POSSESSIVE = {"my": "the", "our": "the", "your": "the", "his": "the", "her": "the", "their": "the", "mine": "", "own": ""}
_DROP_ADVMOD = {"just", "really", "finally", "still", "even", "also", "actually", "literally", "only", "so", "too", "then", "now", "again", "already", "eventually"}
_WANT_VERBS = {"need", "want", "try", "have", "wish", "hope", "attempt", "struggle", "manage", "able", "wait", "get", "use", "spend", "take", "like", "plan", "mean", "force"}
_WAIT_VERBS = {"wait", "hold", "queue"}
# verbs of thinking and saying are not jobs ("I don't think ...", "wanted to know whether ...")
_NOT_JOBS = {"think", "know", "believe", "guess", "feel", "hope", "say", "tell", "mean", "like", "love", "hate", "want", "need",
             "wish", "suppose", "seem", "ask", "wonder", "realise", "realize", "thank", "appreciate", "expect", "understand", "be",
             "have", "do", "let", "try", "go", "come", "bother", "mind", "care", "reckon", "recommend", "lie", "see", "notice", "panic", "struggle"}
_TIME_NOUNS = {"month", "months", "year", "years", "week", "weeks", "day", "days", "today", "yesterday", "night", "morning",
               "evening", "afternoon", "time", "times", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_FUNCTION_TAIL = {"DET", "ADP", "CCONJ", "SCONJ", "PART", "PRON", "AUX"}
_MAX_WORDS = 14
_PEOPLE = {"dad", "mum", "mom", "mother", "father", "son", "daughter", "wife", "husband", "partner", "child", "children", "kids", "kid",
           "baby", "family", "parents", "parent", "grandmother", "grandfather", "nan", "gran", "brother", "sister", "friend", "friends",
           "boss", "team", "students", "customers", "patients", "dog", "cat", "mother-in-law"}
_COUNTED = {"times", "calls", "attempts", "emails", "letters", "visits", "trips"}


def _lemma(tok) -> str:
    from lemminflect import getLemma

    word = tok.text.lower()
    if tok.tag_ in ("VB", "VBP") and tok.pos_ == "VERB":
        return word
    lemmas = getLemma(word, upos="VERB" if tok.pos_ in ("VERB", "AUX") else tok.pos_ or "VERB")
    return lemmas[0] if lemmas else word


def _gerund(lemma: str) -> str:
    from lemminflect import getInflection

    forms = getInflection(lemma, tag="VBG")
    return forms[0] if forms else lemma + "ing"


def _is_subject(tok) -> bool:
    return tok.dep_.startswith("nsubj") or tok.dep_ in ("csubj", "expl")


def _clause_child(tok) -> bool:
    """Children that open a clause of their own (left out of the object of control)."""
    return tok.dep_ in ("advcl", "ccomp", "parataxis", "conj", "cc", "acl:relcl", "relcl", "discourse", "vocative", "dislocated",
                        "list", "reparandum", "appos", "mark", "punct", "dep")


def _first_person(tok) -> bool:
    return tok.lower_ in ("i", "we", "me", "us")


def _customer_governs(verb) -> bool:
    """Whether the nearest subject above ``verb`` is the customer (or an expletive "it", or none)."""
    t = verb
    for _ in range(6):
        subj = [c for c in t.children if _is_subject(c)]
        if subj:
            return _first_person(subj[0]) or subj[0].lower_ in ("it", "this", "that")
        if t.dep_ == "ROOT" or t.head is t:
            return True
        if t.dep_ in ("acl:relcl", "relcl"):
            return False
        t = t.head
    return True


def _job_verb(doc):
    """The verb the customer is trying to do, and how it was found; ``(None, None)`` if none."""
    # 1. infinitive verbs ("to change ...", "took me hours to get through"): a purpose
    #    clause (advcl/acl) beats a complement (xcomp) of "need/try/have to"
    cands = [t for t in doc if t.tag_ == "VB" and t.dep_ in ("xcomp", "advcl", "acl", "csubj")
             and any(c.tag_ == "TO" or (c.lower_ == "to" and c.dep_ in ("mark", "aux")) for c in t.children)
             and t.lower_ not in _NOT_JOBS and _customer_governs(t)]
    purpose = [t for t in cands if t.dep_ in ("advcl", "acl")]
    if purpose:
        return purpose[0], "purpose"
    if cands:
        return cands[0], "purpose"
    # 2. a main verb with the customer as its subject ("so I missed my rent payment");
    #    a negated or failure verb ("couldn't find it") beats the others
    mains = []
    for t in doc:
        circumstance = t.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in _CLARIFIER_MARKS for c in t.children)
        if t.pos_ == "VERB" and t.dep_ in ("ROOT", "conj", "parataxis", "ccomp", "advcl") and not circumstance \
                and any(c.dep_ == "nsubj" and _first_person(c) for c in list(t.children) + (list(t.head.children) if t.dep_ == "conj" else [])):
            if t.lower_ in ("was", "were", "am", "is", "'m") or _lemma(t) in _NOT_JOBS:
                continue
            mains.append(t)
    if mains:
        marked = [t for t in mains if _negated(t) or _lemma(t) in _FAIL_VERBS]
        return (marked or mains)[0], "main"
    return None, None


def _phrase(verb, doc, *, drop_counts: bool = False) -> list[int]:
    """Object of control: the verb (base form) and its non-clausal dependents, as the customer wrote them."""
    keep = {verb.i}
    skip = set()
    for c in verb.children:
        if (drop_counts and c.lower_ in _COUNTED) or (c.lower_ in _TIME_NOUNS and c.dep_ not in ("obj", "dobj")):
            # "call them five times" -> "call them"; "every month for two years" is not part of the job
            skip.update(t.i for t in c.subtree)
    stack = [c for c in verb.children
             if not _is_subject(c) and not _clause_child(c) and c.lower_ not in _NEG
             and c.dep_ not in ("aux", "aux:pass", "auxpass", "neg", "cop", "mark")
             and not (c.dep_ == "advmod" and (c.lower_ in _DROP_ADVMOD or c.i < verb.i))]
    while stack:
        t = stack.pop()
        if t.is_punct and t.i > verb.i and t.text in ",;:!?()":
            continue
        keep.add(t.i)
        stack.extend(c for c in t.children if not _clause_child(c) or (c.dep_ == "mark" and c.lower_ == "to")
                     or (c.dep_ in ("conj", "cc") and t.i != verb.i))
    idx = sorted(i for i in keep if i >= verb.i and i not in skip)  # words before the verb belong to the subject side
    # stop at the first gap (a left-out clause) or punctuation
    out = []
    for i in idx:
        if out and i != out[-1] + 1:
            break
        if doc[i].is_punct and doc[i].text not in "-/'\u2019\"":
            break
        if doc[i].text.startswith("@") or doc[i].like_url:
            continue
        out.append(i)
    out = out[:_MAX_WORDS]
    while len(out) > 1 and (doc[out[-1]].pos_ in _FUNCTION_TAIL and doc[out[-1]].lower_ not in ("it", "them", "me", "us", "him", "her")
                            or doc[out[-1]].is_punct):
        out.pop()
    return out


def _render(doc, idx: list[int], verb_form: str) -> str:
    words = []
    for k, i in enumerate(idx):
        t = doc[i]
        if k == 0:
            w = verb_form
        else:
            person = t.head.lower_ in _PEOPLE
            w = t.text if person else _POSSESSIVE.get(t.lower_, t.text)
            if t.lower_ == "me":
                w = "me"
        if w:
            words.append((w, t.whitespace_ if k < len(idx) - 1 else ""))
    text = "".join(w + ws for w, ws in words).strip()
    text = re.sub(r"\bthe the\b", "the", text)
    return re.sub(r"\s+", " ", text)


def _clarifier(verb, doc) -> str:
    for c in list(verb.children) + list(verb.head.children if verb.dep_ != "ROOT" else []):
        if c.dep_ == "advcl" and c.i != verb.i:
            marks = [m for m in c.children if m.dep_ == "mark" and m.lower_ in _CLARIFIER_MARKS]
            if marks:
                span = doc[min(t.i for t in c.subtree):max(t.i for t in c.subtree) + 1]
                words = [(_POSSESSIVE.get(t.lower_, t.text) if t.lower_ in ("my", "our") else t.text) + t.whitespace_
                         for t in span if not t.is_punct or t.text in "-'"]
                text = re.sub(r"\s+", " ", "".join(words)).strip()
                if 2 <= len(text.split()) <= 10:
                    return text
    return ""


def _metric(text: str) -> str | None:
    for name, rx in (("cost", _COST), ("time", _TIME), ("number", _NUMBER), ("effort", _EFFORT), ("risk", _RISK), ("frequency", _FREQ)):
        if rx.search(text):
            return name
    return None


def _negated(verb) -> bool:
    heads = [verb, verb.head] if verb.dep_ in ("xcomp",) else [verb]
    return any(c.dep_ in ("neg", "advmod") and c.lower_ in _NEG for h in heads for c in h.children) or \
        any(c.lower_ in ("cannot", "can't", "couldn't", "unable") for h in heads for c in h.children)


def _rule_statement_for_doc(doc, *, compound: float = 0.0, taxonomy=None) -> dict:
    """Statement fields for one parsed outcome unit by the hand-written rules (no ranker file)."""
    text = doc.text
    row = {"statement": "", "metric": None, "direction": None, "job_statement": "", "job_verb": None,
           "job_step": None, "met": "unclear", "statement_status": ""}
    negated_text = bool(re.search(r"\b(not|n't|never|no|cannot|unable|couldn't|can't|didn't|wasn't|won't)\b", text, re.I))
    verb, how = _job_verb(doc) if doc.has_annotation("DEP") else (None, None)
    # met: what the customer reports
    struggled = negated_text or bool(_TIME.search(text) and re.search(r"\b(wait|waited|waiting|hours|delay|late|slow|ages|forever|long)\b", text, re.I)) \
        or bool(_EFFORT.search(text)) or compound <= -0.3
    got = bool(_ABLE.search(text)) or (compound >= 0.3 and not negated_text)
    row["met"] = "struggled" if struggled and not (got and not negated_text and compound > 0) else "met" if got else "unclear"
    if not doc.has_annotation("DEP"):
        row["statement_status"] = "no parse: the spaCy pipeline in use has no parser"
        return row
    if verb is None:
        row["statement_status"] = "no job verb: the customer is not the one acting in this unit"
        return row
    lemma = _lemma(verb)
    if lemma in _WAIT_VERBS:
        # "I waited two hours on the phone": the time is spent waiting, the job is unnamed
        idx = _phrase(verb, doc)
        rest = _render(doc, idx, _gerund(lemma))
        row.update(statement=f"Minimize the time spent {rest}", metric="time", direction="Minimize",
                   job_statement="", job_verb=lemma, statement_status="ok: the job itself is not named in the words")
        return row
    metric = _metric(text)
    idx = _phrase(verb, doc, drop_counts=metric in ("number", "frequency"))
    if len(idx) < 1:
        row["statement_status"] = "no job verb"
        return row
    base = _render(doc, idx, lemma)
    gerund = _render(doc, idx, _gerund(lemma))
    clar = _clarifier(verb, doc)
    tail = f" {clar}" if clar else ""
    row["job_verb"] = lemma
    row["job_statement"] = (base + tail).strip()
    if taxonomy is not None:
        row["job_step"] = taxonomy.step_for(lemma)
    negated = _negated(verb) or (how == "main" and negated_text)
    if lemma in _FAIL_VERBS and not negated and metric in (None, "time", "effort"):
        metric = "likelihood"
    if metric is None:
        if lemma in _FAIL_VERBS and not negated:
            metric = "likelihood"
        elif negated or _ABLE.search(text):
            metric = "likelihood"
    if metric is None:
        row["statement_status"] = "no metric: the words say nothing about time, cost, effort, risk or success"
        return row
    if len(idx) == 1:
        row["statement_status"] = "object too vague for a statement"
        return row
    if metric == "likelihood":
        if lemma in _FAIL_VERBS:  # "missed my payment" and "haven't missed a payment" both minimise missing it
            stmt = f"Minimize the likelihood of {gerund}"
        else:
            stmt = f"Increase the likelihood of {gerund}"
    elif metric == "cost":
        stmt = f"Minimize the cost of {gerund}"
    elif metric == "risk":
        stmt = f"Minimize the risk of {gerund}" if lemma in _FAIL_VERBS else f"Minimize the risk involved in {gerund}"
    elif metric == "frequency":
        stmt = f"Minimize the frequency of {gerund}" if lemma in _FAIL_VERBS else f"Minimize the number of times it takes to {base}"
        metric = "frequency" if lemma in _FAIL_VERBS else "number"
    elif metric == "number":
        stmt = f"Minimize the number of times it takes to {base}"
    elif metric == "effort":
        stmt = f"Minimize the effort it takes to {base}"
    else:
        stmt = f"Minimize the time it takes to {base}"
    row.update(statement=stmt + tail, metric=metric, direction=stmt.split()[0], statement_status="ok")
    return row


def _met(text: str, compound: float) -> str:
    negated_text = bool(re.search(r"\b(not|n't|never|no|cannot|unable|couldn't|can't|didn't|wasn't|won't)\b", text, re.I))
    struggled = negated_text or bool(_TIME.search(text) and re.search(r"\b(wait|waited|waiting|hours|delay|late|slow|ages|forever|long)\b", text, re.I)) \
        or bool(_EFFORT.search(text)) or compound <= -0.3
    got = bool(_ABLE.search(text)) or (compound >= 0.3 and not negated_text)
    return "struggled" if struggled and not (got and not negated_text and compound > 0) else "met" if got else "unclear"


def render_statement(job: str, metric: str, direction: str) -> str:
    """The desired-outcome statement of a general job phrase under a metric and direction.

    Example:
        >>> render_statement("get a refund", "time", "minimize")
        'Minimize the time it takes to get a refund'
        >>> render_statement("get a refund", "likelihood", "minimize")
        'Minimize the likelihood of failing to get a refund'
        >>> render_statement("miss a rent payment", "likelihood", "minimize")
        'Minimize the likelihood of missing a rent payment'
    """
    words = job.split()
    if not words:
        return ""
    gerund = " ".join([_gerund(words[0])] + words[1:])
    if metric == "time":
        return f"Minimize the time it takes to {job}"
    if metric == "effort":
        return f"Minimize the effort it takes to {job}"
    if metric == "cost":
        return f"Minimize the cost of {gerund}"
    if metric == "likelihood" and words[0] in FAILURE_JOBS:  # "miss a payment": minimise missing it, never "failing to miss"
        return f"Minimize the likelihood of {gerund}"
    if metric == "likelihood" and direction == "minimize":
        return f"Minimize the likelihood of failing to {job}"
    if metric == "likelihood":
        return f"Increase the likelihood of {gerund}"
    return ""


def choose_job(doc, ranker=None):
    """The best general job phrase of a parsed unit and its probability, ``("", 0.0)`` when none.

    Every verb of the unit is a candidate (see :mod:`jtbd.jobphrase`); the shipped ranker scores
    them and the best one is returned with the probability that an annotator would write the
    same job (content-word token F1 >= 0.5).
    """
    from .jobphrase import candidate_features, candidates, general_words_ok, load_ranker, prefer_condition

    ranker = ranker or load_ranker()
    cands = [c for c in candidates(doc) if general_words_ok(c.text)]
    if not cands or ranker is None:
        return "", 0.0, None
    n_verbs = len({c.verb_i for c in cands})
    probs = ranker.job_probability([candidate_features(doc, c, n_verbs) for c in cands])
    best = int(probs.argmax())
    keep = prefer_condition([c.text for c in cands], best)
    return cands[keep].text, float(probs[best]), doc[cands[keep].verb_i]


def statement_for_doc(doc, *, compound: float = 0.0, taxonomy=None, ranker=None) -> dict:
    """Statement fields for one parsed outcome unit.

    With the shipped ranker (``jtbd/data/statements/statements.json``): the job is the best of
    the unit's candidate verb phrases, the metric and direction come from the metric model,
    and a statement is made only when both are confident enough (thresholds tuned by grouped
    cross-validation, see the model card). Without it, the hand-written rules decide.
    """
    from .jobphrase import decide_metric, load_ranker

    ranker = ranker or load_ranker()
    if ranker is None:
        return _rule_statement_for_doc(doc, compound=compound, taxonomy=taxonomy)
    text = doc.text
    row = {"statement": "", "metric": None, "direction": None, "job_statement": "", "job_verb": None,
           "job_step": None, "met": _met(text, compound), "statement_status": ""}
    if not doc.has_annotation("DEP"):
        row["statement_status"] = "no parse: the spaCy pipeline in use has no parser"
        return row
    th = ranker.thresholds
    job, p_job, verb = choose_job(doc, ranker)
    if not job or p_job < th["job"] or len(job.split()) < 2:
        row["statement_status"] = (f"no job: no verb phrase of the unit reads as the customer's job (best p={p_job:.2f})"
                                   if job else "no job verb: the unit has no verb phrase to state a job from")
        return row
    lemma = job.split()[0]
    row.update(job_statement=job, job_verb=lemma)
    if taxonomy is not None:
        row["job_step"] = taxonomy.step_for(lemma)
    probs = ranker.metric_probabilities(text, compound)
    chosen = decide_metric(probs, text, th.get("none", 0.5), job)
    if chosen == "none":
        row["statement_status"] = (f"no metric: the words carry no clear evidence of time, effort, cost or success "
                                   f"(p_none={probs.get('none', 0.0):.2f})")
        return row
    best = chosen
    metric, direction = best.split("/")
    statement = render_statement(job, metric, direction)
    row.update(statement=statement, metric=metric, direction=statement.split()[0] if statement else direction.capitalize(),
               statement_status="ok")
    return row


def make_statements(texts: Sequence[str], *, docs=None, nlp=None, taxonomy=None, compounds: Sequence[float] | None = None,
                    ranker=None) -> list[dict]:
    """Statement fields for each outcome text (parsed with ``nlp``, the shipped parser by default)."""
    if docs is None:
        if nlp is None:
            from .nlp import get_nlp

            nlp, _ = get_nlp("shipped")
        docs = list(nlp.pipe([str(t) for t in texts], batch_size=256))
    if compounds is None:
        from .enablers import polarity_scores

        compounds = polarity_scores([str(t) for t in texts])
    return [statement_for_doc(d, compound=c, taxonomy=taxonomy, ranker=ranker) for d, c in zip(docs, compounds)]


# ---------------------------------------------------------------- scoring against reference statements

#: Words left out before job phrases are compared (function words, pronouns, auxiliaries).
JOB_STOPWORDS = frozenset(
    "a an the to of for in on at by with from into onto about as and or but so than then that this these those "
    "it its it's my your our their his her hers him them they we us me i you he she one ones own "
    "be is are was were been being am do does did done have has had having can could will would should may might must "
    "not no up out off over back down just very really more most some any all".split())

REFERENCE_METRICS = ("time", "effort", "cost", "likelihood", "none")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _strip_suffix(word: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            return word[: -len(suf)]
    return word


def job_tokens(text: str) -> list[str]:
    """Content-word 'lemmas' of a job phrase as the scoring rule compares them.

    Lower-case word tokens, the :data:`JOB_STOPWORDS` dropped, then one of -ing/-ed/-es/-s
    stripped (when at least three letters remain).

    Example:
        >>> job_tokens("Getting the refunds for my cancelled flight")
        ['gett', 'refund', 'cancell', 'flight']
    """
    words = _TOKEN.findall(str(text or "").lower().replace("\u2019", "'"))
    return [_strip_suffix(w) for w in words if w not in JOB_STOPWORDS]


def job_token_f1(predicted: str, reference: str) -> float:
    """Token F1 (bag of :func:`job_tokens`) between a predicted and a reference job; 0 when either is empty.

    Example:
        >>> job_token_f1("fix a cracked manifold", "fix a cracked manifold on a truck")
        0.8571
    """
    from collections import Counter

    p, r = Counter(job_tokens(predicted)), Counter(job_tokens(reference))
    if not p or not r:
        return 0.0
    common = sum((p & r).values())
    if common == 0:
        return 0.0
    prec, rec = common / sum(p.values()), common / sum(r.values())
    return round(2 * prec * rec / (prec + rec), 4)


def _clean(value) -> str:
    if value is None:
        return ""
    try:
        import math

        if isinstance(value, float) and math.isnan(value):
            return ""
    except TypeError:  # pragma: no cover
        pass
    return str(value).strip()


def score_statements(pred: list[dict], ref: list[dict], *, threshold: float = 0.5) -> dict:
    """Score predicted statements against one reference annotation, row by row.

    Each item of ``pred`` and ``ref`` is a dict with ``job``, ``metric``, ``direction`` and
    ``statement``. A **made** statement is a prediction with a non-empty ``statement``; a
    **reference** statement is a reference row with one. A made statement **matches** when the
    reference row has a statement too, the job token F1 (:func:`job_token_f1`) is at least
    ``threshold`` and metric and direction agree (lower-case strings).

    Returns:
        ``made``, ``references``, ``matched``, ``precision`` (matched / made), ``coverage``
        (matched / references), ``job_f1`` (mean job token F1 over rows where both have a job),
        ``job_match`` (share of those rows at F1 >= threshold), ``metric_agreement`` and
        ``direction_agreement`` (over rows where both made a statement).
    """
    if len(pred) != len(ref):
        raise ValueError("pred and ref must have the same length")
    made = refs = matched = 0
    f1s: list[float] = []
    metric_ok = dir_ok = both = 0
    for p, r in zip(pred, ref):
        ps, rs = _clean(p.get("statement")), _clean(r.get("statement"))
        pj, rj = _clean(p.get("job")), _clean(r.get("job"))
        pm, rm = _clean(p.get("metric")).lower(), _clean(r.get("metric")).lower()
        pd_, rd = _clean(p.get("direction")).lower(), _clean(r.get("direction")).lower()
        f1 = job_token_f1(pj, rj) if pj and rj else None
        if f1 is not None:
            f1s.append(f1)
        made += bool(ps)
        refs += bool(rs)
        if ps and rs:
            both += 1
            metric_ok += pm == rm
            dir_ok += pd_ == rd
            if f1 is not None and f1 >= threshold and pm == rm and pd_ == rd:
                matched += 1
    return {"made": made, "references": refs, "matched": matched,
            "precision": round(matched / made, 4) if made else 0.0,
            "coverage": round(matched / refs, 4) if refs else 0.0,
            "job_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
            "job_match": round(sum(f >= threshold for f in f1s) / len(f1s), 4) if f1s else 0.0,
            "metric_agreement": round(metric_ok / both, 4) if both else 0.0,
            "direction_agreement": round(dir_ok / both, 4) if both else 0.0}


REFERENCE_SETS = (("job", "metric", "direction", "statement"), ("job_2", "metric_2", "direction_2", "statement_2"))
_SCORE_KEYS = ("precision", "coverage", "job_f1", "job_match", "metric_agreement", "direction_agreement")


def _average(scores: list[dict]) -> dict:
    out = {k: round(sum(s[k] for s in scores) / len(scores), 4) for k in _SCORE_KEYS}
    for k in ("made", "references", "matched"):
        out[k] = [s[k] for s in scores] if len(scores) > 1 else scores[0][k]
    return out


def score_against_references(df, predictions: list[dict], *, group_col: str | None = "source", threshold: float = 0.5) -> dict:
    """Score ``predictions`` (one dict per row of ``df``) against every reference set ``df`` holds, averaged.

    Reference sets are ``job, metric, direction, statement`` and ``job_2 ... statement_2``;
    each is scored with :func:`score_statements`, and the figures are averaged over the sets
    present. With ``group_col`` in ``df`` the same figures are given per value of it.
    """
    sets = [s for s in REFERENCE_SETS if all(c in df.columns for c in s)]
    if not sets:
        return {}

    def _score(mask) -> dict:
        per = []
        for cols in sets:
            ref = [dict(zip(("job", "metric", "direction", "statement"), vals))
                   for vals in df.loc[mask, list(cols)].itertuples(index=False, name=None)]
            per.append(score_statements([p for p, m in zip(predictions, mask) if m], ref, threshold=threshold))
        out = _average(per)
        out["n"] = int(sum(mask))
        if len(per) > 1:
            out["per_reference"] = per
        return out

    import numpy as np

    result = _score(np.ones(len(df), dtype=bool))
    result["references_scored"] = [s[0] for s in sets]
    if group_col and group_col in df.columns:
        g = df[group_col].astype(str).to_numpy()
        result["groups"] = {k: _score(g == k) for k in sorted(set(g))}
    return result


def evaluate_statements(df, *, text_col: str = "sentence", id_col: str = "id", group_col: str | None = "source",
                        ranker=None, nlp=None) -> dict:
    """Make (or decline) a statement for each row's text as one outcome unit, and score it when references exist.

    Args:
        df: One row per outcome unit. With the reference columns ``job, metric, direction,
            statement`` (and ``job_2 ... statement_2``) the predictions are scored against each
            reference set and the figures averaged (see :func:`score_against_references`).
        text_col: Column holding the unit's text.
        id_col: Column identifying the row (carried into the predictions).
        group_col: Also score per value of this column when present (default ``source``).

    Returns:
        ``{"n", "made", "predictions": [{id, job, metric, direction, statement}, ...], ...scores}``;
        ``metric`` is one of time, effort, cost, likelihood, none and ``direction`` minimize,
        increase or empty, ``job``/``statement`` empty strings when none.

    Example:
        >>> import pandas as pd
        >>> res = evaluate_statements(pd.DataFrame({"id": [1], "sentence": ["I waited two hours to change my flight."]}))  # doctest: +SKIP
        >>> res["predictions"][0]["statement"]  # doctest: +SKIP
        'Minimize the time it takes to change a flight'
    """
    from .errors import DataError, UsageError

    for col in (text_col, id_col):
        if col not in df.columns:
            raise UsageError("E250", f"column '{col}' is not in the file (columns: {', '.join(map(str, df.columns[:20]))})",
                             fix="name the text and id columns with --text-col and --id-col")
    if not len(df):
        raise DataError("E251", "the file has no rows to make statements for", fix="check the file and --text-col")
    texts = df[text_col].fillna("").astype(str).tolist()
    rows = make_statements(texts, nlp=nlp, ranker=ranker)
    preds = []
    for rid, r in zip(df[id_col].tolist(), rows):
        stated = bool(r.get("statement"))
        preds.append({"id": rid, "job": r.get("job_statement") or "",
                      "metric": (r.get("metric") or "none") if stated else "none",
                      "direction": (r.get("direction") or "").lower() if stated else "",
                      "statement": r.get("statement") or "", "statement_status": r.get("statement_status") or ""})
    from .jobphrase import load_ranker

    rk = ranker or load_ranker()
    result: dict = score_against_references(df.reset_index(drop=True), preds, group_col=group_col)
    result.update({"n": len(df), "made": sum(bool(p["statement"]) for p in preds), "jobs": sum(bool(p["job"]) for p in preds),
                   "model": (rk.params.get("about", {}) if rk is not None else {"name": "rules"})})
    result["predictions"] = preds
    return result
