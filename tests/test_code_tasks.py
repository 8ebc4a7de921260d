"""The code tasks' readers: the stdlib corpus (structure, not counts), CodeSearchNet / AdvTest jsonl, the
deterministic negatives, CoSQA's JSON (and the real files in ../shared/data/cosqa when present), Devign's jsonl,
their errors on malformed files, and csn_pair's programming-language selection in the plan."""

from __future__ import annotations

import ast
import inspect
import json
import platform
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from xstilts.data import pydoc_corpus
from xstilts.data.code_search_net import CodeFunction, pair_negatives, read_code_search_net, search_set
from xstilts.data.cosqa import read_code_pool, read_cosqa_json
from xstilts.data.examples import ClassificationExample, ContrastivePair, RetrievalExample
from xstilts.data.sources import DataSource
from xstilts.errors import DataFormatError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.tasks import csn_pair
from xstilts.tasks.registry import get_task

COSQA = SHARED_DATA / "cosqa"


def _csn_record(i: int, **extra: object) -> dict:
    return {
        "repo": "r",
        "path": "p.py",
        "func_name": f"f{i}",
        "language": "python",
        "code": f"def f{i}(): pass",
        "code_tokens": ["def", f"f{i}", "(", ")", ":", "pass"],
        "docstring": f"does thing {i}",
        "docstring_tokens": ["does", "thing", str(i)],
        "url": f"https://example.org/{i}",
        **extra,
    }


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _string_tokens(tokens: list[str]) -> set[str]:
    """The cleaned text of every string-literal token."""
    found = set()
    for token in tokens:
        if token[:1] in "'\"" or token[:2].lower() in {"r'", 'r"'}:
            try:
                found.add(inspect.cleandoc(ast.literal_eval(token)))
            except (ValueError, SyntaxError, TypeError):
                continue
    return found


@pytest.fixture(scope="module")
def stdlib_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pydoc_corpus.stdlib_corpus(tmp_path_factory.mktemp("pydoc"))


@pytest.mark.slow  # parses the standard library once (about 10 s of CPU)
def test_stdlib_corpus_has_the_codesearchnet_structure(stdlib_dir: Path) -> None:
    assert stdlib_dir.name.startswith(f"py{platform.python_version()}-")
    sizes = {}
    for stem in ("train", "valid", "test"):
        path = stdlib_dir / "python" / f"{stem}.jsonl"
        records = [json.loads(line) for line in path.read_text().splitlines()]
        sizes[stem] = len(records)
        for record in records[:200]:
            assert record["partition"] == stem == pydoc_corpus.split_of(record["func_name"].rsplit(".", 1)[0])
            assert len(record["docstring_tokens"]) >= 3
            assert not set(Path(record["path"]).parts[:-1]) & pydoc_corpus.EXCLUDED_PACKAGES
            assert record["docstring"] not in _string_tokens(record["code_tokens"])  # the docstring is no token
        assert len(read_code_search_net(path)) == len(records)  # the real reader reads it
    assert sizes["train"] > sizes["valid"] > 0 and sizes["test"] > 0


@pytest.mark.slow  # parses the standard library once (about 10 s of CPU)
def test_stdlib_corpus_is_found_again_without_parsing(stdlib_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pydoc_corpus._stdlib_corpus.cache_clear()
    monkeypatch.setattr(pydoc_corpus, "stdlib_records", lambda root=None: pytest.fail("parsed the library again"))
    assert pydoc_corpus.stdlib_corpus(stdlib_dir.parent) == stdlib_dir


@pytest.mark.slow  # parses the standard library once (about 10 s of CPU)
def test_pydoc_tasks_read_pairs_and_search_sets(stdlib_dir: Path) -> None:
    source = DataSource(source="local", path=str(stdlib_dir))
    pairs = get_task("pydoc_pair").read("dev", "en", source)
    assert {e.label for e in pairs} == {"0", "1"} and all(isinstance(e, ClassificationExample) for e in pairs)
    (search,) = get_task("pydoc_search").read("test", "en", source)
    assert isinstance(search, RetrievalExample) and len(search.gold) == len(search.queries)
    train = get_task("pydoc_search").read("train", "en", source)
    assert isinstance(train[0], ContrastivePair)


def test_split_of_is_a_stable_hash_of_the_module() -> None:
    assert pydoc_corpus.split_of("json.decoder") == pydoc_corpus.split_of("json.decoder")
    buckets = [pydoc_corpus.split_of(f"module{i}") for i in range(1000)]
    assert 700 < buckets.count("train") < 900 and buckets.count("valid") > 50 and buckets.count("test") > 50


def test_negatives_are_seeded_by_task_language_and_split_and_never_match() -> None:
    functions = [CodeFunction(f"u{i}", f"doc {i % 7}", f"code {i % 9}", f"u{i}") for i in range(30)]
    partners = pair_negatives(functions, "csn_pair", "python", "train")
    assert partners == pair_negatives(functions, "csn_pair", "python", "train")
    assert partners != pair_negatives(functions, "csn_pair", "python", "dev")
    for i, j in enumerate(partners):
        assert j is not None and j != i
        assert functions[j].code != functions[i].code and functions[j].docstring != functions[i].docstring
    alone = [CodeFunction("a", "d", "c", "a"), CodeFunction("b", "d", "c2", "b")]
    assert pair_negatives(alone, "t", "python", "train") == [None, None]  # same docstring: no negative


def test_codesearchnet_reader_errors_name_file_line_and_field(tmp_path: Path) -> None:
    good = _write_jsonl(tmp_path / "ok.jsonl", [_csn_record(0), _csn_record(1, idx=5)])
    functions = read_code_search_net(good)
    assert functions[0].docstring == "does thing 0" and functions[0].code == "def f0 ( ) : pass"
    assert functions[1].idx == "5" and functions[0].idx == functions[0].url
    missing = {k: v for k, v in _csn_record(1).items() if k != "docstring_tokens"}
    for records, message in [
        ([_csn_record(0), missing], "missing field 'docstring_tokens'"),
        ([_csn_record(0, code_tokens=["def", 3])], "field 'code_tokens[1]': expected a string, found int"),
        ([_csn_record(0), _csn_record(0)], "field 'url': 'https://example.org/0' listed twice"),
        ([_csn_record(0, docstring_tokens=[])], "field 'docstring_tokens': empty"),
    ]:
        path = _write_jsonl(tmp_path / "bad.jsonl", records)
        with pytest.raises(
            DataFormatError, match=r"bad\.jsonl:\d+: " + message.replace("[", r"\[").replace("]", r"\]")
        ):
            read_code_search_net(path)


def test_advtest_reads_function_tokens_and_searches_the_split(tmp_path: Path) -> None:
    records = []
    for i in range(4):
        record = _csn_record(i, idx=10 + i)
        record["function_tokens"] = record.pop("code_tokens")
        records.append(record)
    _write_jsonl(tmp_path / "valid.jsonl", records)
    (search,) = get_task("advtest").read("dev", "en", DataSource(source="local", path=str(tmp_path)))
    assert [c.id for c in search.candidates] == ["10", "11", "12", "13"]
    assert search.gold[2] == ("https://example.org/2", "12")
    assert search_set(read_code_search_net(tmp_path / "valid.jsonl"), "g").queries[0].text == "does thing 0"


def test_csn_pair_caps_train_and_balances_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_jsonl(tmp_path / "java" / "train.jsonl", [_csn_record(i, language="java") for i in range(10)])
    monkeypatch.setattr(csn_pair, "TRAIN_CAP", 6)
    examples = get_task("csn_pair").read("train", "java", DataSource(source="local", path=str(tmp_path)))
    assert len(examples) == 12 and [e.label for e in examples[:4]] == ["1", "0", "1", "0"]
    assert examples[1].text_a == examples[0].text_a and examples[1].text_b != examples[0].text_b
    rows = [{"url": "u", "docstring_tokens": ["a", "b"], "code_tokens": ["x", "y"]}]
    assert csn_pair.functions_from_rows(rows) == [CodeFunction("u", "a b", "x y", "u")]


def test_csn_pair_trains_on_the_listed_programming_languages(tmp_path: Path) -> None:
    spec = tmp_path / "e.yaml"
    spec.write_text(
        "name: c\nmodel: xlm-roberta-large\nintermediate: [csn_pair]\ntarget: [xnli]\n"
        "tasks: {csn_pair: {languages: [java, go]}}\n"
    )
    (phase,) = [p for p in build_plan(load_spec(spec)) if p.role == "intermediate"]
    head = phase.config.heads["csn_pair"]
    assert head.train.languages == ["java", "go"] and head.select is not None and head.select.language == "java"
    spec.write_text("name: c\nmodel: xlm-roberta-large\nintermediate: [csn_pair]\ntarget: [xnli]\n")
    (phase,) = [p for p in build_plan(load_spec(spec)) if p.role == "intermediate"]
    assert phase.config.heads["csn_pair"].train.languages == list(csn_pair.PROGRAMMING_LANGUAGES)


def test_cosqa_reader_errors(tmp_path: Path) -> None:
    path = tmp_path / "cosqa-dev.json"
    record = {"idx": "cosqa-dev-0", "doc": "python sort dict", "code": "def f(): pass", "label": 1}
    path.write_text(json.dumps([record]))
    (pair,) = read_cosqa_json(path)
    assert (pair.query, pair.label) == ("python sort dict", "1")
    for document, message in [
        ([{**record, "label": 2}], r"field '\[0\]\.label': 2 is not one of 0, 1"),
        ([record, record], r"field '\[1\]\.idx': 'cosqa-dev-0' listed twice \(first at \[0\]\)"),
        ({"idx": "x"}, "expected a JSON list of pairs, found dict"),
        ([{k: v for k, v in record.items() if k != "code"}], r"field '\[0\]': missing field 'code'"),
    ]:
        path.write_text(json.dumps(document))
        with pytest.raises(DataFormatError, match=message):
            read_cosqa_json(path)
    with pytest.raises(DataFormatError, match="missing field 'retrieval_idx'"):
        path.write_text(json.dumps([record]))
        read_cosqa_json(path, retrieval=True)
    pool = tmp_path / "code_idx_map.txt"
    pool.write_text(json.dumps({"def a(): pass": 0, "def b(): pass": 2}))
    with pytest.raises(DataFormatError, match=r"the indices are not 0\.\.1"):
        read_code_pool(pool)


def test_devign_reader(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "valid.jsonl",
        [{"project": "FFmpeg", "commit_id": "c", "target": 1, "func": "int f ( )\n{ return 0; }", "idx": 3}],
    )
    (example,) = get_task("devign").read("dev", "en", DataSource(source="local", path=str(tmp_path)))
    assert (example.guid, example.text_a, example.text_b, example.label) == (
        "devign-3",
        "int f ( ) { return 0; }",
        None,
        "1",
    )
    _write_jsonl(path, [{"project": "FFmpeg", "commit_id": "c", "target": True, "func": "x", "idx": 3}])
    with pytest.raises(DataFormatError, match=r"valid\.jsonl:1: field 'target': expected an integer, found bool"):
        get_task("devign").read("dev", "en", DataSource(source="local", path=str(tmp_path)))


@pytest.mark.skipif(not COSQA.is_dir(), reason="../shared/data/cosqa is not present")
def test_real_cosqa_files() -> None:
    source = DataSource(source="local", path=str(COSQA))
    dev = get_task("cosqa").read("dev", "en", source)
    assert len(dev) == 604 and sum(e.label == "1" for e in dev) == 313
    for split in ("dev", "test"):
        (search,) = get_task("cosqa_search").read(split, "en", source)
        assert len(search.queries) == len(search.gold) == 500 and len(search.candidates) == 6267
        pool = {c.id for c in search.candidates}
        assert all(candidate in pool for _, candidate in search.gold)


def test_pydoc_corpus_skips_what_the_issue_excludes(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    body = 'def f(x):\n    """Add one to x please."""\n    y = x\n    y += 1\n    return y\n'
    short = 'def g(x):\n    """Too short."""\n    return x\n'
    for relative in ("keep/mod.py", "idlelib/a.py", "test/b.py", "keep/test_c.py", "site-packages/d.py"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(body + short)
    records = pydoc_corpus.stdlib_records(root)
    assert [(r["path"], r["func_name"]) for r in records] == [("keep/mod.py", "keep.mod.f")]
    assert records[0]["code_tokens"][:6] == ["def", "f", "(", "x", ")", ":"]
    assert '"""Add one to x please."""' not in records[0]["code_tokens"]


def test_advtest_probes_an_encoder_without_training_it(tiny_model: Path, tmp_path: Path) -> None:
    """``retrieval: {after: intermediate}`` makes a dual-encoder target an evaluation-only probe: no training
    phase, the (here pretrained) encoder's pooled layer, the task's own full-pool MRR and prediction file."""
    from typer.testing import CliRunner

    from xstilts.cli import app

    _write_jsonl(tmp_path / "data" / "test.jsonl", [_csn_record(i, idx=i) for i in range(6)])
    spec = tmp_path / "e.yaml"
    spec.write_text(
        f"name: probe\nmodel: {tiny_model}\nintermediate: [none]\ntarget: [advtest]\n"
        f"tasks: {{advtest: {{data: {{source: local, path: {tmp_path / 'data'}}},"
        " retrieval: {after: intermediate}}}\n"
    )
    (phase,) = build_plan(load_spec(spec))
    assert phase.kind == "evaluate" and phase.parent is None
    run = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(run)])
    assert result.exit_code == 0, result.output
    record = json.loads((run / "phases" / phase.id / "languages" / "en.json").read_text())
    assert 100 / 6 <= record["scores"]["mrr"] <= 100 and record["retrieval"]["layer"] == 1  # round(14/24 x 2)
    rankings = json.loads((run / "phases" / phase.id / "predictions" / "advtest" / "test-en.json").read_text())
    assert (
        set(rankings) == {f"https://example.org/{i}" for i in range(6)} and len(rankings["https://example.org/0"]) == 6
    )
