"""An offline docstring–function corpus built from the running Python's own standard library, written in
CodeSearchNet's JSON-lines format (``data.code_search_net``) so that the real reader reads it.

Kept: every function and method (``def`` / ``async def``, nested ones included) with a docstring of at least 3
words and a body of at least 3 lines after its docstring, in the modules under ``sysconfig``'s ``stdlib`` path,
except tests (``test``/``tests`` packages, ``test_*.py``), ``idlelib``, ``tkinter``, ``lib2to3``, ``distutils`` and
``site-packages``. A module's split is a hash of its dotted name: 80 % train, 10 % valid, 10 % test, the same on
every machine with the same library. About 2,900 functions on CPython 3.11.

The corpus is written once per (Python version, content hash) under ``$XSTILTS_CACHE/pydoc/`` as
``python/{train,valid,test}.jsonl`` (CodeXGLUE code-to-text's layout); the directory name, which the feature cache
key holds, records the Python version and the hash of the records, so another library never reuses its features.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import io
import json
import platform
import sysconfig
import tokenize
from pathlib import Path
from typing import Any

from xstilts.artefacts import atomic_write_text, xstilts_home

EXCLUDED_PACKAGES = {"test", "tests", "idlelib", "tkinter", "lib2to3", "distutils", "site-packages", "__pycache__"}
MIN_DOC_WORDS, MIN_BODY_LINES = 3, 3
SPLITS = ("train", "valid", "test")
_SKIPPED_TOKENS = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}


def split_of(module: str) -> str:
    """train / valid / test by a hash of the dotted module name (8 : 1 : 1)."""
    bucket = int(hashlib.sha256(module.encode()).hexdigest()[:8], 16) % 10
    return "train" if bucket < 8 else "valid" if bucket == 8 else "test"


def _modules(root: Path) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(part in EXCLUDED_PACKAGES for part in parts[:-1]) or path.name.startswith("test_"):
            continue
        if parts[0] in EXCLUDED_PACKAGES or not all(p.isidentifier() for p in (*parts[:-1], path.stem)):
            continue
        dotted = ".".join((*parts[:-1], path.stem)).removesuffix(".__init__")
        found.append((dotted, path))
    return found


def _code_tokens(source: str, docstring_line: int) -> list[str]:
    """The function's tokens without comments, layout and its docstring (the string starting on its line)."""
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in _SKIPPED_TOKENS:
            continue
        if token.type == tokenize.STRING and token.start[0] == docstring_line:
            continue
        tokens.append(token.string)
    return tokens


def _dedent(line: str, indent: int) -> str:
    """The line without the function's indentation; a blank line stays a line (the docstring's line number counts
    on it)."""
    if not line.strip():
        return "\n"
    return line[indent:] if line[:indent].isspace() else line


def _word_tokens(text: str) -> list[str]:
    """The docstring's first paragraph split at white space, as CodeSearchNet keeps the summary."""
    return text.strip().split("\n\n")[0].split()


def _functions(module: str, path: Path, root: Path) -> list[dict[str, Any]]:
    try:
        with tokenize.open(path) as handle:
            text = handle.read()
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return []
    lines = text.splitlines(keepends=True)
    records = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        docstring = ast.get_docstring(node)
        if docstring is None or len(docstring.split()) < MIN_DOC_WORDS or len(node.body) < 2:
            continue
        body_start, end = node.body[1].lineno, node.end_lineno or node.lineno
        if end - body_start + 1 < MIN_BODY_LINES:
            continue
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
        source = "".join(_dedent(line, indent) for line in lines[start - 1 : end])
        try:
            code_tokens = _code_tokens(source, node.body[0].lineno - start + 1)
        except (tokenize.TokenError, IndentationError, SyntaxError):
            continue
        doc_tokens = _word_tokens(docstring)
        if len(doc_tokens) < MIN_DOC_WORDS:
            continue
        relative = path.relative_to(root).as_posix()
        records.append(
            {
                "repo": "python/cpython-stdlib",
                "path": relative,
                "func_name": f"{module}.{node.name}",
                "original_string": source,
                "language": "python",
                "code": source,
                "code_tokens": code_tokens,
                "docstring": docstring,
                "docstring_tokens": doc_tokens,
                "sha": "",
                "partition": split_of(module),
                "url": f"stdlib://{relative}#L{node.lineno}",
            }
        )
    return records


def stdlib_records(root: Path | None = None) -> list[dict[str, Any]]:
    """Every kept function of the standard library at ``root`` (default: the running Python's), in a fixed order."""
    root = root or Path(sysconfig.get_paths()["stdlib"])
    records = []
    for module, path in _modules(root):
        records += _functions(module, path, root)
    return records


def _cache_root() -> Path:
    return xstilts_home() / "pydoc"


def _library_stamp(root: Path) -> str:
    """A hash of the library's module files' names, sizes and times: cheap to take, unlike the records' hash."""
    digest = hashlib.sha256(str(root).encode())
    for _, path in _modules(root):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def stdlib_corpus(cache_root: Path | None = None) -> Path:
    """The corpus directory of the running Python (built on first use): ``<root>/py<version>-<hash>/``, holding
    ``python/{train,valid,test}.jsonl``, under ``cache_root`` (default ``$XSTILTS_CACHE/pydoc``). A pointer file
    keyed by the library's files' stamp finds it again without parsing the library."""
    return _stdlib_corpus(cache_root or _cache_root())


@functools.cache
def _stdlib_corpus(cache: Path) -> Path:
    root = Path(sysconfig.get_paths()["stdlib"])
    pointer = cache / f"py{platform.python_version()}-{_library_stamp(root)}.path"
    if pointer.exists():
        directory = cache / pointer.read_text().strip()
        if all((directory / "python" / f"{split}.jsonl").exists() for split in SPLITS):
            return directory
    lines = {split: "" for split in SPLITS}
    for record in stdlib_records(root):
        lines[record["partition"]] += json.dumps(record, ensure_ascii=False) + "\n"
    digest = hashlib.sha256("".join(lines[s] for s in SPLITS).encode()).hexdigest()[:12]
    directory = cache / f"py{platform.python_version()}-{digest}"
    for split in SPLITS:
        target = directory / "python" / f"{split}.jsonl"
        if not target.exists():
            atomic_write_text(target, lines[split])
    atomic_write_text(pointer, directory.name)
    return directory
