"""SQuAD v1.1 JSON (also XQuAD, MLQA and TyDiQA-GoldP in XTREME's layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.choice_files import read_json_document
from xstilts.data.examples import Answer, SpanExample
from xstilts.errors import DataFormatError


def _field(path: Path, where: str, obj: Any, key: str, kind: type) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise DataFormatError(path, f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise DataFormatError(path, f"{where}.{key}: expected {kind.__name__}, found {type(value).__name__}")
    return value


def read_squad_json(path: Path) -> list[SpanExample]:
    """Reads every question; answers keep their character offsets (checked against the context)."""
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    document = read_json_document(path)
    examples: list[SpanExample] = []
    for a, article in enumerate(_field(path, "top level", document, "data", list)):
        for p, paragraph in enumerate(_field(path, f"data[{a}]", article, "paragraphs", list)):
            where_p = f"data[{a}].paragraphs[{p}]"
            context = _field(path, where_p, paragraph, "context", str)
            for q, qa in enumerate(_field(path, where_p, paragraph, "qas", list)):
                where_q = f"{where_p}.qas[{q}]"
                answers = []
                for n, answer in enumerate(_field(path, where_q, qa, "answers", list)):
                    where_a = f"{where_q}.answers[{n}]"
                    text = _field(path, where_a, answer, "text", str)
                    start = _field(path, where_a, answer, "answer_start", int)
                    if start < 0 or start + len(text) > len(context):
                        raise DataFormatError(
                            path, f"{where_a}: answer of {len(text)} characters at {start} runs outside the context"
                        )
                    answers.append(Answer(text=text, start=start))
                examples.append(
                    SpanExample(
                        guid=str(_field(path, where_q, qa, "id", str)),
                        question=_field(path, where_q, qa, "question", str),
                        context=context,
                        answers=tuple(answers),
                    )
                )
    return examples


def span_examples_from_hub(rows: Any) -> list[SpanExample]:
    """Rows of a hub dataset in the SQuAD schema (id, context, question, answers{text, answer_start})."""
    return [
        SpanExample(
            guid=str(row["id"]),
            question=row["question"],
            context=row["context"],
            answers=tuple(
                Answer(text=text, start=int(start))
                for text, start in zip(row["answers"]["text"], row["answers"]["answer_start"], strict=True)
            ),
        )
        for row in rows
    ]
