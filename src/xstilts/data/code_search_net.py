"""CodeSearchNet's JSON-lines format (and CodeXGLUE's filtered copies of it): one function per line, with its
docstring, and the deterministic docstring–function negatives of pair classification.

A record (CodeSearchNet's README, "Data Details"; CodeXGLUE ``Code-Text/code-to-text`` and
``Text-Code/NL-code-search-Adv``, "Data Format") holds ``repo, path, func_name, original_string, language, code,
code_tokens, docstring, docstring_tokens, url`` (and ``sha``, ``partition``; AdvTest adds ``idx`` and may call
the code fields ``function`` / ``function_tokens``). As CodeBERT's and CodeXGLUE's code-search baselines do, the
texts are the token lists joined by single spaces: ``' '.join(docstring_tokens)`` and ``' '.join(code_tokens)``
(the tokens leave out the docstring and comments; XLM-R's tokenizer would drop the newlines and indentation anyway).

Negatives (:func:`pair_negatives`): each function's docstring is paired with the code of the next function in a
permutation seeded by ``(task, language, split)``, skipping any function with the same code or the same docstring
(never the function itself); recipe :data:`NEGATIVES_RECIPE`, which is part of the feature-cache key of the tasks
that use it (``Task.data_recipe``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xstilts.data.examples import ClassificationExample, ContrastivePair, RetrievalExample, RetrievalItem
from xstilts.data.files import (
    check_nonempty,
    check_unique,
    field_error,
    read_jsonl,
    require_file,
    text_field,
    typed_field,
)

NEGATIVES_RECIPE = "csn-negatives-v1"
# xstilts split -> the file stem of CodeXGLUE's and CodeSearchNet's jsonl
CSN_SPLITS = {"train": "train", "dev": "valid", "test": "test"}


@dataclass(frozen=True)
class CodeFunction:
    """A function and its documentation, as the pair and search tasks read them."""

    url: str
    docstring: str  # ' '.join(docstring_tokens)
    code: str  # ' '.join(code_tokens)
    idx: str  # the code's identity: AdvTest's ``idx``, else the url


def _tokens(path: Path, line: int, record: dict, names: tuple[str, ...]) -> str:
    """The joined tokens of the first of ``names`` present (AdvTest's ``function_tokens`` stands for
    ``code_tokens``)."""
    name = next((n for n in names if n in record), names[0])
    tokens = typed_field(path, line, record, name, list)
    for k, token in enumerate(tokens):
        if not isinstance(token, str):
            raise field_error(path, line, f"{name}[{k}]", f"expected a string, found {type(token).__name__}")
    return check_nonempty(path, line, name, " ".join(tokens))


def read_code_search_net(path: Path) -> list[CodeFunction]:
    """Every function of a CodeSearchNet / CodeXGLUE jsonl file, in file order."""
    require_file(path, "CodeSearchNet JSON lines: url, docstring_tokens, code_tokens per line")
    functions: list[CodeFunction] = []
    seen: dict[str, int] = {}
    for line, record in read_jsonl(path):
        url = check_nonempty(path, line, "url", text_field(path, line, record, "url"))
        check_unique(path, line, "url", url, seen)
        idx = record.get("idx", url)
        if not isinstance(idx, (str, int)) or isinstance(idx, bool):
            raise field_error(path, line, "idx", f"expected an integer or a string, found {type(idx).__name__}")
        functions.append(
            CodeFunction(
                url,
                _tokens(path, line, record, ("docstring_tokens",)),
                _tokens(path, line, record, ("code_tokens", "function_tokens")),
                str(idx),
            )
        )
    return functions


def _seed(task: str, language: str, split: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{task}|{language}|{split}".encode()).digest()[:8], "big")


def pair_negatives(functions: list[CodeFunction], task: str, language: str, split: str) -> list[int | None]:
    """For each function, the index of the function whose code becomes its negative (None when every other one
    has the same code or docstring): the next one along a cycle through a seeded permutation."""
    n = len(functions)
    order = np.random.default_rng(_seed(task, language, split)).permutation(n).tolist()
    partners: list[int | None] = [None] * n
    for position, i in enumerate(order):
        for step in range(1, n):
            j = order[(position + step) % n]
            if functions[j].code != functions[i].code and functions[j].docstring != functions[i].docstring:
                partners[i] = j
                break
    return partners


MATCH, NO_MATCH = "1", "0"  # the pair labels


def pair_examples(functions: list[CodeFunction], task: str, language: str, split: str) -> list[ClassificationExample]:
    """(docstring, code) pairs, each function's match followed by its negative (:func:`pair_negatives`), so that
    any prefix of the list stays balanced."""
    examples = []
    for i, (function, partner) in enumerate(
        zip(functions, pair_negatives(functions, task, language, split), strict=True)
    ):
        guid = f"{task}-{language}-{split}-{i}"
        examples.append(ClassificationExample(f"{guid}-pos", function.docstring, function.code, MATCH))
        if partner is not None:
            examples.append(ClassificationExample(f"{guid}-neg", function.docstring, functions[partner].code, NO_MATCH))
    return examples


def search_pairs(functions: list[CodeFunction], guid: str) -> list[ContrastivePair]:
    """Dual-encoder training pairs: each docstring (the query) with its function's code."""
    return [
        ContrastivePair(f"{guid}-{i}", RetrievalItem(f.url, f.docstring), RetrievalItem(f.idx, f.code))
        for i, f in enumerate(functions)
    ]


def search_set(functions: list[CodeFunction], guid: str) -> RetrievalExample:
    """Code search over the split: every docstring queries the pool of the split's functions (by ``idx``; a
    function listed twice is one candidate), its own function the gold."""
    pool: dict[str, RetrievalItem] = {}
    for f in functions:
        pool.setdefault(f.idx, RetrievalItem(f.idx, f.code))
    queries = tuple(RetrievalItem(f.url, f.docstring) for f in functions)
    return RetrievalExample(guid, queries, tuple(pool.values()), tuple((f.url, f.idx) for f in functions))
