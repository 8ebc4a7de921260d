"""JSON-lines, CSV and label-list files as the official multiple-choice releases write them (COPA/XCOPA, Social
IQa, HellaSwag, CommonsenseQA, Cosmos QA), with errors that name the file, the line and the field.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from xstilts.errors import DataFormatError


def first_existing(candidates: Sequence[Path]) -> Path:
    """The first of several official layouts' file names that exists; if none does, an error listing them all."""
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(p.name if p.parent == candidates[0].parent else str(p) for p in candidates[1:])
    raise DataFormatError(candidates[0], f"file not found (also looked for {tried})" if tried else "file not found")


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields (line number, object) for every non-empty line; each line must be one JSON object."""
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    with path.open(encoding="utf-8") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataFormatError(path, f"invalid JSON: {err.msg} (column {err.colno})", number) from err
                if not isinstance(row, dict):
                    raise DataFormatError(path, f"expected a JSON object, found {type(row).__name__}", number)
                yield number, row
        except UnicodeDecodeError as err:
            raise DataFormatError(path, f"not UTF-8 text ({err.reason})") from err


def read_json_document(path: Path) -> Any:
    """A whole-file JSON document (SQuAD-style data, a submission's predictions): a syntax or encoding error
    becomes a ``DataFormatError`` at the line where the JSON breaks, so a broken file names itself."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataFormatError(path, f"invalid JSON: {err.msg} (column {err.colno})", err.lineno) from err
    except UnicodeDecodeError as err:
        raise DataFormatError(path, f"not UTF-8 text ({err.reason})") from err


def read_csv_with_header(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with a header naming the columns; quoted fields may hold commas and newlines, so the
    line reported is the one where the record starts."""
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DataFormatError(path, "empty file; expected a header line", 1)
            missing = [name for name in required if name not in header]
            if missing:
                raise DataFormatError(
                    path, f"header lacks column(s) {', '.join(missing)}; found {', '.join(header)}", 1
                )
            start = reader.line_num + 1
            for fields in reader:
                if fields:
                    if len(fields) != len(header):
                        raise DataFormatError(
                            path, f"expected {len(header)} comma-separated fields, found {len(fields)}", start
                        )
                    yield start, dict(zip(header, fields, strict=True))
                start = reader.line_num + 1
        except UnicodeDecodeError as err:
            raise DataFormatError(path, f"not UTF-8 text ({err.reason})") from err
        except csv.Error as err:
            raise DataFormatError(path, f"malformed CSV ({err})", reader.line_num) from err


def read_label_lines(path: Path) -> list[tuple[int, str]]:
    """A labels file with one label per line (Social IQa's ``*-labels.lst``): (line number, label)."""
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(number, line.strip()) for number, line in enumerate(lines, start=1) if line.strip()]


def text_field(path: Path, line: int, row: dict[str, Any], key: str) -> str:
    """A required string field of one record."""
    if key not in row:
        raise DataFormatError(path, f"missing field {key!r}", line)
    value = row[key]
    if not isinstance(value, str):
        raise DataFormatError(path, f"field {key!r}: expected a string, found {type(value).__name__}", line)
    return value


def choice_label(path: Path, line: int, row: dict[str, Any], key: str, names: tuple[Any, ...]) -> str:
    """The position ("0" .. "N-1") of the right choice, from a field that names it as the file does (0/1, A-C...)."""
    if key not in row:
        raise DataFormatError(path, f"missing field {key!r}", line)
    value = row[key]
    if isinstance(value, bool) or value not in names:
        spelled = ", ".join(repr(n) for n in names)
        raise DataFormatError(path, f"field {key!r}: {value!r} is not one of {spelled}", line)
    return str(names.index(value))
