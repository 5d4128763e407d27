"""Configuration in one place: frozen dataclasses, an optional TOML file, CLI overrides.

Precedence, lowest first: the defaults below, ``jtbd.toml`` in the working directory
(or the file given with ``--config``), then command-line flags. The effective
configuration is written to every run's manifest.

Example:
    >>> from jtbd.config import Config
    >>> cfg = Config().override({"load": {"text_col": "comment"}})
    >>> cfg.load.text_col
    'comment'
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import UsageError

__all__ = ["Config", "LoadConfig", "SolicitationConfig", "ExtractConfig", "RunConfig", "load_config", "DEFAULT_CONFIG_NAME"]

DEFAULT_CONFIG_NAME = "jtbd.toml"


@dataclass(frozen=True)
class LoadConfig:
    """How feedback dumps are read (see :func:`jtbd.load_feedback`).

    Column options name a column of the input and override inference; ``None``
    lets the loader infer the role.
    """

    text_col: str | None = None
    id_col: str | None = None
    date_col: str | None = None
    score_col: str | None = None
    channel_col: str | None = None
    question_col: str | None = None
    customer_col: str | None = None
    value_col: str | None = None
    layout: str = "auto"  # auto | long | wide
    encoding: str | None = None  # force an encoding instead of detecting it
    sheet: str | None = None  # Excel sheet name; default: the first with data
    redact: bool = False
    repair_mojibake: bool = True
    dedupe: bool = True  # skip exact duplicate rows (every field equal)
    max_text_chars: int | None = None  # skip longer texts (reason text_too_long); default: keep all (long ones are parsed in pieces)


@dataclass(frozen=True)
class SolicitationConfig:
    """How records are split into solicited and unsolicited (see :mod:`jtbd.solicitation`)."""

    model: str | None = None  # folder of a trained model; default: the shipped one
    text_only: bool = False  # ignore metadata, let the text model decide every record
    solicited_channels: tuple[str, ...] = ()  # extra channel words meaning solicited
    unsolicited_channels: tuple[str, ...] = ()  # extra channel words meaning unsolicited

    def splitter_kwargs(self, *, score_scale=None, layout=None) -> dict[str, Any]:
        """The arguments of :class:`jtbd.solicitation.SolicitationSplitter` for this configuration.

        The one place the configured channel words become the splitter's channel map, so that
        ``jtbd split``, ``jtbd analyze`` (in memory, streamed, on Dask) all read them.
        """
        channel_map = None
        if self.solicited_channels or self.unsolicited_channels:
            from .solicitation import DEFAULT_CHANNEL_MAP

            channel_map = {"solicited": tuple(DEFAULT_CHANNEL_MAP["solicited"]) + tuple(self.solicited_channels),
                           "unsolicited": tuple(DEFAULT_CHANNEL_MAP["unsolicited"]) + tuple(self.unsolicited_channels)}
        return {"model": self.model, "text_only": self.text_only, "channel_map": channel_map,
                "score_scale": score_scale, "layout": layout}


@dataclass(frozen=True)
class ExtractConfig:
    """``[extract]``: how units are labelled (see :mod:`jtbd.extract`)."""

    min_confidence: float = 0.0  # units below this calibrated confidence are labelled "unsure" and left out downstream


@dataclass(frozen=True)
class EmbedConfig:
    """``[embed]``: how sentence vectors are made (see :mod:`jtbd.backends`)."""

    backend: str = "auto"  # auto | torch | onnx | onnx-int8 | static


@dataclass(frozen=True)
class RunConfig:
    """Where and how results are written."""

    out: str | None = None  # run folder; default runs/<timestamp>-<command>
    csv: bool = False  # tables as CSV instead of Parquet
    seed: int = 42


@dataclass(frozen=True)
class Config:
    """The whole effective configuration of a run."""

    load: LoadConfig = field(default_factory=LoadConfig)
    solicitation: SolicitationConfig = field(default_factory=SolicitationConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict, as written to the manifest."""
        return dataclasses.asdict(self)

    def override(self, values: Mapping[str, Mapping[str, Any]]) -> "Config":
        """Return a copy with ``{section: {key: value}}`` applied; ``None`` values are ignored.

        Raises:
            UsageError: an unknown section or key (with the closest valid name).
        """
        sections = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for section, items in values.items():
            if section not in sections:
                raise UsageError(
                    "E201",
                    f"unknown config section [{section}]{_suggest(section, sections)}",
                    fix=f"use one of: {', '.join(sections)}",
                )
            current = sections[section]
            known = {f.name for f in dataclasses.fields(current)}
            clean = {}
            for key, value in items.items():
                if key not in known:
                    raise UsageError(
                        "E202",
                        f"unknown config key '{section}.{key}'{_suggest(key, known)}",
                        fix=f"valid keys in [{section}]: {', '.join(sorted(known))}",
                    )
                if value is not None:
                    value = tuple(value) if isinstance(value, list) else str(value) if isinstance(value, Path) else value
                    _check_type(f"{section}.{key}", value, _field_types(current)[key])
                    clean[key] = value
            sections[section] = dataclasses.replace(current, **clean)
        return Config(**sections)


def _field_types(obj) -> dict[str, str]:
    return {f.name: str(f.type) for f in dataclasses.fields(obj)}


_TYPE_WORDS = {"float": "a number (no quotes)", "str": "a string (in quotes)", "bool": "true or false (no quotes)", "int": "a whole number (no quotes)",
               "tuple[str, ...]": "a list of strings, e.g. [\"survey\", \"nps\"]"}


def _check_type(key: str, value: Any, annotation: str) -> None:
    """Raise E216 when a config value does not have its field's type (``csv = "no"``, ``seed = "abc"``)."""
    kinds = [k.strip() for k in annotation.split("|") if k.strip() != "None"]
    for kind in kinds:
        if kind == "bool" and isinstance(value, bool):
            return
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return
        if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return
        if kind == "str" and isinstance(value, str):
            return
        if kind.startswith("tuple") and isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            return
    want = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
    raise UsageError("E216", f"config value '{key}' must be {want}; got {value!r} ({type(value).__name__})",
                     fix=f"correct '{key.split('.')[-1]}' under [{key.split('.')[0]}] in the config file")


def _suggest(name: str, options) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def load_config(path: str | Path | None = None, *, cwd: str | Path | None = None) -> tuple[Config, str | None]:
    """Read a TOML config file and return ``(config, path_used)``.

    Without ``path``, ``jtbd.toml`` in ``cwd`` (default: the working directory) is read
    when it exists; otherwise the defaults are returned.

    Raises:
        UsageError: the file does not exist, is not valid TOML, or has unknown keys.
    """
    if path is None:
        candidate = Path(cwd or Path.cwd()) / DEFAULT_CONFIG_NAME
        if not candidate.is_file():
            return Config(), None
        path = candidate
    path = Path(path)
    if not path.is_file():
        raise UsageError("E203", f"config file '{path}' not found", fix="check the --config path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError("E204", f"config file '{path}' is not valid TOML ({exc})", fix="correct the file") from None
    return Config().override(data), str(path)
