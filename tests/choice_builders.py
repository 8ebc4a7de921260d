"""Small multiple-choice files in the official layouts (COPA/XCOPA, Social IQa, HellaSwag, CommonsenseQA, Cosmos
QA), written by the tests. The right choice carries the keyword "yes" and the wrong ones "no" in every
"language", so a tiny encoder can learn the rule in seconds and transfer it zero-shot.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from tests.builders import LANGUAGE_WORDS

# The tiny tokenizer knows a fixed vocabulary; XCOPA's Italian stand-in reuses the French word list.
CHOICE_WORDS = {"en": LANGUAGE_WORDS["en"], "sw": LANGUAGE_WORDS["sw"], "it": LANGUAGE_WORDS["fr"]}


def _words(rng: random.Random, language: str, low: int, high: int) -> str:
    return " ".join(rng.choice(CHOICE_WORDS[language]) for _ in range(rng.randint(low, high)))


def _choices(rng: random.Random, language: str, n: int, right: int) -> list[str]:
    return [f"{_words(rng, language, 1, 3)} {'yes' if k == right else 'no'}" for k in range(n)]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def copa_rows(language: str, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = rng.randint(0, 1)
        choice1, choice2 = _choices(rng, language, 2, label)
        question = rng.choice(["cause", "effect"])
        rows.append(
            {"premise": _words(rng, language, 3, 8), "choice1": choice1, "choice2": choice2, "question": question}
            | {"label": label, "idx": i}
        )
    return rows


def write_copa_xtreme(directory: Path, n_train: int, n_dev: int) -> Path:
    """XTREME-R's XCOPA download for English: train-en.jsonl and val-en.jsonl."""
    _write_jsonl(directory / "train-en.jsonl", copa_rows("en", n_train, 1))
    _write_jsonl(directory / "val-en.jsonl", copa_rows("en", n_dev, 2))
    return directory


def write_xcopa_official(directory: Path, languages: list[str], n: int) -> Path:
    """The official XCOPA repository: data/LANG/{val,test}.LANG.jsonl (with the 'changed' flag)."""
    for k, language in enumerate(languages):
        for s, split in enumerate(("val", "test")):
            rows = [row | {"changed": False} for row in copa_rows(language, n, 10 + 2 * k + s)]
            _write_jsonl(directory / "data" / language / f"{split}.{language}.jsonl", rows)
    return directory


def siqa_rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        right = rng.randint(0, 2)
        answers = _choices(rng, "en", 3, right)
        rows.append(
            {"context": _words(rng, "en", 4, 9), "question": "what is the answer ?"}
            | {"answerA": answers[0], "answerB": answers[1], "answerC": answers[2], "correct": "ABC"[right]}
        )
    return rows


def write_siqa_v14(directory: Path, n_train: int, n_dev: int) -> Path:
    """XTREME's Social IQa download: socialIQa_v1.4_{trn,dev}.jsonl with the right answer's letter."""
    _write_jsonl(directory / "socialIQa_v1.4_trn.jsonl", siqa_rows(n_train, 3))
    _write_jsonl(directory / "socialIQa_v1.4_dev.jsonl", siqa_rows(n_dev, 4))
    return directory


def write_siqa_official(directory: Path, n: int, split: str = "dev") -> Path:
    """AllenAI's release: {split}.jsonl without labels and {split}-labels.lst with 1, 2 or 3."""
    rows = siqa_rows(n, 5)
    _write_jsonl(directory / f"{split}.jsonl", [{k: v for k, v in r.items() if k != "correct"} for r in rows])
    labels = "".join(f"{'ABC'.index(r['correct']) + 1}\n" for r in rows)
    (directory / f"{split}-labels.lst").write_text(labels, encoding="utf-8")
    return directory


def hellaswag_rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = rng.randint(0, 3)
        ctx_a, ctx_b = _words(rng, "en", 4, 9), _words(rng, "en", 1, 2)
        rows.append(
            {"ind": i, "activity_label": "walking", "ctx_a": ctx_a, "ctx_b": ctx_b, "ctx": f"{ctx_a} {ctx_b}"}
            | {"split": "train", "split_type": "indomain", "label": label, "endings": _choices(rng, "en", 4, label)}
            | {"source_id": f"activitynet~v_{i}"}
        )
    return rows


def write_hellaswag(directory: Path, n_train: int, n_dev: int) -> Path:
    """The official data directory: hellaswag_train.jsonl and hellaswag_val.jsonl."""
    _write_jsonl(directory / "hellaswag_train.jsonl", hellaswag_rows(n_train, 6))
    _write_jsonl(directory / "hellaswag_val.jsonl", hellaswag_rows(n_dev, 7))
    return directory


def write_commonsenseqa(directory: Path, n: int, split: str = "dev") -> Path:
    """The official release: {split}_rand_split.jsonl with answerKey and question{stem, choices}."""
    rng = random.Random(8)
    rows = []
    for i in range(n):
        right = rng.randint(0, 4)
        texts = _choices(rng, "en", 5, right)
        choices = [{"label": key, "text": text} for key, text in zip("ABCDE", texts, strict=True)]
        question = {"question_concept": "cat", "choices": choices, "stem": _words(rng, "en", 3, 6) + " ?"}
        rows.append({"answerKey": "ABCDE"[right], "id": f"q{i}", "question": question})
    return _write_jsonl(directory / f"{split}_rand_split.jsonl", rows).parent


def write_cosmosqa(directory: Path, n: int, name: str = "valid.csv") -> Path:
    """The official CSV: id, context, question, answer0..answer3, label (contexts hold commas and newlines)."""
    rng = random.Random(9)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "context", "question", "answer0", "answer1", "answer2", "answer3", "label"])
        for i in range(n):
            right = rng.randint(0, 3)
            context = f"{_words(rng, 'en', 3, 6)} , {_words(rng, 'en', 2, 4)}\n{_words(rng, 'en', 2, 4)}"
            writer.writerow([f"id{i}", context, "what is the answer ?", *_choices(rng, "en", 4, right), right])
    return directory
