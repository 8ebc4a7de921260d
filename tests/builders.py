"""Tiny models and small data files in the official formats, written by the tests themselves.

The data follow simple rules a tiny encoder can learn in seconds (the NLI label is carried by a keyword
shared by every "language"), so tests can check that training and zero-shot evaluation really work.
"""

from __future__ import annotations

import json
import random
import re
import string
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from xstilts.data.features import Features
from xstilts.data.sources import DataSource
from xstilts.phase_config import EvalPhaseConfig, ModelRef, TrainPhaseConfig

if TYPE_CHECKING:
    from xstilts.experiments.plan import Phase

NLI_KEYWORDS = {"entailment": "yes", "contradiction": "no", "neutral": "maybe"}
LANGUAGE_WORDS = {
    "en": ["cat", "dog", "house", "tree", "river", "sun", "book", "road", "bird", "city"],
    "de": ["katze", "hund", "haus", "baum", "fluss", "sonne", "buch", "strasse", "vogel", "stadt"],
    "sw": ["paka", "mbwa", "nyumba", "mti", "mto", "jua", "kitabu", "barabara", "ndege", "mji"],
    "fr": ["chat", "chien", "maison", "arbre", "riviere", "soleil", "livre", "route", "oiseau", "ville"],
}
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
EXTRA_WORDS = ["what", "is", "the", "where", "answer", "?", ".", ",", "a", "of", *NLI_KEYWORDS.values()]


def local(path: Path) -> DataSource:
    """The data source a task reads from a directory the test wrote (``data: {source: local, path: ...}``)."""
    return DataSource(source="local", path=str(path))


def write_text(path: Path, text: str) -> Path:
    """Writes a small file exactly as given (parents created), for reader tests that need byte-level control."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def vocabulary() -> list[str]:
    words = [w for ws in LANGUAGE_WORDS.values() for w in ws] + EXTRA_WORDS
    return SPECIALS + sorted(set(words))


def make_tiny_model(directory: Path, seed: int = 0, layers: int = 2, hidden: int = 32) -> Path:
    """A random-weight XLM-R-architecture encoder with a word-level fast tokenizer (XLM-R special ids)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    vocab = {word: i for i, word in enumerate(vocabulary())}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=512,
        model_input_names=["input_ids", "attention_mask"],
    )
    config = XLMRobertaConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=514,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        type_vocab_size=1,
    )
    torch.manual_seed(seed)
    XLMRobertaModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def nli_pair(rng: random.Random, language: str, label: str) -> tuple[str, str]:
    words = LANGUAGE_WORDS[language]
    premise = " ".join(rng.choice(words) for _ in range(rng.randint(3, 8)))
    hypothesis = " ".join([*(rng.choice(words) for _ in range(rng.randint(1, 4))), NLI_KEYWORDS[label]])
    return premise, hypothesis


def write_glue_mnli(directory: Path, n_train: int, n_dev: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    base = [
        "index",
        "promptID",
        "pairID",
        "genre",
        "sentence1_binary_parse",
        "sentence2_binary_parse",
        "sentence1_parse",
        "sentence2_parse",
        "sentence1",
        "sentence2",
    ]
    for name, n, label_columns in (
        ("train.tsv", n_train, ["label1"]),
        ("dev_matched.tsv", n_dev, [f"label{i}" for i in range(1, 6)]),
    ):
        lines = ["\t".join([*base, *label_columns, "gold_label"])]
        for i in range(n):
            label = rng.choice(sorted(NLI_KEYWORDS))
            a, b = nli_pair(rng, "en", label)
            lines.append(
                "\t".join(
                    [
                        str(i),
                        "1",
                        f"{i}e",
                        "fiction",
                        f"( {a} )",
                        f"( {b} )",
                        f"(ROOT {a})",
                        f"(ROOT {b})",
                        a,
                        b,
                        *[label] * len(label_columns),
                        label,
                    ]
                )
            )
        (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def write_xnli_official(directory: Path, languages: list[str], n_per_language: int, seed: int = 0) -> Path:
    """XNLI-1.0 layout: xnli.dev.tsv and xnli.test.tsv, every language in one file with a 'language' column."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    header = [
        "language",
        "gold_label",
        "sentence1_binary_parse",
        "sentence2_binary_parse",
        "sentence1_parse",
        "sentence2_parse",
        "sentence1",
        "sentence2",
        "promptID",
        "pairID",
        "genre",
        "label1",
        "label2",
        "label3",
        "label4",
        "label5",
        "sentence1_tokenized",
        "sentence2_tokenized",
        "match",
    ]
    for split in ("dev", "test"):
        lines = ["\t".join(header)]
        for language in languages:
            for i in range(n_per_language):
                label = rng.choice(sorted(NLI_KEYWORDS))
                a, b = nli_pair(rng, language, label)
                lines.append(
                    "\t".join(
                        [
                            language,
                            label,
                            "",
                            "",
                            "",
                            "",
                            a,
                            b,
                            str(i),
                            str(i),
                            "facetoface",
                            label,
                            label,
                            label,
                            label,
                            label,
                            a,
                            b,
                            "True",
                        ]
                    )
                )
        (directory / f"xnli.{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def write_pawsx_official(directory: Path, languages: list[str], n: int, seed: int = 0) -> Path:
    """PAWS-X x-final layout: LANG/{train,dev_2k,test_2k}.tsv with a header (train only for English)."""
    rng = random.Random(seed)
    for language in languages:
        (directory / language).mkdir(parents=True, exist_ok=True)
        files = ["dev_2k.tsv", "test_2k.tsv"] + (["train.tsv"] if language == "en" else [])
        for name in files:
            lines = ["id\tsentence1\tsentence2\tlabel"]
            for i in range(n):
                words = LANGUAGE_WORDS[language]
                a = [rng.choice(words) for _ in range(5)]
                label = rng.choice("01")
                b = list(a) if label == "1" else [rng.choice(words) for _ in range(5)]
                lines.append(f"{i + 1}\t{' '.join(a)}\t{' '.join(b)}\t{label}")
            (directory / language / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def squad_document(language: str, n_questions: int, seed: int, title: str = "t") -> dict:
    """SQuAD v1.1 JSON whose answer is the word after 'answer' in the context."""
    rng = random.Random(seed)
    words = LANGUAGE_WORDS[language]
    paragraphs = []
    for i in range(n_questions):
        before = " ".join(rng.choice(words) for _ in range(rng.randint(2, 30)))
        answer = rng.choice(words)
        after = " ".join(rng.choice(words) for _ in range(rng.randint(2, 30)))
        context = f"{before} answer {answer} {after} ."
        start = len(before) + len(" answer ")
        paragraphs.append(
            {
                "context": context,
                "qas": [
                    {
                        "id": f"{language}-{seed}-{i}",
                        "question": f"what is the answer {rng.choice(words)} ?",
                        "answers": [{"text": answer, "answer_start": start}] * 3,
                    }
                ],
            }
        )
    return {"version": "1.1", "data": [{"title": title, "paragraphs": paragraphs}]}


def write_squad(directory: Path, n_train: int, n_dev: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "train-v1.1.json").write_text(json.dumps(squad_document("en", n_train, 1)), encoding="utf-8")
    (directory / "dev-v1.1.json").write_text(json.dumps(squad_document("en", n_dev, 2)), encoding="utf-8")
    return directory


def write_xquad(directory: Path, languages: list[str], n: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for k, language in enumerate(languages):
        text = json.dumps(squad_document(language, n, 10 + k), ensure_ascii=False)
        (directory / f"xquad.{language}.json").write_text(text, encoding="utf-8")
    return directory


def evaluation_record(phase: str, variant: str, seed: int, accuracy: dict[str, float]) -> dict:
    """A phase.json-shaped record of an XNLI evaluation, for results-store and report tests."""
    return {
        "id": phase,
        "kind": "evaluate",
        "role": "evaluate",
        "variant": variant,
        "seed": seed,
        "tasks": ["xnli"],
        "parent": None,
        "config": {},
        "wall_seconds": 12.5,
        "versions": {"xstilts": "0.1.0"},
        "metrics": [
            {"task": "xnli", "language": lang, "split": "test", "metric": "accuracy", "value": value}
            for lang, value in accuracy.items()
        ],
    }


def install_fake_hub(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[tuple, dict], list[tuple]]:
    """Replaces ``datasets.load_dataset`` by in-memory tables, so hub readers are tested without a network:
    returns ``tables``, filled by the test as ``tables[(dataset, config, split)] = columns``, and the list of calls
    ``(dataset, config, split, revision)``, to check which configs and revisions a reader asks for."""
    import datasets

    tables: dict[tuple, dict] = {}
    calls: list[tuple] = []

    def load_dataset(
        path: str, name: str | None = None, *, split: str | None = None, revision: str | None = None, **kwargs: Any
    ) -> Any:
        calls.append((path, name, split, revision))
        if (path, name, split) not in tables:
            raise FileNotFoundError(f"no such hub table {(path, name, split)}")
        return datasets.Dataset.from_dict(tables[(path, name, split)])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    return tables, calls


def hand_span_features(windows: list[tuple[int, list[tuple[int, int]]]], starts: list[int] | None = None) -> Features:
    """Span features from (example index, offsets per token) windows; token ids do not matter to decoding.
    ``starts``: each window's first context token in its example's context (default 0: one window each)."""
    return Features(
        sequences={
            "input_ids": [[5] * len(offsets) for _, offsets in windows],
            "offsets": [[v for pair in offsets for v in pair] for _, offsets in windows],
        },
        scalars={
            "example_index": [e for e, _ in windows],
            "start_position": [0] * len(windows),
            "window_start": starts if starts is not None else [0] * len(windows),
        },
    )


def logits_of(n: int, starts: dict[int, float], ends: dict[int, float]) -> np.ndarray:
    """Span-head logits for ``n`` tokens, zero but for the given start and end scores: decoding tests set by hand
    which span must win."""
    row = np.zeros((n, 2), dtype=np.float32)
    for i, v in starts.items():
        row[i, 0] = v
    for i, v in ends.items():
        row[i, 1] = v
    return row


# Stands in for `python -m xstilts.cli run-phase RUN_DIR PHASE_ID` in executor tests (standard library only, so it
# starts fast): checks that the parent is done, takes a while, writes the phase's record and DONE; fails for the
# phase named in the run directory's `fail` file.
FAKE_PHASE = """
import json, sys, time
from pathlib import Path

run_dir, phase_id = Path(sys.argv[-2]), sys.argv[-1]
phase = next(p for p in json.loads((run_dir / "plan.json").read_text()) if p["id"] == phase_id)
if phase["parent"] and not (run_dir / "phases" / phase["parent"] / "DONE").exists():
    sys.exit("started before its parent finished")
started = time.time()
time.sleep(0.6)
fail = run_dir / "fail"
if fail.exists() and fail.read_text() == phase_id:
    sys.exit(f"{phase_id} fails on purpose")
metric = {"task": "xnli", "language": "en", "split": "test", "metric": "accuracy", "value": 50.0}
record = {**phase, "metrics": [metric], "started_at": started, "finished_at": time.time()}
directory = run_dir / "phases" / phase_id
directory.mkdir(parents=True, exist_ok=True)
(directory / "phase.json").write_text(json.dumps(record))
(directory / "DONE").write_text("")
"""


def stub_phase(
    phase_id: str, kind: str, variant: str, seed: int, parent: str | None, children: tuple[str, ...] = ()
) -> Phase:
    """A phase that executor tests schedule but never compute (``FAKE_PHASE`` stands in for it, or a check stops it
    first): an XNLI target (``train``) or its evaluation, with a valid config that names no real model or data."""
    from xstilts.experiments.plan import Phase  # here: planning imports every task, which conftest does not need

    if kind == "train":
        model = None if parent else ModelRef(name="stub", revision=None, fingerprint="stub")
        config: TrainPhaseConfig | EvalPhaseConfig = TrainPhaseConfig(
            parent=parent, model=model, trust_remote_code=False, seed=seed, optimizer={}, heads={}
        )
    else:
        config = EvalPhaseConfig(
            parent=parent,
            task="xnli",
            split="test",
            languages=["en"],
            source=DataSource(),
            data={},
            trust_remote_code=False,
        )
    role = "target" if kind == "train" else "evaluate"
    return Phase(phase_id, kind, role, variant, seed, ("xnli",), parent, config, list(children))


def fake_phase_launcher(directory: Path) -> list[str]:
    """The launcher (``executor.launcher``) that runs ``FAKE_PHASE`` instead of a real phase."""
    script = directory / "fake_phase.py"
    script.write_text(textwrap.dedent(FAKE_PHASE))
    return [sys.executable, str(script)]


def run_outcome(run_dir: Path) -> tuple[dict[tuple, float], dict[str, np.ndarray]]:
    """What an exact resume must reproduce: a run's metrics by (phase, task, language, split, metric), read
    through ``xstilts results --json``, and every tensor its phases saved (encoders, heads), by file and name."""
    from safetensors.numpy import load_file
    from typer.testing import CliRunner

    from xstilts.cli import app

    result = CliRunner().invoke(app, ["results", str(run_dir), "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    metrics = {(r["phase"], r["task"], r["language"], r["split"], r["metric"]): r["value"] for r in records}
    tensors = {
        f"{path.relative_to(run_dir)}:{name}": array
        for path in sorted(run_dir.glob("phases/**/*.safetensors"))
        for name, array in load_file(path).items()
    }
    return metrics, tensors


def assert_same_outcome(run_dir: Path, expected: tuple[dict[tuple, float], dict[str, np.ndarray]]) -> None:
    """The run in ``run_dir`` ended bit-identical to ``expected`` (a ``run_outcome``): equal metrics, and equal
    tensors in every saved file."""
    metrics, tensors = run_outcome(run_dir)
    assert metrics and metrics == expected[0]
    assert tensors and tensors.keys() == expected[1].keys()
    different = [key for key, array in tensors.items() if not np.array_equal(array, expected[1][key])]
    assert not different, f"tensors differ from the uninterrupted run's: {different[:5]}"


def reference_normalize(text: str) -> str:
    """The official SQuAD v1.1 normaliser, written out step by step (lower, punctuation, articles, whitespace): an
    oracle for the metric code, kept apart from it."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def reference_f1(prediction: str, gold: str) -> float:
    """SQuAD v1.1 token F1 over the normalised answers, as the official script defines it."""
    p, g = reference_normalize(prediction).split(), reference_normalize(gold).split()
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)
