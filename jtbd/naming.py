"""Theme names a researcher would sign, theme-level outcomes, and the check that keeps names honest.

* **Job themes** are named by the job their members share: every member's general job phrase
  (``job_statement`` of :mod:`jtbd.statements`: base form, no pronouns, numbers, dates,
  amounts or names) is a candidate, its **support** is the number of member records whose own
  job matches it (content-word token F1 >= 0.5), and the name is the best-supported candidate
  that (a) breaks no naming rule and (b) retrieves its own theme: embedded, it is closer to
  its theme's centre than to any other theme's. ``label_source = "shared_job"``. A theme whose
  members share no job (support below 2 records) is named by its keywords instead
  (``"keywords"``), never by one member's sentence.
* **Enabler themes** are named by their taxonomy category and two or three keywords that are
  not stopwords, numbers or proper names (``"taxonomy+keywords"``).
* **Rules** (:func:`name_problems`): no digits, amounts, dates, relative times ("weeks ago"),
  handles, links or pronouns; no codes ("JFK", "phx": written in capitals or without vowels)
  and no proper name (a word its members write capitalised mid-sentence) unless most members
  use it; no word twice ("children children"); a job name is not a light verb without an
  object ("get given", "get hung up") nor a state ("have a bag"). **Unique** within a run: a theme whose name another, larger theme already has takes
  its next candidate, else gets a distinguishing keyword (``+disambiguated``).
* **Theme-level outcomes** (:func:`merge_outcomes`): the members' desired-outcome statements,
  one per job + metric (jobs matched by token F1), each with the units and records
  supporting it, best supported first.
* :func:`names_check`: name retrieval (share of themes whose embedded name is closest to its
  own centre) and every rule break, for tests and the closing figures.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations
from typing import Any, Iterable, Sequence

__all__ = ["name_problems", "codes", "merge_outcomes", "job_name_candidates", "clean_keywords", "choose_names", "names_check",
           "NAME_STOPWORDS"]

NAME_STOPWORDS = frozenset(
    "a an the to of for in on at by with from into about as and or but so than then that this these those it its my your our "
    "their his her him them they we us me i you he she is are was were be been being am do does did done have has had can "
    "could will would should may might must not no yes very really just also too more most much many some any all get got "
    "one two ve ll re don didn doesn isn wasn aren weren couldn wouldn shouldn won im ive id dont cant thats there here what "
    "when where which who whom why how ok okay thanks thank please would like well good great bad lot lots thing things "
    "hey hi hello hiya dear lol omg wow yeah yep guys folks morning evening afternoon".split())
_PRONOUN = re.compile(r"\b(i|me|my|mine|we|us|our|you|your|he|him|his|she|her|they|them|their|it's|i'm|i've)\b", re.I)
_DATE = re.compile(r"\b(jan(uary)?|feb(ruary)?|march|april|june|july|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?|dec(ember)?|"
                   r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow|tonight)\b", re.I)
_AMOUNT = re.compile(r"[$£€¥]|\b(dollars?|pounds?|euros?|usd|gbp|quid|bucks)\b", re.I)
_HANDLE = re.compile(r"@\w|#\w|https?://|www\.|\bx{2,}\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_TIME_UNIT = r"(second|minute|min|hour|hr|day|night|week|weekend|fortnight|month|year|morning|afternoon|evening)s?"
_RELATIVE_TIME = re.compile(
    rf"\b(ago|recently|lately)\b|\b{_TIME_UNIT}\s+(later|earlier|before|after|back)\b|"
    rf"\b(last|next|this|past|previous|coming|few|several|couple(\s+of)?|many|other)\s+{_TIME_UNIT}\b", re.I)
#: Verbs too light to name a job without an object: "get given", "get hung up", "have a bag" say what happened or what
#: someone holds, not what they were trying to get done.
_STATE_VERBS = frozenset({"have", "has", "had", "having", "be", "is", "are", "was", "were", "been", "being"})
_LIGHT_VERBS = frozenset({"get", "gets", "got", "getting", "go", "make", "take", "do", "give", "put", "keep", "become"})
_PARTICLES = frozenset("up out in on off back down away over through around about along by again".split())
_IRREGULAR_PARTICIPLES = frozenset(
    "given taken hung done left lost told sent stuck caught put made kept held paid seen shown known brought bought thrown "
    "cut set hit let shut run won sold found spent stolen struck written broken forgotten chosen gone come become eaten "
    "fallen driven ridden hidden bitten beaten shaken sworn torn worn born bent burnt burned dealt fed felt fled fought "
    "ground hurt led lent lit meant met read rung sat shot slept sought sped spun stood stung swept swung taught thought "
    "understood woken wound".split())
#: Initialisms people name things by; a word without vowels other than these reads as a code (JFK, PHX, LHR).
_FAMILIAR_INITIALISMS = frozenset("gps sms mms pdf dvd cd pc tv bbq vpn html rsvp wc cctv dm dms hr crm atm id pin gp icu "
                                   "wifi usb sim faq app".split())


def proper_names(texts: Iterable[str], *, min_share: float = 0.6) -> set[str]:
    """Lower-case words that ``texts`` mostly write capitalised mid-sentence (names of people, places, brands)."""
    cap, total = Counter(), Counter()
    for t in texts:
        for sent in re.split(r"(?<=[.!?])\s+|\n+", str(t)):
            words = _WORD.findall(sent)
            for k, w in enumerate(words[1:], start=1):  # a sentence's first word says nothing either way
                low = w.lower()
                total[low] += 1
                if w[:1].isupper() and not w.isupper() and low not in ("i", "i'm", "i've", "i'd", "i'll"):
                    cap[low] += 1
    return {w for w, n in cap.items() if n >= 1 and n / total[w] >= min_share and w not in NAME_STOPWORDS}


def codes(texts: Iterable[str], *, min_share: float = 0.6) -> set[str]:
    """Lower-case words of 2-5 letters that ``texts`` mostly write in capitals (JFK, PHX, DEN: airport, flight, product codes)."""
    caps, total = Counter(), Counter()
    for t in texts:
        for w in _WORD.findall(str(t)):
            if 2 <= len(w) <= 5 and w.isalpha():
                low = w.lower()
                total[low] += 1
                if w.isupper() and low not in ("i", "ok"):
                    caps[low] += 1
    return {w for w, n in caps.items() if n / total[w] >= min_share and w not in NAME_STOPWORDS}


def _is_code(word: str, member_codes: set[str]) -> bool:
    low = word.lower()
    if low in _FAMILIAR_INITIALISMS or low in NAME_STOPWORDS or not word.isalpha():
        return False
    if 2 <= len(word) <= 5 and word.isupper():
        return True
    return low in member_codes or (len(low) >= 3 and not re.search(r"[aeiouy]", low))


def _is_participle(word: str) -> bool:
    w = word.lower()
    return w in _IRREGULAR_PARTICIPLES or (len(w) > 4 and w.endswith(("ed", "en")))


def _light_verb_problem(words: list[str]) -> str | None:
    """``"light verb without an object: get given"`` and the like, or ``None`` (``words``: the name's words)."""
    if not words:
        return None
    verb = words[0].lower()
    if verb in _STATE_VERBS:
        return f"state verb, not a job: {' '.join(words)}"
    if verb in _LIGHT_VERBS:
        rest = [w.lower() for w in words[1:] if w.lower() not in _PARTICLES and w.lower() not in NAME_STOPWORDS]
        if all(_is_participle(w) for w in rest):  # nothing after it, or only "given", "taken", "hung up"
            return f"light verb without an object: {' '.join(words)}"
    return None


def name_problems(name: str, member_texts: Sequence[str] = (), *, names: set[str] | None = None,
                  kind: str = "job") -> list[str]:
    """What is wrong with a theme name (empty list: nothing).

    Rules: no digits, amounts, dates or relative times ("weeks ago"), handles, links, pronouns or
    symbols (emoji, hashtags);
    no code (a word written in capitals, or without vowels: "JFK", "phx"); no word twice
    ("children children"); for job names (``kind="job"``) no light verb without an object
    ("get given", "get hung up") and no state verb ("have a bag"); no proper name that only a
    minority of ``member_texts`` use. ``kind="keyword"`` checks one keyword (no verb rules).

    Example:
        >>> name_problems("buy a new ticket for £96")
        ['digits', 'amount']
        >>> name_problems("praise Cath Alder", ["We thank Cath Alder.", "Staff were kind", "Quick and clean"])
        ['proper name: cath, alder']
        >>> name_problems("get given")
        ['light verb without an object: get given']
        >>> name_problems("jfk, phx, delays")
        ['code: jfk, phx']
        >>> name_problems("get early \N{THUMBS UP SIGN}")
        ['symbol: \N{THUMBS UP SIGN}']
    """
    out = []
    s = str(name or "").strip()
    if not s or not re.search(r"[A-Za-z]{3,}", s):
        return ["empty"]
    if re.search(r"\d", s):
        out.append("digits")
    if _AMOUNT.search(s):
        out.append("amount")
    if _DATE.search(s):
        out.append("date")
    if _RELATIVE_TIME.search(s):
        out.append("relative time")
    if _HANDLE.search(s):
        out.append("handle or link")
    if _PRONOUN.search(s):
        out.append("pronoun")
    symbols = [c for c in s if not (c.isalnum() or c.isspace() or c in "-',&:()/.£$€")]
    if symbols:  # emoji, hashtags, stray punctuation ("get early 👍")
        out.append("symbol: " + "".join(dict.fromkeys(symbols)))
    words = _WORD.findall(s)
    lows = [w.lower() for w in words]
    n = max(len(member_texts), 1)

    def minority(w: str) -> bool:  # a word that most members use may stand in the name
        return not member_texts or sum(w in str(t).lower() for t in member_texts) / n < 0.5

    member_codes = codes(member_texts) if member_texts else set()
    found = [w.lower() for w in words if _is_code(w, member_codes)]  # even when most members use it: "Denver", not "den"
    if found:
        out.append("code: " + ", ".join(dict.fromkeys(found)))
    content = [w for w in lows if w not in NAME_STOPWORDS]
    doubled = [w for w, c in Counter(content).items() if c > 1]
    if doubled:
        out.append("repeated word: " + ", ".join(doubled))
    if kind == "job" and "," not in s:  # keyword names ("refund, money") are lists, not verb phrases
        light = _light_verb_problem(words)
        if light:
            out.append(light)
    if member_texts:
        names = proper_names(member_texts) if names is None else names
        found = [w for w in lows if w in names and minority(w)]
        if found:
            out.append("proper name: " + ", ".join(dict.fromkeys(found)))
    return out


def clean_keywords(keywords: Sequence[str], member_texts: Sequence[str] = (), *, n: int = 3,
                   names: set[str] | None = None) -> list[str]:
    """Keywords fit for a name: no stopwords, digits, amounts, handles, codes, proper names or doubled words; at most ``n``."""
    names = proper_names(member_texts) if names is None and member_texts else (names or set())
    member_codes = codes(member_texts) if member_texts else set()
    out: list[str] = []
    for k in keywords:
        words = str(k).lower().split()
        if not words or any(w in NAME_STOPWORDS or len(w) < 3 or w in names or w in member_codes for w in words):
            continue
        if name_problems(k, kind="keyword") or any(w in o.split() or o in words for o in out for w in words):
            continue
        out.append(str(k).lower())
        if len(out) == n:
            break
    return out


def _tokens(job: str) -> tuple:
    from .statements import job_tokens

    return tuple(job_tokens(job))


def job_name_candidates(jobs: Sequence[tuple[str, Any]], *, top: int = 5) -> list[tuple[str, int]]:
    """``[(job, support)]``: member jobs by the number of records whose job matches them (token F1 >= 0.5).

    ``jobs`` holds ``(job phrase, record id)`` per member unit that has a job.
    """
    from .statements import job_token_f1

    jobs = [(str(j).strip(), r) for j, r in jobs if str(j or "").strip() and len(str(j).split()) >= 2]
    if not jobs:
        return []
    distinct: dict[tuple, str] = {}
    counts: Counter = Counter()
    for j, _ in jobs:
        key = _tokens(j)
        if not key:
            continue
        counts[key] += 1
        if key not in distinct or len(j) < len(distinct[key]):
            distinct[key] = j
    keys = [k for k, _ in counts.most_common(60)]
    scored = []
    for k in keys:
        cand = distinct[k]
        recs = {r for j, r in jobs if job_token_f1(j, cand) >= 0.5}
        scored.append((cand, len(recs)))
    scored.sort(key=lambda x: (-x[1], len(x[0].split()), x[0]))
    return scored[:top]


def merge_outcomes(rows: Sequence[dict], *, top: int = 5) -> list[dict]:
    """Theme-level desired outcomes: member statements merged by job (token F1 >= 0.5) and metric.

    ``rows``: one dict per member unit with ``statement``, ``job_statement``, ``metric``,
    ``direction`` and ``record_id``. Returns up to ``top`` dicts ``statement, job, metric,
    direction, n_units, n_records``, best supported (most records) first.
    """
    from .statements import job_token_f1

    groups: list[dict] = []
    for r in rows:
        st, job = str(r.get("statement") or ""), str(r.get("job_statement") or "")
        if not st or not job:
            continue
        metric = str(r.get("metric") or "")
        for g in groups:
            if g["metric"] == metric and g["direction"] == r.get("direction") and job_token_f1(job, g["job"]) >= 0.5:
                g["units"] += 1
                g["records"].add(r.get("record_id"))
                g["jobs"][job] += 1
                g["statements"].setdefault(job, st)
                break
        else:
            groups.append({"metric": metric, "direction": r.get("direction"), "job": job, "statement": st, "units": 1,
                           "records": {r.get("record_id")}, "jobs": Counter({job: 1}), "statements": {job: st}})
    out = []
    for g in groups:
        job = min(g["jobs"], key=lambda j: (-g["jobs"][j], len(j)))  # the most frequent wording stands for the group
        out.append({"statement": g["statements"].get(job, g["statement"]), "job": job, "metric": g["metric"],
                    "direction": g["direction"], "n_units": g["units"], "n_records": len(g["records"])})
    out.sort(key=lambda d: (-d["n_records"], -d["n_units"], d["statement"]))
    return out[:top]


def choose_names(themes: list[dict], centroids, embedder=None, *, kind: str = "job") -> None:
    """Set ``label`` and ``label_source`` on each theme dict (in place).

    Each dict carries ``_candidates`` (``[(name, support)]`` for jobs), ``keywords``,
    ``_texts`` (member texts) and, for enablers, ``_category`` (its taxonomy label or ``None``).
    Names are chosen largest theme first, so a smaller theme gives way when two would clash.
    """
    import numpy as np

    k = len(themes)
    if k == 0:
        return
    C = np.asarray(centroids, dtype=np.float32)
    per_theme: list[list[tuple[str, str, float]]] = []
    all_names: list[str] = []
    for t in themes:
        texts = t.get("_texts", [])
        names = proper_names(texts)
        t["_names"] = names
        kws6 = clean_keywords(t.get("keywords") or [], texts, n=6, names=names)
        kws = kws6[:3]
        # other keyword triples, so that a name can be found that retrieves its own theme
        # (every triple, then every pair, of the six best keywords, best-ranked keywords first)
        alts = [list(c) for c in sorted(combinations(kws6, 3), key=lambda c: sum(kws6.index(w) for w in c)) if list(c) != kws]
        alts += [list(c) for c in sorted(combinations(kws6, 2), key=lambda c: sum(kws6.index(w) for w in c))]
        options: list[tuple[str, str, float]] = []
        if kind == "job":
            n_rec = max(int(t.get("n_records") or 1), 1)
            for cand, support in t.get("_candidates", []):
                if (support >= 2 or n_rec == 1) and not name_problems(cand, texts, names=names):
                    options.append((cand, "shared_job", support / n_rec))
            for j, kw in enumerate([kws] + alts):
                if kw:
                    options.append((", ".join(kw), "keywords", -0.01 * j))
        else:
            cat = t.get("_category")
            for j, kw in enumerate([kws] + alts):
                if cat and kw:
                    options.append((f"{cat}: {', '.join(kw)}", "taxonomy+keywords", 1.0 - 0.01 * j))
            if cat:
                options.append((str(cat), "taxonomy", 0.5))
            for j, kw in enumerate([kws] + alts):
                if kw:
                    options.append((", ".join(kw), "keywords", -0.01 * j))
        if not options:
            options.append(((kws and ", ".join(kws)) or "unnamed theme", "keywords", 0.0))
        per_theme.append(options)
        all_names.extend(o[0] for o in options)
    retrieves: dict[str, np.ndarray] = {}
    if embedder is not None and k > 1:
        from .themes import theme_text

        uniq = list(dict.fromkeys(all_names))
        V = embedder.encode([theme_text(n) or n for n in uniq])
        S = np.asarray(V) @ C.T
        retrieves = {n: S[i] for i, n in enumerate(uniq)}
    order = sorted(range(k), key=lambda i: -int(themes[i].get("n_units") or 0))
    taken: dict[str, int] = {}
    for i in order:
        t = themes[i]
        opts = per_theme[i]

        def rank(o, i=i):
            sims = retrieves.get(o[0])
            ok = True if sims is None else int(np.argmax(sims)) == i
            margin = 0.0 if sims is None else float(sims[i] - np.max(np.delete(sims, i))) if k > 1 else 0.0
            return (ok, o[1] != "keywords" if kind == "job" else True, o[2] + margin, -len(o[0]))

        ranked = sorted(opts, key=rank, reverse=True)
        chosen = None
        for o in ranked:
            if o[0].lower() not in taken:
                chosen = (o[0], o[1])
                break
        if chosen is None:  # every option is taken: tell it apart by a keyword the other theme lacks
            base, src = ranked[0][0], ranked[0][1]
            other = themes[taken[base.lower()]]
            extra = [w for w in clean_keywords(t.get("keywords") or [], t.get("_texts", []), n=6, names=t["_names"])
                     if w not in (other.get("keywords") or []) and w not in base.lower()]
            chosen = (f"{base} ({extra[0]})", src + "+disambiguated") if extra else (f"{base} ({t['theme_id'][0].lower()}-theme)", src + "+disambiguated")
        t["label"], t["label_source"] = chosen
        taken[chosen[0].lower()] = i
    for t in themes:
        for key in ("_candidates", "_texts", "_category", "_names"):
            t.pop(key, None)


def names_check(themes, centroids, embedder, *, member_texts: dict | None = None) -> dict:
    """Name retrieval and rule breaks of one kind's themes.

    Args:
        themes: The themes table of one kind (``theme`` numbers index ``centroids``), with ``label``.
        centroids: The theme centres (``ThemeModel.centroids``).
        embedder: The embedder the themes were fitted with.
        member_texts: ``{theme_id: [texts]}`` for the proper-name rule (optional).

    Returns:
        ``{"n", "retrieval", "retrieved": [...], "not_retrieved": [...], "rule_breaks": {theme_id: [...]},
        "duplicates": [...]}``.
    """
    import numpy as np

    from .themes import theme_text

    if not len(themes):
        return {"n": 0, "retrieval": 1.0, "retrieved": [], "not_retrieved": [], "rule_breaks": {}, "duplicates": []}
    C = np.asarray(centroids, dtype=np.float32)
    labels = themes["label"].astype(str).tolist()
    idx = themes["theme"].astype(int).tolist()
    V = np.asarray(embedder.encode([theme_text(n) or n for n in labels]))
    S = V @ C.T
    hit = [int(np.argmax(S[j])) == idx[j] for j in range(len(labels))] if len(C) > 1 else [True] * len(labels)
    breaks = {}
    for tid, name, src in zip(themes["theme_id"], labels, themes.get("label_source", [""] * len(labels))):
        texts = (member_texts or {}).get(tid, [])
        probs = name_problems(name.split(": ", 1)[1] if str(src).startswith("taxonomy") and ": " in name else name, texts)
        if probs:
            breaks[tid] = probs
    low = Counter(n.lower() for n in labels)
    return {"n": len(labels), "retrieval": round(float(np.mean(hit)), 4),
            "retrieved": [t for t, h in zip(themes["theme_id"], hit) if h],
            "not_retrieved": [t for t, h in zip(themes["theme_id"], hit) if not h],
            "rule_breaks": breaks, "duplicates": sorted(n for n, c in low.items() if c > 1)}


def check_run(run_dir) -> dict:
    """:func:`names_check` for each theme kind of a run folder (themes, theme_assignments, theme_model)."""
    from pathlib import Path

    from .embed import get_embedder
    from .runs import read_run_table
    from .themes import ThemeModel

    run_dir = Path(run_dir)
    themes = read_run_table(run_dir, "themes")
    assign = read_run_table(run_dir, "theme_assignments", required=False)
    out = {}
    for kind in ("job", "enabler"):
        t = themes[themes["kind"] == kind]
        folder = run_dir / "theme_model" / kind
        if not len(t) or not folder.is_dir():
            continue
        model = ThemeModel.load(folder)
        texts = {}
        if assign is not None:
            a = assign[assign["kind"] == kind]
            texts = {tid: g["text"].astype(str).tolist() for tid, g in a.groupby("theme_id")}
        out[kind] = names_check(t, model.centroids, get_embedder(), member_texts=texts)
    return out
