"""SQuAD v1.1 JSON (also XQuAD, MLQA and TyDiQA-GoldP in XTREME's layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.examples import Answer, SpanExample
from xstilts.data.files import check_unique, field_error, read_json_document, text_field, typed_field


def read_squad_json(path: Path) -> list[SpanExample]:
    """Reads every question; answers keep their character offsets (checked against the context); question ids are
    unique (predictions are keyed by them)."""
    document = read_json_document(path)
    examples: list[SpanExample] = []
    seen: dict[str, int | str] = {}
    for a, article in enumerate(typed_field(path, None, document, "data", list)):
        for p, paragraph in enumerate(typed_field(path, None, article, "paragraphs", list, f"data[{a}]")):
            where_p = f"data[{a}].paragraphs[{p}]"
            context = text_field(path, None, paragraph, "context", where_p)
            for q, qa in enumerate(typed_field(path, None, paragraph, "qas", list, where_p)):
                where_q = f"{where_p}.qas[{q}]"
                answers = []
                for n, answer in enumerate(typed_field(path, None, qa, "answers", list, where_q)):
                    where_a = f"{where_q}.answers[{n}]"
                    text = text_field(path, None, answer, "text", where_a)
                    start = typed_field(path, None, answer, "answer_start", int, where_a)
                    if start < 0 or start + len(text) > len(context):
                        raise field_error(
                            path, None, where_a, f"answer of {len(text)} characters at {start} runs outside the context"
                        )
                    answers.append(Answer(text=text, start=start))
                guid = text_field(path, None, qa, "id", where_q)
                check_unique(path, None, f"{where_q}.id", guid, seen, where_q)
                examples.append(
                    SpanExample(
                        guid=guid,
                        question=text_field(path, None, qa, "question", where_q),
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
