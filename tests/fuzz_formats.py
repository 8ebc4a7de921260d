"""Mutation fuzzing of every local reader: one valid directory per official format, hypothesis-drawn mutations of
one of its files, and the rule every outcome must keep.

The rule (``classify``): reading a mutated file either gives examples, or raises one ``XstiltsError`` whose message
names a file of the directory (or the directory); never another exception, never a hang (``HANG_SECONDS``). Some
mutations also fix the outcome:

- ``bom``, ``crlf``, ``cr`` change no content, so they must give the very examples of the valid file;
- ``extra_column`` adds a field the format has no place for: reading the same examples means it was dropped
  silently, which is a failure (the examples may differ where the field is data: a tab inside a sentence);
- ``empty`` (no bytes, or blank lines only) and ``duplicate_id`` (a record repeated, where the format's records
  have ids, or a JSON key written twice) must be refused.

Every other mutation (truncation, random bytes, other encodings, a dropped column, a huge line, a JSON value of
another type, deep nesting) may give examples, which then differ from the valid file's or not, or an error. A file
cut at a line boundary is a valid, shorter file; no reader can tell, and the counts say how often that happened
(``changed``).

Used by ``tests/test_fuzz_readers.py`` (a few hundred inputs per format, fixed seed) and by
``benchmarks/fuzz_readers.py`` (ten thousand per format, by hand).
"""

from __future__ import annotations

import json
import random
import shutil
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

from tests import builders, choice_builders, fuzz_iglue, retrieval_files, xtreme_mock
from xstilts.data.sources import DataSource
from xstilts.errors import XstiltsError
from xstilts.evaluation.submission import score_submission
from xstilts.tasks.registry import get_task

HANG_SECONDS = 20.0
HUGE_LINE = 300_000  # characters: more than csv's default field limit (131072)
PRESERVING = ("bom", "crlf", "cr")
FAILURES = ("traceback", "unnamed_error", "hang", "not_refused", "not_same", "dropped_column")


class Hang(Exception):
    """A reader still running after ``HANG_SECONDS``."""


@dataclass(frozen=True)
class Format:
    """A valid directory of one official format and the call that reads it as a user's run does."""

    name: str
    build: Callable[[Path], None]
    read: Callable[[Path], Any]
    syntax: str  # "lines", "json", "jsonl" or "binary" (which needs ``mutations``)
    ids: bool = False  # records carry ids that must be unique
    columns: bool = False  # tab-separated fields
    files: tuple[str, ...] = ()  # glob patterns of the files to mutate (default: every file)
    # Files that may be empty or repeat a record: BUCC predictions (no pair extracted is a valid, poor submission;
    # the official scorer reads the pairs as a set).
    sets: tuple[str, ...] = ()
    # The format's own mutations, (draw, file name, bytes) -> (mutation name, bytes); default: ``mutate``'s text ones.
    mutations: Callable[[Any, str, bytes], tuple[str, bytes]] | None = None


def _task_reader(task: str, split: str, language: str) -> Callable[[Path], Any]:
    found: list[Any] = []  # the task, looked up once (the registry reads the plugins' entry points every time)

    def read(root: Path) -> Any:
        if not found:
            found.append(get_task(task))
        return found[0].read(split, language, DataSource(source="local", path=str(root)))

    return read


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _xtreme_pairs(root: Path) -> None:
    labels = ["entailment", "neutral", "contradiction", "contradictory", "neutral", "entailment"]
    # XNLI's translated files spell one label "contradictory"; the reader maps it.
    pairs = [builders.nli_pair(random.Random(k), "de", label.replace("ory", "ion")) for k, label in enumerate(labels)]
    rows = [(*pair, label) for pair, label in zip(pairs, labels, strict=True)]
    _write(root / "dev-de.tsv", "".join("\t".join(row) + "\n" for row in rows))


def _tagging_tsv(root: Path) -> None:
    sentences = [[("Paris", "B-LOC"), ("ist", "O"), ("schön", "O")], [("Anna", "B-PER"), ("Schmidt", "I-PER")]]
    text = "-DOCSTART-\tO\n\n" + "\n".join("".join(f"{w}\t{t}\n" for w, t in s) for s in sentences)
    _write(root / "dev-de.tsv", text)


CONLLU = (
    "# sent_id = 1\n# text = Im Haus ist's.\n"
    "1-2\tIm\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "1\tIn\tin\tADP\t_\t_\t3\tcase\t_\t_\n"
    "2\tdem\tder\tDET\t_\t_\t3\tdet\t_\t_\n"
    "3\tHaus\tHaus\tNOUN\t_\t_\t0\troot\t_\t_\n"
    "3.1\tist\tsein\tAUX\t_\t_\t_\t_\t3:cop\t_\n"
    "4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_\n\n"
    "# sent_id = 2\n"
    "1\t10 000\t10000\tNUM\t_\t_\t0\troot\t_\t_\n"
    "2\tHäuser\tHaus\tNOUN\t_\t_\t1\tdep\t2:dep\t_\n"
)


def _squad_like(name: str, language: str) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        document = builders.squad_document(language, 4, 3)
        document["data"][0]["paragraphs"][0]["qas"].append(
            {**document["data"][0]["paragraphs"][0]["qas"][0], "id": f"{language}-extra"}
        )
        _write(root / name, json.dumps(document, ensure_ascii=False, indent=1))

    return build


def _tydiqa(root: Path) -> None:
    document = builders.squad_document("en", 4, 3)
    for paragraph in document["data"][0]["paragraphs"]:
        for qa in paragraph["qas"]:
            qa["id"] = f"english-{qa['id']}"
    _write(root / "tydiqa-goldp-dev-english.json", json.dumps(document, indent=1))


def _mewsli(root: Path) -> None:
    contexts = [
        retrieval_files.mewsli_context("de", "Paris liegt in Frankreich. Berlin auch", [("m1", "Paris", "Q90")]),
        retrieval_files.mewsli_context(
            "de", "Anna wohnt in Berlin. Sie mag Rom", [("m2", "Berlin", "Q64"), ("m3", "Rom", "Q220")]
        ),
    ]
    entities = [retrieval_files.mewsli_entity(q, f"{q} is a city") for q in ("Q90", "Q64", "Q220", "Q1")]
    retrieval_files.write_mewsli(root, "dev", contexts, entities)


def _bucc(root: Path) -> None:
    pairs = retrieval_files.parallel_sentences("de", 4)
    retrieval_files.write_bucc(root, "de", "sample", [(s, e) for s, e in pairs], ["noise one", "noise two"])


def _submission_dirs(root: Path) -> None:
    """The mock submission of ``tests/xtreme_mock``, one language per task, so a mutation is scored at once."""
    xtreme_mock.write_mock(root / "predictions", root / "labels")
    for side in ("predictions", "labels"):
        for folder in (root / side).iterdir():
            keep = sorted(folder.iterdir())[0].name
            for path in folder.iterdir():
                if path.name != keep:
                    path.unlink()


def _score(root: Path) -> Any:
    return [score_submission(root / "predictions", root / "labels", b) for b in ("xtreme", "xtreme-r")]


def _text(root: Path) -> None:
    _write(root / "de.txt", "Erster Satz hier.\n\nZweiter Satz, länger als der erste.\nDritter.\n")


def _answer_vocabulary(root: Path) -> Any:
    return get_task("xgqa").label_set(DataSource(source="local", path=str(root)))


FORMATS: tuple[Format, ...] = (
    Format(
        "xnli_tsv",
        lambda r: builders.write_xnli_official(r, ["en", "de"], 3),
        _task_reader("xnli", "dev", "de"),
        "lines",
        columns=True,
        files=("xnli.dev.tsv",),
    ),
    Format("xtreme_pair_tsv", _xtreme_pairs, _task_reader("xnli", "dev", "de"), "lines", columns=True),
    Format(
        "pawsx_tsv",
        lambda r: builders.write_pawsx_official(r, ["de"], 5),
        _task_reader("pawsx", "dev", "de"),
        "lines",
        ids=True,
        columns=True,
        files=("de/dev_2k.tsv",),
    ),
    Format("squad_json", _squad_like("dev-v1.1.json", "en"), _task_reader("squad_v1", "dev", "en"), "json", ids=True),
    Format(
        "mlqa_json",
        _squad_like("dev-context-de-question-de.json", "de"),
        _task_reader("mlqa", "dev", "de"),
        "json",
        ids=True,
    ),
    Format("tydiqa_json", _tydiqa, _task_reader("tydiqa", "test", "en"), "json", ids=True),
    Format(
        "conllu",
        lambda r: _write(r / "UD_German-GSD" / "de_gsd-ud-dev.conllu", CONLLU),
        _task_reader("udpos", "dev", "de"),
        "lines",
        columns=True,
    ),
    Format("xtreme_tagging_tsv", _tagging_tsv, _task_reader("panx", "dev", "de"), "lines", columns=True),
    Format(
        "xcopa_jsonl",
        lambda r: choice_builders.write_xcopa_official(r, ["sw"], 4),
        _task_reader("xcopa", "test", "sw"),
        "jsonl",
        files=("data/sw/test.sw.jsonl",),
    ),
    Format(
        "hellaswag_jsonl",
        lambda r: choice_builders.write_hellaswag(r, 2, 4),
        _task_reader("hellaswag", "dev", "en"),
        "jsonl",
        ids=True,
        files=("hellaswag_val.jsonl",),
    ),
    Format(
        "commonsenseqa_jsonl",
        lambda r: choice_builders.write_commonsenseqa(r, 4),
        _task_reader("commonsenseqa", "dev", "en"),
        "jsonl",
        ids=True,
    ),
    Format(
        "tatoeba", lambda r: retrieval_files.write_tatoeba(r, ["de"], 5), _task_reader("tatoeba", "test", "de"), "lines"
    ),
    Format("bucc", _bucc, _task_reader("bucc2018", "dev", "de"), "lines", ids=True, columns=True),
    Format(
        "xquad_r_json",
        lambda r: retrieval_files.write_xquad_r(r, _lareqa_languages(), 3),
        _task_reader("lareqa", "test", "de"),
        "json",
        ids=True,
        files=("de.json", "en.json"),
    ),
    Format("mewsli_x_jsonl", _mewsli, _task_reader("mewsli_x", "dev", "de"), "jsonl", ids=True),
    Format("plain_text", _text, _task_reader("mlm", "train", "de"), "lines"),
    Format("submission", _submission_dirs, _score, "lines", ids=True, columns=True, sets=("predictions/bucc2018/*",)),
    # IGLUE (tests/fuzz_iglue.py); the retrieval sets (xFlickr&CO, WIT) and H5 region features are read elsewhere.
    Format("xvnli_jsonl", fuzz_iglue.write_xvnli, _task_reader("xvnli", "test", "fr"), "jsonl", ids=True),
    Format("marvl_jsonl", fuzz_iglue.write_marvl, _task_reader("marvl", "test", "sw"), "jsonl", ids=True),
    Format("nlvr2_jsonl", fuzz_iglue.write_nlvr2, _task_reader("marvl", "train", "en"), "jsonl", ids=True),
    Format("gqa_questions_json", fuzz_iglue.write_gqa_questions, _task_reader("xgqa", "test", "de"), "json", ids=True),
    Format("gqa_answers_json", fuzz_iglue.write_gqa_answers, _answer_vocabulary, "json", ids=True),
    Format(
        "region_npz", fuzz_iglue.write_regions, fuzz_iglue.read_regions, "binary", mutations=fuzz_iglue.mutate_regions
    ),
    Format("image_files", fuzz_iglue.write_images, fuzz_iglue.read_images, "binary", mutations=fuzz_iglue.mutate_image),
)


def _lareqa_languages() -> list[str]:
    from xstilts.tasks.lareqa import LAREQA_LANGUAGES

    return list(LAREQA_LANGUAGES)


# --- mutations ------------------------------------------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _pick_line(draw: Any, lines: list[bytes], skip_header: bool) -> int | None:
    """A line holding data: not blank, not a header, comment or document break."""
    candidates = [
        i
        for i, line in enumerate(lines)
        if line.strip() and not (skip_header and i == 0) and not line.startswith((b"#", b"-DOCSTART-"))
    ]
    return draw(st.sampled_from(candidates)) if candidates else None


def _json_nodes(value: Any, path: tuple = ()) -> list[tuple]:
    nodes = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            nodes += _json_nodes(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            nodes += _json_nodes(child, (*path, i))
    return nodes


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    return [_replace(child, rest, new) if i == head else child for i, child in enumerate(value)]


OTHER_TYPES = (0, -1, 7, 1.5, "", "x", [], {}, None, True, [1, 2], {"a": 1})


def _wrong_type(draw: Any, value: Any) -> Any:
    path = draw(st.sampled_from(_json_nodes(value)))
    node = value
    for step in path:
        node = node[step]
    options = [new for new in OTHER_TYPES if type(new) is not type(node)]
    return _replace(value, path, draw(st.sampled_from(options)))


def _dump_with_duplicate_key(value: Any, target: tuple, path: tuple = ()) -> str:
    """JSON text of ``value`` in which the object at ``target`` writes its first key twice."""
    if isinstance(value, dict):
        items = [(k, _dump_with_duplicate_key(v, target, (*path, k))) for k, v in value.items()]
        if path == target and items:
            items.append(items[0])
        return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump_with_duplicate_key(v, target, (*path, i)) for i, v in enumerate(value)) + "]"
    return json.dumps(value, ensure_ascii=False)


def _duplicate_json_record(draw: Any, value: Any) -> str:
    """A record with an ``id`` repeated in its list (a SQuAD question), else an object's key written twice; in a
    document that is one list of strings (GQA's answer vocabulary), one of them repeated."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return json.dumps([*value, draw(st.sampled_from(value))], ensure_ascii=False)
    lists = [p for p in _json_nodes(value) if _is_id_list(_at(value, p))]
    if lists and draw(st.booleans()):
        where = draw(st.sampled_from(lists))
        records = _at(value, where)
        return json.dumps(_replace(value, where, [*records, draw(st.sampled_from(records))]), ensure_ascii=False)
    objects = [p for p in _json_nodes(value) if isinstance(_at(value, p), dict) and _at(value, p)]
    return _dump_with_duplicate_key(value, draw(st.sampled_from(objects)))


def _at(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "id" in v for v in value)


def mutate(draw: Any, fmt: Format, name: str, data: bytes) -> tuple[str, bytes]:
    """(mutation name, mutated bytes) of one file of ``fmt``."""
    if fmt.mutations is not None:
        return fmt.mutations(draw, name, data)
    kinds = ["truncate", "random_bytes", "encoding", "bom", "crlf", "cr", "huge_line", "empty", "duplicate_id"]
    if fmt.columns:
        kinds += ["drop_column", "extra_column"]
    if fmt.syntax in ("json", "jsonl"):
        kinds += ["wrong_type", "deep_nesting"]
    kind = draw(st.sampled_from(kinds))
    text = data.decode("utf-8")
    lines = _lines(data)
    header = fmt.name in ("xnli_tsv", "pawsx_tsv")
    if kind == "truncate":
        return kind, data[: draw(st.integers(0, max(0, len(data) - 1)))]
    if kind == "random_bytes":
        at = draw(st.integers(0, len(data)))
        junk = draw(st.binary(min_size=1, max_size=8))
        keep = draw(st.booleans())
        return kind, data[:at] + junk + data[at + (0 if keep else len(junk)) :]
    if kind == "encoding":
        encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "shift_jis"]))
        return f"{kind}:{encoding}", text.encode(encoding, errors="replace")
    if kind == "bom":
        return kind, b"\xef\xbb\xbf" + data
    if kind == "crlf":
        return kind, data.replace(b"\n", b"\r\n")
    if kind == "cr":
        return kind, data.replace(b"\n", b"\r")
    if kind == "huge_line":
        at = draw(st.integers(0, len(text)))
        return kind, (text[:at] + "x" * HUGE_LINE + text[at:]).encode()
    if kind == "empty":
        return kind, draw(st.sampled_from([b"", b"\n", b"\n\n  \n", b"\r\n"]))
    if kind == "deep_nesting":
        depth = draw(st.sampled_from([10_000, 100_000]))
        nested = b"[" * depth + b"]" * depth
        if fmt.syntax == "jsonl" and len(lines) > 1:
            i = draw(st.integers(0, len(lines) - 1))
            return kind, b"\n".join([*lines[:i], nested, *lines[i + 1 :]])
        return kind, nested
    if kind == "wrong_type":
        if fmt.syntax == "json":
            return kind, json.dumps(_wrong_type(draw, json.loads(text)), ensure_ascii=False).encode()
        i = _pick_line(draw, lines, False)
        if i is None:
            return kind, data
        record = _wrong_type(draw, json.loads(lines[i]))
        return kind, b"\n".join([*lines[:i], json.dumps(record, ensure_ascii=False).encode(), *lines[i + 1 :]])
    if kind == "duplicate_id":
        if fmt.syntax == "json" or (name.endswith(".json") and fmt.syntax != "jsonl"):  # NLVR2's .json: JSON lines
            return kind, _duplicate_json_record(draw, json.loads(text)).encode()
        i = _pick_line(draw, lines, header)
        if i is None:
            return kind, data
        return kind, b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    # drop_column / extra_column
    i = _pick_line(draw, lines, False)
    if i is None or b"\t" not in lines[i]:
        return kind, data
    fields = lines[i].split(b"\t")
    if kind == "drop_column":
        k = draw(st.integers(0, len(fields) - 1))
        fields = fields[:k] + fields[k + 1 :]
    else:
        fields = [*fields, b"extra"]
    return kind, b"\n".join([*lines[:i], b"\t".join(fields), *lines[i + 1 :]])


# --- outcomes -------------------------------------------------------------------------------------------------------


def _alarm(signum: int, frame: Any) -> None:
    raise Hang


def _names_a_file(message: str, root: Path) -> bool:
    return str(root) in message


def classify(fmt: Format, root: Path, kind: str, original: Any, changed_content: bool, path: Path) -> tuple[str, str]:
    """(outcome, detail) of reading ``root`` after one mutation; outcomes in ``FAILURES`` break the rule."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        result = fmt.read(root)
    except Hang:
        return "hang", kind
    except XstiltsError as err:
        if not _names_a_file(str(err), root):
            return "unnamed_error", f"{kind}: {err}"
        if kind in PRESERVING:
            return "not_same", f"{kind}: {err}"
        return "error", ""
    except Exception as err:  # the rule's point: anything else is a bug
        return "traceback", f"{kind}: {type(err).__name__}: {err}"[:400]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    same = result == original
    if kind in PRESERVING and not same:
        return "not_same", kind
    is_set = any(path.match(str(root / pattern)) for pattern in fmt.sets)
    if (kind == "empty" or (kind == "duplicate_id" and fmt.ids)) and changed_content and not is_set:
        return "not_refused", kind
    if kind == "extra_column" and same and changed_content:
        return "dropped_column", kind
    return ("same" if same else "changed"), ""


@dataclass
class Tally:
    """Outcome counts of one format, with the first few failures spelled out."""

    counts: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def add(self, kind: str, outcome: str, detail: str) -> None:
        self.counts[outcome] += 1
        self.kinds[kind.split(":")[0]] += 1
        if outcome in FAILURES and len(self.failures) < 20:
            self.failures.append(f"{outcome}: {detail}")

    @property
    def inputs(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        return sum(self.counts[name] for name in FAILURES)


def _targets(fmt: Format, root: Path) -> list[Path]:
    if not fmt.files:
        return sorted(p for p in root.rglob("*") if p.is_file())
    return sorted({p for pattern in fmt.files for p in root.glob(pattern) if p.is_file()})


def fuzz(fmt: Format, root: Path, examples: int, seed: int | None) -> Tally:
    """Builds ``fmt``'s valid directory under ``root`` and reads ``examples`` hypothesis-drawn mutations of it."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    fmt.build(root)
    original = fmt.read(root)
    targets = _targets(fmt, root)
    saved = {path: path.read_bytes() for path in targets}
    tally = Tally()

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(targets))
        kind, mutated = mutate(data.draw, fmt, path.name, saved[path])
        try:
            path.write_bytes(mutated)
            outcome, detail = classify(fmt, root, kind, original, mutated.strip() != saved[path].strip(), path)
        finally:
            path.write_bytes(saved[path])
        tally.add(kind, outcome, f"{path.relative_to(root)}: {detail}")

    (one if seed is None else fixed_seed(seed)(one))()
    return tally
