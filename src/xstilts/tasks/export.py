"""Writing a task's examples back in the official local layout its ``read_local`` accepts, so that data fetched from
the hub on a machine with network (``xstilts prefetch --export DIR``) can be copied to one without and read there
with ``data: {source: local, path: DIR/<task>}``. Each writer's output reads back to the same texts and labels
(tested per task); guids are the local reader's (line or position numbers), as for any local source.

Fields are written verbatim except that tabs and line breaks inside a text, which the tsv layouts cannot hold,
become spaces (none of the benchmarks' own files have them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from xstilts.artefacts import atomic_write_text
from xstilts.data.examples import (
    ClassificationExample,
    Example,
    RetrievalExample,
    SpanExample,
    TaggingExample,
    TextExample,
)
from xstilts.errors import XstiltsError
from xstilts.tasks.tatoeba import TATOEBA_CODES

Writer = Callable[[Path, str, str, Sequence[Example]], None]


def _cell(text: str) -> str:
    return " ".join(text.replace("\t", " ").splitlines())


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def _pair_tsv(root: Path, split: str, language: str, examples: Sequence[Example]) -> None:
    """XTREME's preprocessed pair files, ``{split}-{lang}.tsv``: sentence1, sentence2, label (xnli, pawsx)."""
    rows = []
    for e in examples:
        assert isinstance(e, ClassificationExample)
        rows.append(f"{_cell(e.text_a)}\t{_cell(e.text_b or '')}\t{e.label}\n")
    _write(root / f"{split}-{language}.tsv", "".join(rows))


def _tagging_tsv(root: Path, split: str, language: str, examples: Sequence[Example]) -> None:
    """XTREME's ``{split}-{lang}.tsv``: ``word<TAB>tag`` per line, a blank line between sentences."""
    blocks = []
    for e in examples:
        assert isinstance(e, TaggingExample)
        if e.tags is None:
            raise XstiltsError(f"{e.guid}: an unlabelled sentence has no place in XTREME's labelled tsv layout")
        blocks.append("".join(f"{_cell(w)}\t{t}\n" for w, t in zip(e.words, e.tags, strict=True)))
    _write(root / f"{split}-{language}.tsv", "\n".join(blocks))


def squad_document(examples: Sequence[Example]) -> dict:
    """SQuAD v1.1 JSON, one paragraph per run of questions sharing a context."""
    paragraphs: list[dict] = []
    for e in examples:
        assert isinstance(e, SpanExample)
        if not paragraphs or paragraphs[-1]["context"] != e.context:
            paragraphs.append({"context": e.context, "qas": []})
        answers = [{"text": a.text, "answer_start": a.start} for a in e.answers]
        paragraphs[-1]["qas"].append({"id": e.guid, "question": e.question, "answers": answers})
    return {"version": "1.1", "data": [{"title": "exported", "paragraphs": paragraphs}]}


def _squad_at(name: Callable[[str, str], str]) -> Writer:
    def write(root: Path, split: str, language: str, examples: Sequence[Example]) -> None:
        _write(root / name(split, language), json.dumps(squad_document(examples), ensure_ascii=False))

    return write


def _tatoeba(root: Path, split: str, language: str, examples: Sequence[Example]) -> None:
    """LASER's ``tatoeba.XXX-eng.XXX`` / ``.eng``, line i the translation of line i (gold pairs in query order)."""
    [example] = examples
    assert isinstance(example, RetrievalExample)
    text = {item.id: item.text for item in example.candidates}
    code = TATOEBA_CODES[language]
    queries = {item.id: item.text for item in example.queries}
    pairs = [(queries[q], text[c]) for q, c in example.gold]
    _write(root / f"tatoeba.{code}-eng.{code}", "".join(f"{_cell(q)}\n" for q, _ in pairs))
    _write(root / f"tatoeba.{code}-eng.eng", "".join(f"{_cell(c)}\n" for _, c in pairs))


def _text(root: Path, split: str, language: str, examples: Sequence[Example]) -> None:
    """MLM text: ``LANG.txt``, one document per line."""
    lines = []
    for e in examples:
        assert isinstance(e, TextExample)
        lines.append(_cell(e.text) + "\n")
    _write(root / f"{language}.txt", "".join(lines))


def _mlqa_name(split: str, language: str) -> str:
    return f"{split}/{split}-context-{language}-question-{language}.json"


def _tydiqa_name(split: str, language: str) -> str:
    return f"tydiqa.goldp.{language}.{'train' if split == 'train' else 'dev'}.json"


EXPORTERS: dict[str, Writer] = {
    "xnli": _pair_tsv,
    "pawsx": _pair_tsv,
    "udpos": _tagging_tsv,
    "panx": _tagging_tsv,
    "xquad": _squad_at(lambda split, language: f"xquad.{language}.json"),
    "mlqa": _squad_at(_mlqa_name),
    "tydiqa": _squad_at(_tydiqa_name),
    "squad_v1": _squad_at(lambda split, language: "train-v1.1.json" if split == "train" else "dev-v1.1.json"),
    "tatoeba": _tatoeba,
    "mlm": _text,
}


def export_examples(task: str, root: Path, split: str, language: str, examples: Sequence[Example]) -> Path:
    """Writes one split of one language under ``root`` (the task's local directory); returns ``root``."""
    writer = EXPORTERS.get(task)
    if writer is None:
        raise XstiltsError(
            f"no local exporter for task {task!r} (there are for: {', '.join(sorted(EXPORTERS))}); its hub data is"
            " still cached for offline runs"
        )
    writer(root, split, language, examples)
    return root
