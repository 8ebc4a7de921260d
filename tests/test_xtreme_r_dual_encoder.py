"""XTREME-R's recipes for LAReQA and Mewsli-X through the dual-encoder kind: SQuAD v1.1 as answer-sentence
retrieval, Mewsli-X's Wikipedia mention-entity pairs, the plan's training stage (``retrieval: {after:
dual_encoder}``), and a tiny LAReQA run whose evaluation reads the trained dual encoder's layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import write_squad
from tests.retrieval_files import mewsli_context, mewsli_entity, write_xquad_r
from xstilts.cli import app
from xstilts.data.answer_sentences import answer_sentence_pairs, answer_sentence_set, sentence_breaks
from xstilts.data.examples import Answer, SpanExample
from xstilts.data.mewsli import read_mention_entity_pairs
from xstilts.data.sources import DataSource
from xstilts.errors import ConfigError, DataFormatError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.tasks.lareqa import LAREQA_LANGUAGES
from xstilts.tasks.registry import get_task

PARAGRAPH = 'Dr. Smith moved to Paris in 1990. He wrote "Big Trees." Later, J. K. Rowling visited! It rained.'


def test_sentence_breaks_skip_abbreviations_and_initials() -> None:
    sentences = [PARAGRAPH[a:b] for a, b in sentence_breaks(PARAGRAPH)]
    assert sentences == [
        "Dr. Smith moved to Paris in 1990.",
        'He wrote "Big Trees."',
        "Later, J. K. Rowling visited!",
        "It rained.",
    ]
    assert sentence_breaks("  one sentence  ") == [(2, 14)]


def test_squad_questions_retrieve_their_answer_sentence_with_its_paragraph() -> None:
    examples = [
        SpanExample("q1", "Where did Smith move?", PARAGRAPH, (Answer("Paris", PARAGRAPH.index("Paris")),)),
        SpanExample("q2", "What did he write?", PARAGRAPH, (Answer("Big Trees", PARAGRAPH.index("Big")),)),
        SpanExample("q3", "Unanswerable?", PARAGRAPH, ()),
    ]
    pairs = answer_sentence_pairs(examples)
    assert [p.guid for p in pairs] == ["q1", "q2"]
    assert pairs[0].positive.text == "Dr. Smith moved to Paris in 1990." and pairs[0].positive.context == PARAGRAPH
    search = answer_sentence_set(examples, "dev")
    assert len(search.candidates) == 4 and len(search.queries) == 2  # the paragraph's sentences, listed once
    assert dict(search.gold)["q2"] == pairs[1].positive.id


def _pair_line(example_id: str, entity_id: str, mention: str, text: str, description: str) -> dict:
    context = mewsli_context("en", text, [(example_id, mention, entity_id)])
    return {
        "contextual_mention": {"context": context["context"], "mention": context["mentions"][0]},
        "entity": mewsli_entity(entity_id, description),
    }


def test_mewsli_wikipedia_pairs_and_their_errors(tmp_path: Path) -> None:
    lines = [
        _pair_line("m1", "Q1", "Paris", "I saw Paris. It was big", "Paris is the capital of France."),
        _pair_line("m2", "Q2", "Berlin", "Berlin is far. Yes", "Berlin is a city in Germany."),
    ]
    path = tmp_path / "wikipedia_pairs-dev.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    pairs = read_mention_entity_pairs(path)
    assert [(p.query.id, p.positive.id) for p in pairs] == [("m1", "Q1"), ("m2", "Q2")]
    assert (
        pairs[0].query.text == "Paris: I saw { Paris }" and pairs[0].positive.text == "Paris is the capital of France."
    )
    (search,) = get_task("mewsli_x_wiki").read("dev", "en", DataSource(source="local", path=str(tmp_path)))
    assert [c.id for c in search.candidates] == ["Q1", "Q2"] and search.gold == (("m1", "Q1"), ("m2", "Q2"))
    lines[1]["entity"]["entity_id"] = "Q9"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(DataFormatError, match=r"dev\.jsonl:2: field 'entity\.entity_id': 'Q9' is not the mention's"):
        read_mention_entity_pairs(path)
    del lines[1]["contextual_mention"]["mention"]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(DataFormatError, match=r":2: field 'contextual_mention': missing field 'mention'"):
        read_mention_entity_pairs(path)


SPEC = """name: r
model: xlm-roberta-large
intermediate: [none]
target: [lareqa, mewsli_x, tatoeba]
tasks:
  lareqa: {retrieval: {after: dual_encoder}}
  mewsli_x: {retrieval: {after: dual_encoder}}
"""


def test_plan_trains_lareqa_and_mewsli_x_dual_encoders_first(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(SPEC)
    plan = build_plan(load_spec(path))
    trained = {p.tasks[0]: p for p in plan if p.kind == "train"}
    assert set(trained) == {"lareqa_squad", "mewsli_x_wiki"}
    assert trained["lareqa_squad"].config.heads["lareqa_squad"].kind == "dual_encoder"
    evaluations = {p.tasks[0]: p for p in plan if p.kind == "evaluate"}
    assert evaluations["lareqa"].parent == trained["lareqa_squad"].id
    assert evaluations["tatoeba"].parent is None
    path.write_text(
        SPEC.replace("mewsli_x: {retrieval: {after: dual_encoder}}", "tatoeba: {retrieval: {after: dual_encoder}}")
    )
    with pytest.raises(ConfigError, match="'tatoeba' has no dual-encoder training recipe"):
        load_spec(path)


@pytest.mark.slow
def test_lareqa_trained_as_a_dual_encoder_is_evaluated_on_its_trained_layer(tiny_model: Path, tmp_path: Path) -> None:
    squad, xquad_r = write_squad(tmp_path / "squad", n_train=32, n_dev=8), tmp_path / "xquad_r"
    write_xquad_r(xquad_r, list(LAREQA_LANGUAGES), questions=3)
    spec = tmp_path / "e.yaml"
    spec.write_text(
        f"name: l\nmodel: {tiny_model}\nintermediate: [none]\ntarget: [lareqa]\n"
        "training: {lr: 1.0e-3, batch_size: 8, max_length: 48, max_query_length: 16, epochs: 1, eval_batch_size: 32}\n"
        f"tasks:\n  lareqa_squad: {{data: {{source: local, path: {squad}}}}}\n"
        f"  lareqa: {{data: {{source: local, path: {xquad_r}}}, languages: [de, en],"
        " retrieval: {after: dual_encoder}}\n"
    )
    run = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(run)])
    assert result.exit_code == 0, result.output
    plan = json.loads((run / "plan.json").read_text())
    (evaluation,) = [p for p in plan if p["kind"] == "evaluate"]
    record = json.loads((run / "phases" / evaluation["id"] / "languages" / "de.json").read_text())
    assert record["retrieval"]["layer"] == record["retrieval"]["num_layers"] == 2  # the dual encoder's last layer
    assert 0.0 <= record["scores"]["map@20"] <= 100.0
