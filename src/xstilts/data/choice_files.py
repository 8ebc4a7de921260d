"""The right answer of a multiple-choice record (COPA/XCOPA, Social IQa, HellaSwag, CommonsenseQA, Cosmos QA), from
the field that names it as the file does; the records themselves are read by ``data.files``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.files import check_label, field_value, read_json_document

__all__ = ["choice_label", "read_json_document"]  # read_json_document: evaluation.submission_files imports it here


def choice_label(path: Path, line: int, row: dict[str, Any], key: str, names: tuple[Any, ...]) -> str:
    """The position ("0" .. "N-1") of the right choice, from a field that names it as the file does (0/1, A-C...)."""
    return str(names.index(check_label(path, line, key, field_value(path, line, row, key), names)))
