"""`xstilts run` with an MLQA target: the evaluation phase scores each language's set with MLQA's normalisation
for *that* language. The span model is replaced by one whose output is known (it always points at the word that
starts at character 4 of the context), so every prediction is fixed by the data and the recorded EM/F1 can be
worked out by hand with MLQA's rules; decoding, metric and phase wiring are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import experiment_yaml
from xstilts.cli import app
from xstilts.evaluation import scoring

SPAN = "training: {max_length: 64, doc_stride: 32, max_query_length: 16, max_train_examples: 16}"
ANSWER_AT = 4  # the character where the known model's answer word starts

# (context, gold answer at character 0): the model answers the word at character 4, the gold answer's noun.
MLQA_SETS = {
    "de": [
        ("der hund schläft im haus .", "der hund"),  # "hund"; de: the article "der" drops, EM 1, F1 1
        ("die katze sitzt auf dem baum .", "die katze"),  # "katze"; likewise ("die")
        ("das buch liegt dort .", "das buch"),  # "buch"; likewise ("das")
        ("wir sehen den fluss .", "den fluss"),  # "sehen": a wrong answer, EM 0, F1 0 under any rules
    ],
    "en": [
        ("the cat sleeps in the house .", "the cat"),  # "cat"; en: "the" drops, EM 1, F1 1
        ("the dog runs .", "the dog"),  # "dog"; likewise
    ],
}


def mlqa_document(language: str) -> dict[str, Any]:
    paragraphs = [
        {
            "context": context,
            "qas": [{"id": f"{language}-{i}", "question": "what ?", "answers": [{"text": gold, "answer_start": 0}]}],
        }
        for i, (context, gold) in enumerate(MLQA_SETS[language])
    ]
    return {"version": "1.0", "data": [{"title": language, "paragraphs": paragraphs}]}


def known_span_model(model: Any, head: str, features: Any, *args: Any, **kwargs: Any) -> list[np.ndarray]:
    """Stands in for the forward pass: start and end logit 10 at the token whose text starts at character 4."""
    rows = []
    for flat in features.sequences["offsets"]:
        row = np.zeros((len(flat) // 2, 2), dtype=np.float32)
        row[[i for i, start in enumerate(flat[0::2]) if start == ANSWER_AT]] = 10.0
        rows.append(row)
    return rows


def test_mlqa_evaluation_normalises_each_language_by_its_own_rules(
    tiny_model: Path, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlqa = tmp_path / "MLQA_V1" / "test"
    mlqa.mkdir(parents=True)
    for language in MLQA_SETS:
        text = json.dumps(mlqa_document(language), ensure_ascii=False)
        (mlqa / f"test-context-{language}-question-{language}.json").write_text(text, encoding="utf-8")
    monkeypatch.setattr(scoring, "forward_all", known_span_model)
    spec = experiment_yaml(
        tiny_model,
        data_root,
        intermediate="[none]",
        target="[mlqa]",
        training="{lr: 5.0e-4, batch_size: 16, max_length: 64, epochs: 1, eval_batch_size: 32}",
    )
    spec += f"  mlqa: {{data: {{source: local, path: {mlqa.parent}}}, languages: [de, en], {SPAN}}}\n"
    (tmp_path / "experiment.yaml").write_text(spec)
    result = CliRunner().invoke(app, ["run", str(tmp_path / "experiment.yaml"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output

    records = [json.loads(p.read_text()) for p in (tmp_path / "run" / "phases").glob("*/phase.json")]
    (evaluation,) = [r for r in records if r["kind"] == "evaluate"]
    scores = {(m["language"], m["metric"]): m["value"] for m in evaluation["metrics"]}
    phase = tmp_path / "run" / "phases" / evaluation["id"]
    answers = json.loads((phase / "predictions" / "mlqa" / "test-de.json").read_text(encoding="utf-8"))
    assert answers == {"de-0": "hund", "de-1": "katze", "de-2": "buch", "de-3": "sehen"}
    # German rules drop der/die/das: three exact answers and one wrong one, EM = F1 = 100 x 3/4. English rules
    # (the wiring broken) would keep the articles: "der hund" vs "hund" is EM 0, F1 2·(1·1/2)/(1 + 1/2) = 2/3,
    # so EM 0 and F1 100 x (3 x 2/3)/4 = 50.
    assert scores[("de", "exact_match")] == pytest.approx(75.0)
    assert scores[("de", "f1")] == pytest.approx(75.0)
    # English rules drop "the" (German ones would not: EM 0, F1 66.7)
    assert scores[("en", "exact_match")] == pytest.approx(100.0)
    assert scores[("en", "f1")] == pytest.approx(100.0)
