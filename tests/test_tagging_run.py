"""`xstilts run` with token tagging: a baseline and a CCG intermediate phase, UD-POS as the target trained on
English tsv files the test writes (some sentences longer than max_length), zero-shot evaluation in en and de."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import LANGUAGE_WORDS
from xstilts.cli import app
from xstilts.tasks.udpos import UPOS_TAGS

pytestmark = pytest.mark.slow

MAX_LENGTH = 16


def pos_of(word: str, language: str) -> str:
    """A rule the tiny encoder can learn from the word alone: the first five words of a language are nouns."""
    return "NOUN" if LANGUAGE_WORDS[language].index(word) < 5 else "VERB"


def tagged_sentences(language: str, n: int, seed: int) -> list[list[tuple[str, str]]]:
    rng = random.Random(seed)
    sentences = []
    for i in range(n):
        length = 24 if i % 5 == 0 else rng.randint(3, 9)  # every fifth sentence needs two features
        words = [rng.choice(LANGUAGE_WORDS[language]) for _ in range(length)]
        sentences.append([(w, pos_of(w, language)) for w in words] + [(".", "PUNCT")])
    return sentences


def write_tsv(path: Path, sentences: list[list[tuple[str, str]]]) -> None:
    path.write_text("".join("".join(f"{w}\t{t}\n" for w, t in s) + "\n" for s in sentences), encoding="utf-8")


@pytest.fixture(scope="module")
def tagging_run(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("tagging")
    udpos, ccg = root / "udpos", root / "ccg"
    udpos.mkdir()
    ccg.mkdir()
    write_tsv(udpos / "train-en.tsv", tagged_sentences("en", 160, 1))
    write_tsv(udpos / "dev-en.tsv", tagged_sentences("en", 30, 2))
    for k, language in enumerate(("en", "de")):
        write_tsv(udpos / f"test-{language}.tsv", tagged_sentences(language, 25, 3 + k))
    supertag = {"NOUN": "N", "VERB": "S\\NP", "PUNCT": "."}
    for split, n in (("train", 48), ("dev", 16)):
        sentences = [[(w, supertag[t]) for w, t in s] for s in tagged_sentences("en", n, 10 + n)]
        write_tsv(ccg / f"{split}.tsv", sentences)
    (ccg / "tags.txt").write_text("N\nS\\NP\n.\nNP\n", encoding="utf-8")
    spec = root / "experiment.yaml"
    spec.write_text(
        "\n".join(
            [
                "name: tagging",
                f"model: {tiny_model}",
                "seeds: [1]",
                "intermediate: [none, ccg]",
                "target: [udpos]",
                f"training: {{lr: 1.0e-3, batch_size: 16, max_length: {MAX_LENGTH}, epochs: 3, checkpoint_every: 50,"
                " eval_batch_size: 32}",
                "tasks:",
                f"  udpos: {{data: {{source: local, path: {udpos}}}, languages: [en, de]}}",
                f"  ccg: {{data: {{source: local, path: {ccg}}}}}",
            ]
        )
        + "\n"
    )
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    records = CliRunner().invoke(app, ["results", str(root / "run"), "--json"])
    assert records.exit_code == 0, records.output
    return root, {"output": result.output, "records": json.loads(records.output[records.output.index("[") :])}


def test_every_variant_is_scored_in_both_languages(tagging_run: tuple[Path, dict]) -> None:
    _, run = tagging_run
    evaluation = [r for r in run["records"] if r["role"] == "evaluate"]
    cells = {(r["variant"], r["language"], r["metric"]) for r in evaluation}
    for variant in ("baseline", "ccg"):
        for language in ("en", "de"):
            assert {(variant, language, m) for m in ("f1", "precision", "recall")} <= cells
    assert all(r["task"] == "udpos" and r["split"] == "test" and 0 <= r["value"] <= 100 for r in evaluation)
    dev = {(r["task"], r["metric"]) for r in run["records"] if r["role"] != "evaluate"}
    assert {("udpos", "f1"), ("ccg", "accuracy")} <= dev
    # English is learnable from the word alone: the baseline's English F1 must be far above chance.
    english = next(r for r in evaluation if (r["variant"], r["language"], r["metric"]) == ("baseline", "en", "f1"))
    assert english["value"] > 60, run["output"]
    assert "udpos · test · f1" in run["output"]


def test_predictions_are_xtreme_tagging_files_with_one_tag_per_word(tagging_run: tuple[Path, dict]) -> None:
    root, _ = tagging_run
    files = sorted((root / "run" / "phases").glob("*/predictions/udpos/test-de.tsv"))
    assert len(files) == 2
    gold = [block.splitlines() for block in (root / "udpos" / "test-de.tsv").read_text(encoding="utf-8").split("\n\n")]
    gold = [b for b in gold if b]
    assert any(len(s) > MAX_LENGTH for s in gold)  # long sentences were split into features and put back together
    for path in files:
        predicted = [b.splitlines() for b in path.read_text(encoding="utf-8").split("\n\n") if b]
        assert [len(s) for s in predicted] == [len(s) for s in gold]
        assert {tag for s in predicted for tag in s} <= set(UPOS_TAGS)


def test_ccg_head_uses_the_inventory_of_its_data(tagging_run: tuple[Path, dict]) -> None:
    root, _ = tagging_run
    plan = json.loads((root / "run" / "plan.json").read_text())
    [intermediate] = [p for p in plan if p["role"] == "intermediate"]
    assert intermediate["config"]["heads"]["ccg"]["labels"] == ["N", "S\\NP", ".", "NP"]
    heads = json.loads((root / "run" / "phases" / intermediate["id"] / "heads.json").read_text())
    assert heads["ccg"]["kind"] == "token_tagging" and heads["ccg"]["num_labels"] == 4
