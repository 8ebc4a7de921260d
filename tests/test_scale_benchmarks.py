"""The benchmark script runs end to end on minimal sizes, for each workload. A smoke test, not a timing: the
numbers it prints on a shared test machine mean nothing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "train_throughput.py"
TINY = ["--model", "xlmr-base", "--xlmr-layers", "1", "--peak-size", "64"]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_throughput", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The converted demo model's tokenizer gives the synthetic words; converted once for this module."""
    return tmp_path_factory.mktemp("models")


@pytest.mark.parametrize("workload", ["nli", "qa"])
def test_training_workloads_run_every_contender(
    bench: ModuleType, models: Path, tmp_path: Path, workload: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.json"
    args = [*TINY, "--workload", workload, "--steps", "2", "--batch-size", "2", "--cache", str(models)]
    assert bench.main([*args, "--max-length", "96", "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    assert [r["contender"] for r in record["results"]] == ["xstilts", "trainer-fixed", "trainer-dynamic"]
    assert all(r["examples"] == 4 and r["steps"] == 2 for r in record["results"])
    assert record["results"][0]["optimizer"] == "AdamW (fused)"
    fixed, dynamic = record["results"][1], record["results"][2]
    assert fixed["padded_tokens"] == 4 * 96 and dynamic["padded_tokens"] <= fixed["padded_tokens"]
    assert "| xlmr-base-1L | xstilts |" in capsys.readouterr().out


def test_evaluation_workload_covers_the_fifteen_xnli_languages(
    bench: ModuleType, models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*TINY, "--workload", "xnli-eval", "--eval-examples", "8", "--eval-batch-size", "4"]
    assert bench.main([*args, "--cache", str(models), "--eval-length-factors", "zh=0.5"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    languages = [row.split("|")[1].strip() for row in rows[1:]]  # after the header
    assert languages == [*bench.XNLI_LANGUAGES, "all"]
    assert rows[-1].split("|")[2].strip() == str(8 * 15)
