"""SQuAD v1.1 JSON (also XQuAD, MLQA and TyDiQA-GoldP in XTREME's layout)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
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


# Hub loaders that strip the context (google/xtreme's XQuAD and MLQA configs, google/xquad, TyDiQA's secondary_task)
# shift every start of a paragraph by its leading white space, and those that strip an answer's text by that text's
# leading white space; both keep ``answer_start`` as the official file has it. ``realign`` puts such an answer back at
# the occurrence of its text nearest to the recorded start.

log = logging.getLogger("xstilts.data")


@dataclass
class SpanRepairs:
    """What ``span_examples_from_hub`` did to one split's answers: counts for the log and for ``xstilts data check``."""

    answers: int = 0
    repaired: int = 0
    dropped_answers: int = 0
    dropped_questions: int = 0

    def summary(self) -> str:
        return (
            f"{self.repaired} of {self.answers} answer starts repaired, {self.dropped_answers} answers not found in"
            f" their context dropped, {self.dropped_questions} questions left without an answer dropped"
        )


def realign(context: str, text: str, start: int) -> int | None:
    """``start`` if the answer is there, else the occurrence of ``text`` in the context nearest to it, else None."""
    if context[start : start + len(text)] == text:
        return start
    spots, i = [], context.find(text)
    while i >= 0 and text:
        spots.append(i)
        i = context.find(text, i + 1)
    return min(spots, key=lambda i: abs(i - start)) if spots else None


def span_examples_from_hub(rows: Any, where: str = "hub dataset") -> list[SpanExample]:
    """Rows of a hub dataset in the SQuAD schema (id, context, question, answers{text, answer_start}), each answer
    checked against its context (``realign``): a shifted start moves to the text's nearest occurrence, an
    answer not found is dropped, and a question left with no answer is dropped; the counts are logged once per split."""
    repairs = SpanRepairs()
    examples = []
    for row in rows:
        context = row["context"]
        answers = []
        for text, start in zip(row["answers"]["text"], row["answers"]["answer_start"], strict=True):
            repairs.answers += 1
            found = realign(context, text, int(start))
            if found is None:
                repairs.dropped_answers += 1
                continue
            repairs.repaired += found != int(start)
            answers.append(Answer(text=text, start=found))
        if row["answers"]["text"] and not answers:
            repairs.dropped_questions += 1
            continue
        examples.append(SpanExample(str(row["id"]), row["question"], context, tuple(answers)))
    if repairs.repaired or repairs.dropped_answers:
        log.warning("%s: %s", where, repairs.summary())
    return examples
