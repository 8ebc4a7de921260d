"""File primitives of every local reader: lines of UTF-8 text, JSON documents and JSON lines, CSV and tsv rows,
and the checks on a row's fields, each with one wording for its error.

Reading uses the standard library (``open``, ``json``, ``csv``); what is written here is the error-reporting layer,
so that every reader names a broken file the same way: ``FILE:LINE: message`` (``errors.DataFormatError``), the
line left out where there is none (a whole-file problem, or a place in a JSON document, named by its path).

- a file that is not there: ``file not found`` (with what was expected, or the other names looked for);
- undecodable bytes: ``not UTF-8 text (REASON at byte N of the line)``, at the line that holds them; a NUL
  character (binary data, or UTF-16/32 text): ``NUL character at character N of the line``. A UTF-8 byte-order
  mark at the start of a file is dropped, as every editor that writes one expects;
- JSON: ``invalid JSON: MESSAGE (column N)``, ``invalid JSON: key 'id' written twice in one object``, ``invalid
  JSON: nested too deeply``; a JSON-lines record that is no object: ``expected a JSON object, found list``;
- a wrong number of columns: ``expected 10 tab-separated fields (ID, FORM, ...), found 9``;
- a header: ``empty file; expected a header line``, ``header lacks column(s) label; found id, text``;
- a field: ``missing field 'premise'`` (nested: ``field 'context': missing field 'text'``), ``field 'choice2':
  expected a string, found int``, ``field 'id': empty``,
  ``field 'id': 'a-1' listed twice (first on line 1)`` (in a JSON document: ``first at data[0].paragraphs[0].qas[1]``),
  and any reader's own check through ``field_error``;
- a label outside the task's set: ``field 'label': 'maybe' is not one of 'contradiction', 'entailment', ...``.

Fields are named as they are written, nested ones by their path: ``context.text``,
``data[0].paragraphs[2].qas[1].answers[0]``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from xstilts.errors import DataFormatError

T = TypeVar("T")

# How a type reads in a message about a JSON value.
_KINDS: dict[type, str] = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "an object"}
_SEPARATORS = {"\t": "tab", ",": "comma"}
# A label set longer than this is shown by its first members and its size.
_SHOWN_LABELS = 20


# --- files -------------------------------------------------------------------------------------------------------


def broken_link(path: Path) -> str | None:
    """Why ``path`` cannot be followed, if it is a symbolic link that leads nowhere: a loop or a missing target."""
    if not path.is_symlink() or path.exists():
        return None
    try:
        path.resolve(strict=True)
    except FileNotFoundError:
        return f"a symbolic link to {os.readlink(path)}, which does not exist"
    except (OSError, RuntimeError):  # ELOOP; Python 3.11 raises RuntimeError("Symlink loop from ...")
        return "a symbolic link loop"
    return None


def require_file(path: Path, expected: str = "") -> Path:
    """``path`` if it is a file; else ``file not found`` (with what the file should hold when ``expected`` says),
    ``a directory, not a file`` or what is wrong with the symbolic link it is."""
    if not path.is_file():
        wrong = broken_link(path) or ("a directory, not a file" if path.is_dir() else None)
        if wrong:
            raise DataFormatError(path, f"{wrong} ({expected})" if expected else wrong)
        raise DataFormatError(path, f"file not found ({expected})" if expected else "file not found")
    return path


def first_existing(candidates: Sequence[Path]) -> Path:
    """The first of several official layouts' file names that exists; if none does, an error listing them all."""
    for path in candidates:
        if path.is_file():
            return path
    for path in candidates:
        if path.is_dir() or broken_link(path):
            require_file(path)  # says what is there instead of the file
    tried = ", ".join(p.name if p.parent == candidates[0].parent else str(p) for p in candidates[1:])
    raise DataFormatError(candidates[0], f"file not found (also looked for {tried})" if tried else "file not found")


def _undecodable(path: Path, data: bytes) -> DataFormatError:
    """The error for the first bytes of ``data`` (the file's) that are not UTF-8, at the line holding them."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start].decode("utf-8")
        # Lines end as Python's newline="" reading ends them: at "\n", "\r\n" or a lone "\r".
        line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
        line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
        offset = err.start - len(before[:line_start].encode("utf-8"))
        return DataFormatError(path, f"not UTF-8 text ({err.reason} at byte {offset} of the line)", line)
    return DataFormatError(path, "not UTF-8 text")  # the file changed while it was read


def _nul(path: Path, line: int, text: str) -> DataFormatError:
    return DataFormatError(
        path, f"NUL character at character {text.index(chr(0)) + 1} of the line (binary data, or UTF-16/32 text?)", line
    )


def read_lines(path: Path, *, keep_ends: bool = False) -> Iterator[tuple[int, str]]:
    """(line number from 1, line) for every line of a UTF-8 text file, without its line break unless
    ``keep_ends``. Lines end at "\\n", "\\r\\n" or "\\r" (``open(newline="")``); a leading byte-order mark is
    dropped; nothing else is changed."""
    require_file(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            for number, raw in enumerate(handle, start=1):
                if "\0" in raw:
                    raise _nul(path, number, raw)
                yield number, raw if keep_ends else raw.rstrip("\r\n")
        except UnicodeDecodeError:
            raise _undecodable(path, path.read_bytes()) from None


def read_nonblank_lines(path: Path, limit: int | None = None) -> list[tuple[int, str]]:
    """(line number, stripped line) for the lines that are not blank; at most ``limit`` of them."""
    lines: list[tuple[int, str]] = []
    for number, line in read_lines(path):
        if line.strip():
            lines.append((number, line.strip()))
            if limit is not None and len(lines) >= limit:
                break
    return lines


# --- JSON --------------------------------------------------------------------------------------------------------


def _invalid_json(path: Path, err: json.JSONDecodeError, line: int) -> DataFormatError:
    return DataFormatError(path, f"invalid JSON: {err.msg} (column {err.colno})", line)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members; a key written twice is an error (``json`` would keep the last silently: a
    prediction file answering one question twice, a record with two ``label`` fields)."""
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return record


def parse_json(path: Path, text: str, line: int | None = None) -> Any:
    """One JSON value: the whole file (``line`` None: an error is placed at the line where the JSON breaks) or one
    line of a JSON-lines file."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise _invalid_json(path, err, err.lineno if line is None else line) from None
    except _DuplicateKey as err:
        raise DataFormatError(path, f"invalid JSON: key {err.key!r} written twice in one object", line) from None
    except RecursionError:
        raise DataFormatError(path, "invalid JSON: nested too deeply", line) from None


def read_json_document(path: Path) -> Any:
    """A whole-file JSON document (SQuAD-style data, a submission's predictions); a syntax error is reported at
    the line where the JSON breaks."""
    require_file(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise _undecodable(path, path.read_bytes()) from None
    return parse_json(path, text)


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of a JSON-lines file; each line must be one JSON object."""
    for number, line in read_lines(path):
        if not line.strip():
            continue
        record = parse_json(path, line, number)
        if not isinstance(record, dict):
            raise DataFormatError(path, f"expected a JSON object, found {type(record).__name__}", number)
        yield number, record


# --- columns -----------------------------------------------------------------------------------------------------


def check_columns(
    path: Path,
    line: int,
    fields: list[str],
    expected: int,
    *,
    at_least: bool = False,
    names: Sequence[str] = (),
    separator: str = "\t",
) -> list[str]:
    """``fields`` if there are ``expected`` of them (or more, ``at_least``); ``names`` spells them in the error."""
    if len(fields) < expected or (not at_least and len(fields) != expected):
        count = f"at least {expected}" if at_least else str(expected)
        named = f" ({', '.join(names)})" if names else ""
        raise DataFormatError(
            path, f"expected {count} {_SEPARATORS[separator]}-separated fields{named}, found {len(fields)}", line
        )
    return fields


def _rows_with_header(
    path: Path, records: Iterator[tuple[int, list[str]]], required: Sequence[str], separator: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows keyed by the first record's column names, which must include ``required``; empty records are skipped."""
    first = next(records, None)
    if first is None:
        raise DataFormatError(path, "empty file; expected a header line", 1)
    number, header = first
    missing = [name for name in required if name not in header]
    if missing:
        raise DataFormatError(path, f"header lacks column(s) {', '.join(missing)}; found {', '.join(header)}", number)
    for number, fields in records:
        if fields:
            check_columns(path, number, fields, len(header), separator=separator)
            yield number, dict(zip(header, fields, strict=True))


def read_tsv_rows(path: Path, min_fields: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for every non-blank line of a tab-separated file, with at least ``min_fields``.

    Quotes are data in these files (GLUE's MNLI has unbalanced quotes), so no CSV quoting is applied."""
    for number, line in read_lines(path):
        if line.strip():
            yield number, check_columns(path, number, line.split("\t"), min_fields, at_least=True)


def read_tsv_with_header(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a tab-separated file whose first line names the columns; the required columns must be present."""
    return _rows_with_header(path, read_tsv_rows(path, min_fields=1), required, "\t")


def _csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, fields): quoted fields may hold commas and line breaks."""
    reader = csv.reader(line for _, line in read_lines(path, keep_ends=True))
    start = 1
    try:
        for fields in reader:
            yield start, fields
            start = reader.line_num + 1
    except csv.Error as err:
        raise DataFormatError(path, f"malformed CSV ({err})", reader.line_num) from None


def read_csv_with_header(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with a header naming the columns, each with the line where its record starts."""
    return _rows_with_header(path, _csv_records(path), required, ",")


# --- fields ------------------------------------------------------------------------------------------------------


def field_error(path: Path, line: int | None, field: str, message: str) -> DataFormatError:
    """The one way an error names the field it is about."""
    return DataFormatError(path, f"field {field!r}: {message}", line)


def field_path(where: str, key: str) -> str:
    """A nested field's name: ``context`` and ``text`` give ``context.text``."""
    return f"{where}.{key}" if where else key


def field_value(path: Path, line: int | None, record: Any, key: str, where: str = "") -> Any:
    """A required field of a record (a JSON object; ``where`` names the record inside its document or line)."""
    if not isinstance(record, dict):
        if where:
            raise field_error(path, line, where, f"expected an object, found {type(record).__name__}")
        raise DataFormatError(path, f"expected a JSON object, found {type(record).__name__}", line)
    if key not in record:
        if where:
            raise field_error(path, line, where, f"missing field {key!r}")
        raise DataFormatError(path, f"missing field {key!r}", line)
    return record[key]


def typed_field(path: Path, line: int | None, record: Any, key: str, kind: type[T], where: str = "") -> T:
    """A required field of type ``kind`` (``true`` and ``false`` are not integers)."""
    value = field_value(path, line, record, key, where)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        expected = _KINDS.get(kind, kind.__name__)
        raise field_error(path, line, field_path(where, key), f"expected {expected}, found {type(value).__name__}")
    return value


def text_field(path: Path, line: int | None, record: Any, key: str, where: str = "") -> str:
    """A required string field."""
    return typed_field(path, line, record, key, str, where)


def check_nonempty(path: Path, line: int | None, field: str, value: str) -> str:
    """``value`` if it holds more than white space."""
    if not value.strip():
        raise field_error(path, line, field, "empty")
    return value


def check_unique(path: Path, line: int | None, field: str, value: Any, seen: dict[Any, Any], where: str = "") -> None:
    """Records that ``value`` is on ``line`` (in a JSON document, at ``where``); one already recorded in ``seen`` is
    an error naming where it was first."""
    if value in seen:
        first = seen[value]
        place = f"first on line {first}" if isinstance(first, int) else f"first at {first}"
        raise field_error(path, line, field, f"{value!r} listed twice ({place})")
    seen[value] = line if line is not None else where


def spell_labels(allowed: Iterable[Any]) -> str:
    """A label set as a message shows it: each label as written in the file, a long set cut short."""
    labels = list(allowed)
    shown = ", ".join(repr(label) for label in labels[:_SHOWN_LABELS])
    return shown if len(labels) <= _SHOWN_LABELS else f"{shown}, ... ({len(labels)} in all)"


def check_label(path: Path, line: int | None, field: str, value: T, allowed: Sequence[Any]) -> T:
    """``value`` if it is one of ``allowed`` (the task's label set, or the spellings a file uses for it)."""
    if isinstance(value, bool) or value not in allowed:
        raise field_error(path, line, field, f"{value!r} is not one of {spell_labels(allowed)}")
    return value
