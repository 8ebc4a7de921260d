"""CoSQA's official JSON (Huang et al., ACL 2021; microsoft/CodeXGLUE ``Text-Code/NL-code-search-WebQuery/CoSQA``
and Jun-jie-Huang/CoCLR ``data/``): a JSON list of objects ``idx, doc (the web query), code, code_tokens,
docstring_tokens, label`` (1: the code answers the query, 0: it does not); the retrieval sets
(``cosqa-retrieval-{dev,test}-500.json``) add ``retrieval_idx``, an index into ``code_idx_map.txt``, one JSON object
``{code: index}`` over the 6,267-function search pool. As CoCLR's scripts read them (``--code_type code``, the
default), the texts are ``doc`` and the raw ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xstilts.data.examples import ClassificationExample, RetrievalExample, RetrievalItem
from xstilts.data.files import (
    check_label,
    check_nonempty,
    field_error,
    read_json_document,
    require_file,
    text_field,
    typed_field,
)
from xstilts.errors import DataFormatError

COSQA_LABELS = {0: "0", 1: "1"}


@dataclass(frozen=True)
class CosqaPair:
    idx: str
    query: str
    code: str
    label: str
    retrieval_idx: int | None


def read_cosqa_json(path: Path, retrieval: bool = False) -> list[CosqaPair]:
    """The pairs of a CoSQA JSON file, in file order (``retrieval``: each must have its ``retrieval_idx``)."""
    require_file(path, "CoSQA JSON: a list of objects with idx, doc, code, label")
    document = read_json_document(path)
    if not isinstance(document, list):
        raise DataFormatError(path, f"expected a JSON list of pairs, found {type(document).__name__}")
    pairs: list[CosqaPair] = []
    seen: dict[str, int] = {}
    for k, record in enumerate(document):
        where = f"[{k}]"
        idx = check_nonempty(path, None, f"{where}.idx", text_field(path, None, record, "idx", where))
        if idx in seen:
            raise field_error(path, None, f"{where}.idx", f"{idx!r} listed twice (first at [{seen[idx]}])")
        seen[idx] = k
        label = check_label(path, None, f"{where}.label", typed_field(path, None, record, "label", int, where), (0, 1))
        target = typed_field(path, None, record, "retrieval_idx", int, where) if retrieval else None
        pairs.append(
            CosqaPair(
                idx,
                check_nonempty(path, None, f"{where}.doc", text_field(path, None, record, "doc", where)),
                check_nonempty(path, None, f"{where}.code", text_field(path, None, record, "code", where)),
                COSQA_LABELS[label],
                target,
            )
        )
    return pairs


def cosqa_pair_examples(pairs: list[CosqaPair]) -> list[ClassificationExample]:
    return [ClassificationExample(p.idx, p.query, p.code, p.label) for p in pairs]


def read_code_pool(path: Path) -> tuple[RetrievalItem, ...]:
    """``code_idx_map.txt``: the search pool in index order, each function's id its index."""
    require_file(path, "CoSQA's code_idx_map.txt: one JSON object {code: index}")
    document = read_json_document(path)
    if not isinstance(document, dict):
        raise DataFormatError(path, f"expected a JSON object {{code: index}}, found {type(document).__name__}")
    by_index: dict[int, str] = {}
    for code, index in document.items():
        if not isinstance(index, int) or isinstance(index, bool):
            raise field_error(path, None, code[:40], f"expected an integer index, found {type(index).__name__}")
        if index in by_index:
            raise field_error(path, None, code[:40], f"index {index} given to two functions")
        by_index[index] = code
    if sorted(by_index) != list(range(len(by_index))):
        raise DataFormatError(path, f"the indices are not 0..{len(by_index) - 1}")
    return tuple(RetrievalItem(str(i), by_index[i]) for i in range(len(by_index)))


def cosqa_search_set(queries_path: Path, pool_path: Path, guid: str) -> RetrievalExample:
    """The queries of a retrieval file searching the pool, each with its ``retrieval_idx`` as gold. CoCLR's scorer
    ranks every query of the file (``label`` is not consulted), and so does this set."""
    pool = read_code_pool(pool_path)
    pairs = read_cosqa_json(queries_path, retrieval=True)
    for k, pair in enumerate(pairs):
        if not 0 <= (pair.retrieval_idx or 0) < len(pool):
            raise field_error(queries_path, None, f"[{k}].retrieval_idx", f"{pair.retrieval_idx} is not in the pool")
    queries = tuple(RetrievalItem(p.idx, p.query) for p in pairs)
    return RetrievalExample(guid, queries, pool, tuple((p.idx, str(p.retrieval_idx)) for p in pairs))
