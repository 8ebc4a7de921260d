"""A mock XTREME / XTREME-R submission and its labels, in the official layout (``<task>/test-<lang>.<ext>``), of the
kind google-research/xtreme's ``mock_test_data`` holds: a few examples per task and language, the predictions
partly right. Generated here (not copied) by fixed rules from a seeded stream, so the tests can write it wherever
they need it; ``tests/test_score_mock_data.py`` pins what the official ``evaluate.py`` scores it as.

Only ``random.Random.random()`` is used (string seeds): its sequence is the one thing Python promises to keep
across versions, so the files, and the pinned scores, are the same on every machine.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from xstilts.benchmarks import TASK_LANGUAGES

# Each task's folder name in the official layout, extension, and writer (stream, language) -> (prediction, label).
Files = tuple[str, str]

NLI_LABELS = ("contradiction", "entailment", "neutral")
UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "NOUN", "NUM", "PRON", "PROPN", "PUNCT", "VERB", "X")
ENTITY_TYPES = ("PER", "ORG", "LOC")
# Words for QA contexts: a few scripts, so that normalisation and (for zh) character segmentation matter.
WORDS = {
    "latin": ("river", "stone", "garden", "winter", "copper", "harbour", "lantern", "meadow", "signal", "orchard"),
    "zh": ("电池", "北京", "大学", "铁路", "港口", "花园", "冬天", "信号", "果园", "石头"),
    "ar": ("الطرق", "نهر", "حجر", "حديقة", "شتاء", "نحاس", "ميناء", "فانوس", "مرج", "إشارة"),
    "hi": ("नदी", "पत्थर", "बगीचा", "सर्दी", "तांबा", "बंदरगाह", "लालटेन", "घास", "संकेत", "बाग"),
    "ru": ("река", "камень", "сад", "зима", "медь", "гавань", "фонарь", "луг", "сигнал", "роща"),
    "th": ("แม่น้ำ", "หิน", "สวน", "ฤดูหนาว", "ทองแดง", "ท่าเรือ", "ตะเกียง", "ทุ่ง", "สัญญาณ", "ไร่"),
}
SCRIPT = {"zh": "zh", "ja": "zh", "ar": "ar", "fa": "ar", "ur": "ar", "hi": "hi", "bn": "hi", "mr": "hi"}
SCRIPT |= {"ru": "ru", "bg": "ru", "uk": "ru", "kk": "ru", "th": "th"}
# Articles the MLQA normaliser removes (evaluate_mlqa.py), so that some predictions differ from gold only by one.
ARTICLES = {"en": "the", "es": "los", "de": "der", "vi": "những", "ar": "ال", "hi": "", "zh": ""}


class Stream:
    def __init__(self, *key: object) -> None:
        self._rng = random.Random(":".join(str(part) for part in key))

    def below(self, n: int) -> int:
        return min(n - 1, int(self._rng.random() * n))

    def chance(self, p: float) -> bool:
        return self._rng.random() < p

    def pick(self, items: tuple[str, ...]) -> str:
        return items[self.below(len(items))]


def _error_rate(language: str) -> float:
    """How often a prediction is wrong: from 0.05 to 0.65, varying with the language."""
    return 0.05 + 0.1 * (sum(map(ord, language)) % 7)


def _lines(values: list[str]) -> str:
    return "".join(f"{value}\n" for value in values)


def _other(stream: Stream, value: str, choices: tuple[str, ...]) -> str:
    return choices[(choices.index(value) + 1 + stream.below(len(choices) - 1)) % len(choices)]


def _labels(choices: tuple[str, ...]) -> Callable[[Stream, str], Files]:
    def write(stream: Stream, language: str) -> Files:
        gold = [stream.pick(choices) for _ in range(8 + stream.below(8))]
        wrong = _error_rate(language)
        predicted = [_other(stream, g, choices) if stream.chance(wrong) else g for g in gold]
        return _lines(predicted), _lines(gold)

    return write


def _xcopa(stream: Stream, language: str) -> Files:
    gold = [stream.below(2) for _ in range(8 + stream.below(8))]
    wrong = _error_rate(language)
    predicted = [1 - g if stream.chance(wrong) else g for g in gold]
    rows = lambda labels: _lines([json.dumps({"idx": i, "label": label}) for i, label in enumerate(labels)])  # noqa: E731
    return rows(predicted), rows(gold)


def _entity_sentence(stream: Stream, length: int) -> list[str]:
    tags = ["O"] * length
    position = stream.below(3)
    while position < length - 1:
        kind, span = stream.pick(ENTITY_TYPES), 1 + stream.below(3)
        for k in range(position, min(length, position + span)):
            tags[k] = ("B-" if k == position else "I-") + kind
        position += span + 1 + stream.below(4)
    return tags


def _mutate_entities(stream: Stream, tags: list[str], wrong: float) -> list[str]:
    """Per tag, with probability ``wrong``: another type, an entity begun with I-, a span cut or extended."""
    out = list(tags)
    for k, tag in enumerate(tags):
        if not stream.chance(wrong):
            continue
        change = stream.below(4)
        if change == 0 and tag != "O":
            out[k] = tag[:2] + _other(stream, tag[2:], ENTITY_TYPES)
        elif change == 1 and tag.startswith("B-"):
            out[k] = "I-" + tag[2:]
        elif change == 2:
            out[k] = "O"
        elif k > 0 and out[k - 1] != "O":
            out[k] = "I-" + out[k - 1][2:]
    return out


def _tag_file(sentences: list[list[str]]) -> str:
    return "".join(_lines(tags) + "\n" for tags in sentences)


def _panx(stream: Stream, language: str) -> Files:
    gold = [_entity_sentence(stream, 4 + stream.below(9)) for _ in range(2 + stream.below(4))]
    predicted = [_mutate_entities(stream, tags, _error_rate(language)) for tags in gold]
    return _tag_file(predicted), _tag_file(gold)


def _udpos(stream: Stream, language: str) -> Files:
    gold = [[stream.pick(UPOS) for _ in range(3 + stream.below(10))] for _ in range(2 + stream.below(3))]
    wrong = _error_rate(language)
    predicted = [[_other(stream, t, UPOS) if stream.chance(wrong) else t for t in tags] for tags in gold]
    return _tag_file(predicted), _tag_file(gold)


def _bucc(stream: Stream, language: str) -> Files:
    sources = [f"{language}-{413000 + 37 * k:09d}" for k in range(10)]
    targets = [f"en-{91000 + 4099 * stream.below(60):09d}" for _ in range(10)]
    gold = [f"{s}\t{t}" for s, t in zip(sources, targets, strict=True)]
    predicted = []
    for k, source in enumerate(sources):
        if stream.chance(0.15):
            continue  # a gold pair not found
        wrong = stream.chance(_error_rate(language))
        predicted.append(f"{source}\t{targets[(k + 1) % 10] if wrong else targets[k]}")
    predicted.append(predicted[0])  # a pair listed twice counts once
    predicted += [f"{language}-{999000 + k:09d}\ten-{k:09d}" for k in range(1 + stream.below(2))]  # not in gold
    return _lines(predicted), _lines(gold)


def _tatoeba(stream: Stream, language: str) -> Files:
    gold = [stream.below(1000) for _ in range(10)]
    wrong = _error_rate(language)
    predicted = [(g + 1 + stream.below(999)) % 1000 if stream.chance(wrong) else g for g in gold]
    return _lines([str(p) for p in predicted]), _lines([str(g) for g in gold])


def _phrase(stream: Stream, language: str, words: int) -> str:
    pool = WORDS[SCRIPT.get(language, "latin")]
    joiner = "" if SCRIPT.get(language) in ("zh", "th") else " "
    return joiner.join(stream.pick(pool) for _ in range(words))


def _prediction(stream: Stream, language: str, gold: str, question: int) -> str | None:
    """One of: the gold answer (0), with an article (1), with punctuation (2), truncated (3), extended (4), another
    phrase (5), none (6). Every language's first question has the article, its second one of 2-6."""
    if question < 2:
        variant = 1 if question == 0 else 2 + sum(map(ord, language)) % 5
    else:
        variant = stream.below(7) if stream.chance(0.3 + _error_rate(language)) else 0
    article = ARTICLES.get(language, "the")
    if variant == 1 and article:
        return f"{article}{gold}" if article == "ال" else f"{article} {gold}"
    if variant == 2:
        return f"{gold}!"
    if variant == 3:
        return gold[: max(1, len(gold) // 2)].strip()
    if variant == 4:
        return f"{gold} {_phrase(stream, language, 1)}"
    if variant == 5:
        return _phrase(stream, language, 2)
    if variant == 6:
        return None
    return gold


def _qa(stream: Stream, language: str) -> Files:
    paragraphs, answers = [], {}
    for q in range(2 + stream.below(3)):
        golds = [_phrase(stream, language, 1 + stream.below(3)) for _ in range(1 + stream.below(2))]
        context = " . ".join([_phrase(stream, language, 4), *golds, _phrase(stream, language, 3)])
        qid = f"{language}-q{q}"
        gold_answers = [{"text": g, "answer_start": context.index(g)} for g in golds]
        paragraphs.append({"context": context, "qas": [{"id": qid, "question": "?", "answers": gold_answers}]})
        answer = _prediction(stream, language, golds[0], q)
        if answer is not None:
            answers[qid] = answer
    labels = {"version": "1.1", "data": [{"title": f"mock-{language}", "paragraphs": paragraphs}]}
    return json.dumps(answers, ensure_ascii=False), json.dumps(labels, ensure_ascii=False)


def _mewslix(stream: Stream, language: str) -> Files:
    labels, predictions = {}, {}
    for m in range(2 + stream.below(2)):
        mention = f"{language}-mention-{m}"
        gold = f"Q{1000 + stream.below(9000)}"
        labels[mention] = [gold]
        if m == 2 and stream.chance(0.5):
            continue  # no prediction for this mention
        ranked = [f"Q{20000 + 7 * k + m}" for k in range(22)]
        # The first mention's gold in the top 20, the second's at rank 21 or 22 (listed, but outside the top 20),
        # the third's anywhere, or not listed at all (24 or 25).
        rank = (1 + stream.below(19), 20 + stream.below(2), stream.below(26))[m]
        if rank < len(ranked):
            ranked[rank] = gold
        predictions[mention] = ranked
    return json.dumps(predictions), json.dumps(labels)


TASKS: dict[str, tuple[str, str, Callable[[Stream, str], Files]]] = {
    # xstilts task name: (folder, extension, writer)
    "pawsx": ("pawsx", "tsv", _labels(("0", "1"))),
    "xnli": ("xnli", "tsv", _labels(NLI_LABELS)),
    "xcopa": ("xcopa", "jsonl", _xcopa),
    "panx": ("panx", "tsv", _panx),
    "udpos": ("udpos", "tsv", _udpos),
    "bucc2018": ("bucc2018", "tsv", _bucc),
    "tatoeba": ("tatoeba", "tsv", _tatoeba),
    "xquad": ("xquad", "json", _qa),
    "mlqa": ("mlqa", "json", _qa),
    "tydiqa": ("tydiqa", "json", _qa),
    "mewsli_x": ("mewslix", "json", _mewslix),
}


def languages(task: str) -> list[str]:
    """Every test language of the task in XTREME or XTREME-R (evaluate.py's TASK2LANGS of either version)."""
    found = [lang for benchmark in ("xtreme", "xtreme-r") for lang in TASK_LANGUAGES[benchmark].get(task, ())]
    return sorted(set(found))


def write_mock(predictions: Path, labels: Path) -> None:
    """Writes the mock submission under ``predictions`` and its labels under ``labels``."""
    for task, (folder, extension, writer) in TASKS.items():
        for language in languages(task):
            predicted, gold = writer(Stream(task, language), language)
            for root, text in ((predictions, predicted), (labels, gold)):
                path = root / folder / f"test-{language}.{extension}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
