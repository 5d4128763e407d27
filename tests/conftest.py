"""Shared fixtures: paths, the shared evaluation data, a CLI runner, file builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# the suite measures the shipped models on their own (torch) vectors; backend tests pick theirs explicitly
os.environ.setdefault("JTBD_EMBEDDER", "torch")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
DEMO = ROOT / "corpora" / "demo" / "feedback.csv"
# Float columns are rounded to 4 places; a vector computed in another process (a Dask worker, another BLAS
# thread count) can round a last digit the other way. Tables compared across processes allow that, no more.
FLOAT_NOISE = {"check_exact": False, "rtol": 0, "atol": 2e-4}


@pytest.fixture
def shared_datasets() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"evaluation data not found at {SHARED} (../shared/datasets is absent)")
    return SHARED


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def invoke(runner, tmp_path, monkeypatch):
    """Run the CLI in a temporary working directory; return the click Result."""
    from jtbd.cli import cli

    monkeypatch.chdir(tmp_path)

    def _invoke(*args, **kwargs):
        return runner.invoke(cli, [str(a) for a in args], obj={}, catch_exceptions=False, **kwargs)

    return _invoke


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Each test session gets its own embedding cache unless JTBD_CACHE_DIR is set."""
    if "JTBD_CACHE_DIR" not in os.environ:
        os.environ["JTBD_CACHE_DIR"] = str(tmp_path_factory.mktemp("jtbd-cache"))
    yield


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    import socket

    def guard(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket.socket, "connect_ex", guard)
    monkeypatch.setattr(socket, "create_connection", guard)
    monkeypatch.setattr(socket, "getaddrinfo", guard)
