"""Shared fixtures: a tiny random-weight encoder, small data in official formats, an isolated feature cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import builders

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XSTILTS_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return builders.make_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MNLI, XNLI (en, de, sw), SQuAD and XQuAD (en, de), PAWS-X (en, de, fr): small, in official layouts."""
    root = tmp_path_factory.mktemp("data")
    builders.write_glue_mnli(root / "mnli", n_train=240, n_dev=48)
    builders.write_xnli_official(root / "xnli", ["en", "de", "sw"], n_per_language=30)
    builders.write_squad(root / "squad", n_train=96, n_dev=24)
    builders.write_xquad(root / "xquad", ["en", "de"], n=20)
    builders.write_pawsx_official(root / "pawsx", ["en", "de", "fr"], n=40)
    return root


def experiment_yaml(model: Path, data: Path, **extra: str) -> str:
    """A small experiment over the fixture data; ``extra`` replaces top-level lines by key."""
    fields = {
        "name": "tiny",
        "model": str(model),
        "seeds": "[1]",
        "intermediate": "[none, mnli]",
        "target": "[xnli]",
        "training": "{lr: 5.0e-4, batch_size: 16, max_length: 48, epochs: 2, checkpoint_every: 4, eval_batch_size: 32}",
    }
    fields.update(extra)
    lines = [f"{key}: {value}" for key, value in fields.items()]
    lines += [
        "tasks:",
        f"  mnli: {{data: {{source: local, path: {data / 'mnli'}}}}}",
        f"  xnli: {{data: {{source: local, path: {data / 'xnli'}}}, languages: [en, de, sw]}}",
        f"  squad_v1: {{data: {{source: local, path: {data / 'squad'}}},"
        " training: {max_length: 64, doc_stride: 32, max_query_length: 16}}",
        f"  xquad: {{data: {{source: local, path: {data / 'xquad'}}}, languages: [en, de],"
        " training: {max_length: 64, doc_stride: 32, max_query_length: 16}}",
        f"  pawsx: {{data: {{source: local, path: {data / 'pawsx'}}}, languages: [en, de, fr]}}",
    ]
    return "\n".join(lines) + "\n"


LONG_RUNS = "CI"  # the environment variable that asks for the long end-to-end tests too (CI sets CI=true)


def _every_test(config: pytest.Config) -> bool:
    return bool(os.environ.get(LONG_RUNS, "").lower() in ("1", "true", "yes") or config.getoption("markexpr"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The default run stays lean: tests marked ``slow`` (end-to-end runs that train tiny models, resume after
    kill -9, launch subprocesses) run in CI (``CI=true``) or when a ``-m`` expression names what to run."""
    if _every_test(config):
        return
    slow = [item for item in items if "slow" in item.keywords]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if "slow" not in item.keywords]


def pytest_report_header(config: pytest.Config) -> str:
    if _every_test(config):
        return "xstilts: every test, the long end-to-end ones (marked slow) included"
    return "xstilts: the long end-to-end tests (marked slow) are left out; CI=true or -m slow runs them"
