"""Style cues of a piece of feedback: how it is written, not what it is about.

Cheap, transparent features that tell a survey answer from volunteered feedback:
elliptical answers and non-answers ("Nothing.", "N/A"), answer-to-a-question
openings ("Because...", "More staff"), first-person narrative, @handles and
hashtags, greetings and sign-offs, titles glued to review bodies, complaint
formulas, HTML remnants, length. Used beside sentence embeddings by the
solicitation model.

Example:
    >>> from jtbd.style import style_features, STYLE_FEATURES
    >>> x = style_features(["Nothing.", "@SkyLarkAir where is my bag?? #fail"])
    >>> x.shape == (2, len(STYLE_FEATURES))
    True
"""

from __future__ import annotations

import math
import re
from typing import Sequence

__all__ = ["STYLE_FEATURES", "style_features", "is_non_answer"]

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_SENT = re.compile(r"[.!?]+(?:\s|$)|\n+")
_HANDLE = re.compile(r"(?<![\w.])@\w{2,}")
_HASHTAG = re.compile(r"(?<!\w)#\w{2,}")
_URL = re.compile(r"https?://|www\.|\b\w+\.(?:com|co|org|net|ly)/", re.I)
_GREETING = re.compile(r"^\s*(hi|hello|hey|hiya|dear|good (morning|afternoon|evening)|to whom|to the|attn|greetings|morning|evening)\b", re.I)
_SIGNOFF = re.compile(
    r"(thanks|thank you|thx|ta|regards|cheers|sincerely|best wishes|kind regards|many thanks|best|yours (truly|faithfully|sincerely))"
    r"[,!.]*\s*(-|–)?\s*([A-Z][a-z]+\.?\s?){0,2}[.!]?\s*$",
    re.I,
)
_NON_ANSWER = re.compile(
    r"^\s*(nothing|none|no|nope|nil|nada|n/?a|na|not applicable|no comments?|nothing (else|to add|really|at all|more)|"
    r"(i )?can'?t think of anything|no improvements?( needed)?|nothing i can think of|not really|don'?t know|dunno|"
    r"all good|no complaints|-+|\.+|\?+|x+)[\s.!]*$",
    re.I,
)
#: What survey exports write where a respondent left the box empty ("Did not answer", "No response"). Not a style
#: feature (the shipped models were trained without it), only the non-answer test below.
_EXPORT_PLACEHOLDER = re.compile(
    r"^\s*(did ?n[o']?t answer|no answer( given)?|not answered|unanswered|no response|no reply|not stated|not given|"
    r"prefer not to say|skipped|blank|left blank|no (comment|feedback) (given|provided|left))[\s.!]*$",
    re.I,
)


def is_non_answer(text: str) -> bool:
    """Whether a unit says nothing but that there is nothing to say ("Nothing.", "N/A", "Did not answer").

    Such units keep their label and their place in the record, but take part in no theme: hundreds
    of identical "Did not answer" cells would otherwise make themes of their own.

    Example:
        >>> [is_non_answer(t) for t in ("Did not answer", "Nothing.", "n/a", "Nothing was explained to me")]
        [True, True, True, False]
    """
    s = str(text or "")
    return bool(_NON_ANSWER.match(s) or _EXPORT_PLACEHOLDER.match(s))


_ANSWER_OPENING = re.compile(
    r"^\s*(because|as|cos|coz|since|due to|more|less|better|faster|quicker|shorter|longer|cheaper|make|improve|keep|have|"
    r"provide|give|maybe|perhaps|possibly|probably|would be|would have|it would|could|should|the|very|really|quite|too|"
    r"everything|all|nothing|friendly|good|great|excellent|lovely|fantastic|poor|bad|easy|quick|fast|professional|helpful)\b",
    re.I,
)
_FIRST_SG = re.compile(r"\b(i|me|my|mine|myself|i'm|i've|i'd|i'll|im|ive)\b", re.I)
_FIRST_PL = re.compile(r"\b(we|us|our|ours|we're|we've)\b", re.I)
_SECOND = re.compile(r"\b(you|your|yours|you're|you've|u|ur)\b", re.I)
_THIRD = re.compile(r"\b(he|she|his|her|him|they|them|their)\b", re.I)
_PAST = re.compile(r"\b(\w{3,}ed|was|were|had|did|went|came|got|told|said|took|left|gave|saw|felt|made|called|rang|arrived)\b", re.I)
_FINITE = re.compile(r"\b(is|was|are|were|am|be|been|have|has|had|do|does|did|can|could|will|would|should|i|we|they|he|she|it's|i'm)\b", re.I)
_HTML = re.compile(r"&(amp|nbsp|quot|lt|gt|#\d+);|<br\s*/?>|<p>", re.I)
_REDACTED = re.compile(r"XX/XX|XXXX|\{\$[\d,.]+\}")
_TITLE = re.compile(r"^[A-Z0-9][^.!?\n]{0,45}?[a-z0-9!)] +(?!I\b)[A-Z][a-z]")
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
_RECOMMEND = re.compile(r"\b(would|will|wouldn'?t|won'?t|highly|definitely)\s+(not\s+)?recommend\b|\brecommend (it|this|them)\b|\bavoid\b|\bdon'?t bother\b|\bstay away\b", re.I)
_THANKS_TO = re.compile(r"\b(thank you to|thanks to|i would like to thank|i want to thank|a big thank you|huge thanks|i'd like to thank)\b", re.I)
_COMPLAINT = re.compile(r"\b(i am writing|i'm writing|formal complaint|complaint|reference (number|no)|ref(erence)?[:#]|case (number|no)|ombudsman|escalate|i am requesting|please (respond|reply|contact me)|dm me|dm'd|sent you a dm)\b", re.I)
_TIME_STORY = re.compile(r"\b(yesterday|today|last (week|month|night|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|this morning|on (monday|tuesday|wednesday|thursday|friday|saturday|sunday)|in (january|february|march|april|may|june|july|august|september|october|november|december)|ago)\b", re.I)
_SURVEY_REF = re.compile(r"\b(this survey|the survey|questionnaire|score|rating|scored|rated|(a|an) \d+|\d+ out of|\d+/10|10/10|\d stars?)\b", re.I)

STYLE_FEATURES = (
    "log_chars", "log_words", "log_sentences", "has_handle", "starts_handle", "has_hashtag", "has_url",
    "greeting", "signoff", "non_answer", "elliptical", "answer_opening", "first_singular", "first_plural",
    "second_person", "third_person", "past_tense", "exclamations", "questions", "upper_ratio", "digit_ratio",
    "html", "redacted", "title_glued", "emoji", "recommend_to_others", "thanks_to", "complaint_formula",
    "time_story", "survey_reference", "newlines", "starts_lower", "ends_without_punct",
)


def _one(text: str) -> list[float]:
    t = text if isinstance(text, str) else ""
    s = t.strip()
    n_chars = len(s)
    words = _WORD.findall(s)
    n_words = len(words)
    wn = max(1, n_words)
    n_sent = max(1, len(_SENT.findall(s))) if s else 0
    letters = [c for c in s if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / max(1, len(letters))
    digits = sum(c.isdigit() for c in s) / max(1, n_chars)
    finite = bool(_FINITE.search(s))
    return [
        math.log1p(n_chars),
        math.log1p(n_words),
        math.log1p(n_sent),
        float(bool(_HANDLE.search(s))),
        float(s.lstrip(".").startswith("@")),
        float(bool(_HASHTAG.search(s))),
        float(bool(_URL.search(s))),
        float(bool(_GREETING.search(s))),
        float(bool(_SIGNOFF.search(s[-60:]))) if n_words > 6 else 0.0,
        float(bool(_NON_ANSWER.match(s))),
        float(n_words <= 8 and not finite),
        float(bool(_ANSWER_OPENING.match(s))),
        len(_FIRST_SG.findall(s)) / wn,
        len(_FIRST_PL.findall(s)) / wn,
        len(_SECOND.findall(s)) / wn,
        len(_THIRD.findall(s)) / wn,
        len(_PAST.findall(s)) / wn,
        math.log1p(s.count("!")),
        math.log1p(s.count("?")),
        upper,
        digits,
        float(bool(_HTML.search(s))),
        float(bool(_REDACTED.search(s))),
        float(bool(_TITLE.match(s))) if n_words > 5 else 0.0,
        float(bool(_EMOJI.search(s))),
        float(bool(_RECOMMEND.search(s))),
        float(bool(_THANKS_TO.search(s))),
        float(bool(_COMPLAINT.search(s))),
        float(bool(_TIME_STORY.search(s))),
        float(bool(_SURVEY_REF.search(s))),
        math.log1p(s.count("\n")),
        float(bool(s) and s[0].islower()),
        float(bool(s) and s[-1] not in ".!?)\"'"),
    ]


def style_features(texts: Sequence[str]):
    """A ``(len(texts), len(STYLE_FEATURES))`` float32 array of style cues."""
    import numpy as np

    return np.asarray([_one(t) for t in texts], dtype=np.float32).reshape(len(texts), len(STYLE_FEATURES))
