"""jtbd: turn raw customer feedback into Jobs-to-be-Done evidence.

The public API is small and cheap to import: heavy libraries (torch, spaCy,
BERTopic, sentence-transformers) load only inside the functions that need them.

Example:
    >>> import jtbd
    >>> loaded = jtbd.load_feedback("corpora/demo/feedback.csv")  # doctest: +SKIP
    >>> loaded.records[["record_id", "text"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (imported on first use)
_LAZY = {
    "load_feedback": "jtbd.io",
    "LoadedFeedback": "jtbd.io",
    "Config": "jtbd.config",
    "LoadConfig": "jtbd.config",
    "RunConfig": "jtbd.config",
    "load_config": "jtbd.config",
    "JtbdError": "jtbd.errors",
    "DataError": "jtbd.errors",
    "UsageError": "jtbd.errors",
    "ResourceError": "jtbd.errors",
    "redact_text": "jtbd.redact",
    "split_solicitation": "jtbd.solicitation",
    "SolicitationSplitter": "jtbd.solicitation",
    "SolicitationModel": "jtbd.solicitation",
    "evaluate_solicitation": "jtbd.solicitation",
    "get_embedder": "jtbd.embed",
    "segment_text": "jtbd.segment",
    "segment_records": "jtbd.segment",
    "extract": "jtbd.extract",
    "OutcomeExtractor": "jtbd.extract",
    "OutcomeModel": "jtbd.outcomes",
    "evaluate_outcomes": "jtbd.outcomes",
    "load_taxonomy": "jtbd.enablers",
    "fit_themes": "jtbd.themes",
    "analyze": "jtbd.pipeline",
    "AnalysisResult": "jtbd.pipeline",
    "assign_themes": "jtbd.themes",
    "ThemeModel": "jtbd.themes",
    "evaluate_themes": "jtbd.themes",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config, LoadConfig, RunConfig, load_config
    from .errors import DataError, JtbdError, ResourceError, UsageError
    from .io import LoadedFeedback, load_feedback
    from .embed import get_embedder
    from .redact import redact_text
    from .enablers import load_taxonomy
    from .extract import OutcomeExtractor, extract
    from .outcomes import OutcomeModel, evaluate_outcomes
    from .segment import segment_records, segment_text
    from .pipeline import AnalysisResult, analyze
    from .themes import ThemeModel, assign_themes, evaluate_themes, fit_themes
    from .solicitation import SolicitationModel, SolicitationSplitter, evaluate_solicitation, split_solicitation


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jtbd' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
