"""`xstilts run` with the new QA tasks on a tiny model: SQuAD v2.0 (with unanswerable questions) as the
intermediate task, MLQA as the target, evaluated in two languages; checks the recorded metrics and the
submission files, i.e. that the plan, the no-answer decoding and MLQA's per-language metric are wired end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.builders import squad_document
from tests.conftest import experiment_yaml
from xstilts.cli import app

SPAN_SETTINGS = "training: {max_length: 64, doc_stride: 32, max_query_length: 16, max_train_examples: 32}"


def squad_v2_document(n_questions: int, seed: int) -> dict:
    """SQuAD v2.0 JSON: the builders' answerable questions, every third one made unanswerable (no 'answer' word)."""
    document = squad_document("en", n_questions, seed)
    for i, paragraph in enumerate(document["data"][0]["paragraphs"]):
        if i % 3 == 0:
            paragraph["context"] = paragraph["context"].replace(" answer ", " ")
            paragraph["qas"][0]["answers"] = []
    return document


def test_squad_v2_intermediate_then_mlqa_target(tiny_model: Path, data_root: Path, tmp_path: Path) -> None:
    squad_v2 = tmp_path / "squad_v2"
    squad_v2.mkdir()
    (squad_v2 / "train-v2.0.json").write_text(json.dumps(squad_v2_document(48, 3)))
    (squad_v2 / "dev-v2.0.json").write_text(json.dumps(squad_v2_document(12, 4)))
    mlqa = tmp_path / "MLQA_V1"
    (mlqa / "test").mkdir(parents=True)
    for k, language in enumerate(("en", "de")):
        text = json.dumps(squad_document(language, 10, 20 + k), ensure_ascii=False)
        (mlqa / "test" / f"test-context-{language}-question-{language}.json").write_text(text, encoding="utf-8")
    spec = experiment_yaml(
        tiny_model,
        data_root,
        intermediate="[none, squad_v2]",
        target="[mlqa]",
        training="{lr: 5.0e-4, batch_size: 16, max_length: 64, epochs: 1, eval_batch_size: 32}",
    )
    spec += f"  squad_v2: {{data: {{source: local, path: {squad_v2}}}, {SPAN_SETTINGS}}}\n"
    spec += f"  mlqa: {{data: {{source: local, path: {mlqa}}}, languages: [en, de], {SPAN_SETTINGS}}}\n"
    (tmp_path / "experiment.yaml").write_text(spec)
    result = CliRunner().invoke(app, ["run", str(tmp_path / "experiment.yaml"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "mlqa · test · f1" in result.output

    records = [json.loads(p.read_text()) for p in (tmp_path / "run" / "phases").glob("*/phase.json")]
    intermediate = next(r for r in records if r["role"] == "intermediate")
    dev = {m["metric"] for m in intermediate["metrics"] if m["task"] == "squad_v2"}
    assert {"exact_match", "f1", "has_answer_f1", "no_answer_f1"} <= dev  # scored with the SQuAD v2.0 metric
    evaluations = [r for r in records if r["kind"] == "evaluate"]
    assert len(evaluations) == 2
    for record in evaluations:
        cells = {(m["language"], m["metric"]) for m in record["metrics"]}
        assert cells == {(language, metric) for language in ("en", "de") for metric in ("exact_match", "f1")}
        phase = next((tmp_path / "run" / "phases").glob(f"{record['id']}*"))
        for language in ("en", "de"):
            answers = json.loads((phase / "predictions" / "mlqa" / f"test-{language}.json").read_text())
            assert len(answers) == 10 and all(isinstance(a, str) for a in answers.values())
