"""The file primitives every local reader shares (``data.files``): lines as ``open(newline="")`` ends them,
undecodable bytes named by line and offset in every format, and one wording per field, column and label error."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.data.files import (
    check_columns,
    check_label,
    check_unique,
    read_csv_with_header,
    read_json_document,
    read_jsonl,
    read_lines,
    read_nonblank_lines,
    typed_field,
)
from xstilts.errors import DataFormatError

# Line 1 ends with CRLF, line 2 with a lone CR, line 3 with LF; line 4 holds a byte that is not UTF-8.
MIXED_BREAKS = b"one\r\ntwo\rthree\nfo\xffur\n"


def test_lines_end_where_newline_empty_reading_ends_them(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"a\r\nb\rc\n\nd")
    with path.open(encoding="utf-8", newline="") as handle:
        expected = list(enumerate(handle, start=1))
    assert list(read_lines(path, keep_ends=True)) == expected
    assert list(read_lines(path)) == [(1, "a"), (2, "b"), (3, "c"), (4, ""), (5, "d")]
    assert read_nonblank_lines(path, limit=3) == [(1, "a"), (2, "b"), (3, "c")]


@pytest.mark.parametrize(
    ("read", "name"),
    [
        (lambda p: list(read_lines(p)), "f.txt"),
        (lambda p: list(read_jsonl(p)), "f.jsonl"),
        (lambda p: list(read_csv_with_header(p, ())), "f.csv"),
        (read_json_document, "f.json"),
    ],
)
def test_undecodable_bytes_name_their_line_and_offset_in_every_format(tmp_path: Path, read, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(MIXED_BREAKS)
    with pytest.raises(DataFormatError, match=r"f\.\w+:4: not UTF-8 text \(invalid start byte at byte 2 of the line\)"):
        read(path)


def test_json_errors_name_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n[1]\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"f\.jsonl:3: invalid JSON: Expecting value \(column 7\)"):
        list(read_jsonl(path))
    path.write_text('{"a": 1}\n[1]\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"f\.jsonl:2: expected a JSON object, found list"):
        list(read_jsonl(path))


@pytest.mark.parametrize(
    ("record", "kind", "where", "message"),
    [
        ({"n": True}, int, "", "f.jsonl:7: field 'n': expected an integer, found bool"),
        ({"n": "3"}, int, "a[0]", "f.jsonl:7: field 'a[0].n': expected an integer, found str"),
        ({}, str, "", "f.jsonl:7: missing field 'n'"),
        ({}, str, "context", "f.jsonl:7: field 'context': missing field 'n'"),
        ([1], str, "context", "f.jsonl:7: field 'context': expected an object, found list"),
        ({"n": None}, list, "", "f.jsonl:7: field 'n': expected a list, found NoneType"),
    ],
)
def test_field_errors_name_file_line_and_field(record: object, kind: type, where: str, message: str) -> None:
    with pytest.raises(DataFormatError) as info:
        typed_field(Path("f.jsonl"), 7, record, "n", kind, where)
    assert str(info.value) == message


def test_column_label_and_duplicate_wording() -> None:
    path = Path("f.tsv")
    with pytest.raises(DataFormatError) as info:
        check_columns(path, 3, ["a"], 2, names=("word", "tag"))
    assert str(info.value) == "f.tsv:3: expected 2 tab-separated fields (word, tag), found 1"
    with pytest.raises(DataFormatError) as info:
        check_columns(path, 4, ["a", "b"], 3, at_least=True, separator=",")
    assert str(info.value) == "f.tsv:4: expected at least 3 comma-separated fields, found 2"
    assert check_columns(path, 5, ["a", "b", "c", "d"], 3, at_least=True) == ["a", "b", "c", "d"]
    with pytest.raises(DataFormatError) as info:
        check_label(path, 6, "label", True, (0, 1))  # True == 1 in Python, but not in a file
    assert str(info.value) == "f.tsv:6: field 'label': True is not one of 0, 1"
    many = tuple(f"T{i}" for i in range(25))
    with pytest.raises(DataFormatError) as info:
        check_label(path, 7, "tag", "X", many)
    assert str(info.value).endswith("'T18', 'T19', ... (25 in all)")
    seen: dict[str, int] = {}
    check_unique(path, 8, "id", "a", seen)
    with pytest.raises(DataFormatError) as info:
        check_unique(path, 9, "id", "a", seen)
    assert str(info.value) == "f.tsv:9: field 'id': 'a' listed twice (first on line 8)"
