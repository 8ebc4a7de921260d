"""A fake Hugging Face hub that behaves like the real one does for the datasets xstilts reads, so hub readers are
tested offline against the real libraries' entry points (``datasets.load_dataset`` and
``huggingface_hub.snapshot_download``), not against a mock of our own code.

What it reproduces, each from the page named beside it:
- datasets 4.x refuses a repo that still holds its loading script: ``RuntimeError: Dataset scripts are no longer
  supported, but found <name>.py`` (datasets 4.8.5 ``load.py``), whatever else the repo holds;
- the hub's parquet export on ``refs/convert/parquet``, laid out ``<config>/<split>/0000.parquet``
  (huggingface.co/datasets/lighteval/siqa/tree/refs%2Fconvert%2Fparquet/default/train);
- each dataset's configs, columns and label encodings as its card's ``dataset_info`` gives them;
- google/xtreme's faults: its PAWS-X loader's quote handling drops rows, its QA loaders strip context and answer text
  but keep ``answer_start``, its ``udpos.<Language>`` configs merge every UD folder whose name holds the language
  name (Ancient Greek into Greek), it has 11 ``XQuAD.*`` configs (no ``ro``) and XTREME's 36 ``tatoeba.*`` only.

Tables are tiny (a few rows) but in the real schema. ``FakeHub.install`` patches the two libraries; a test adds or
changes repos through ``hub.repos``.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from xstilts.tasks.tatoeba import TATOEBA_CODES

Table = Any  # a datasets.Dataset


@dataclass
class FakeRepo:
    """One dataset repo: what ``main`` (or another revision) holds, and its parquet export."""

    configs: dict[str | None, dict[str, Table]] = field(default_factory=dict)
    script: str | None = None  # a loading script still on the branch: datasets 4.x refuses the repo
    export: dict[str, dict[str, Table]] = field(default_factory=dict)  # refs/convert/parquet: config dir -> split
    revisions: dict[str, FakeRepo] = field(default_factory=dict)  # other branches / PR refs
    export_commit: str = "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0"


def _features() -> Any:
    import datasets

    return datasets


def squad_features() -> Any:
    datasets = _features()
    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "title": datasets.Value("string"),
            "context": datasets.Value("string"),
            "question": datasets.Value("string"),
            "answers": datasets.Sequence({"text": datasets.Value("string"), "answer_start": datasets.Value("int32")}),
        }
    )


def stripped_squad_table(rows: list[dict[str, Any]]) -> Table:
    """SQuAD-schema rows as google/xtreme's and google/xquad's loaders build them: ``context`` and each answer's
    ``text`` stripped of surrounding white space, ``answer_start`` kept from the unstripped original (xtreme.py's
    ``_generate_examples`` for XQuAD/MLQA; xquad.py). ``rows``: id, question, context, answers [(text, start)] as
    in the official file."""
    datasets = _features()
    columns: dict[str, list] = {"id": [], "title": [], "context": [], "question": [], "answers": []}
    for row in rows:
        columns["id"].append(row["id"])
        columns["title"].append(row.get("title", "T"))
        columns["context"].append(row["context"].strip())
        columns["question"].append(row["question"])
        columns["answers"].append(
            {"text": [text.strip() for text, _ in row["answers"]], "answer_start": [s for _, s in row["answers"]]}
        )
    return datasets.Dataset.from_dict(columns, features=squad_features())


# A paragraph whose official context starts with a blank, and one with an answer that starts with one: the two
# ways stripping shifts answer_start (both occur in XQuAD and MLQA's published files).
QA_ROWS = [
    {"id": "q1", "question": "Who sat?", "context": " The cat sat on the mat.", "answers": [("cat", 5)]},
    {"id": "q2", "question": "Where?", "context": "It sat on the mat.", "answers": [(" the mat", 9)]},
    {"id": "q3", "question": "What?", "context": "Dogs bark loudly.", "answers": [("bark", 5)]},
]


def nli_table(languages: list[str]) -> Table:
    """google/xtreme ``XNLI``: every language in one table, string labels (card: gold_label dtype string)."""
    datasets = _features()
    n = len(languages)
    return datasets.Dataset.from_dict(
        {
            "language": languages,
            "sentence1": [f"premise {i}" for i in range(n)],
            "sentence2": [f"hypothesis {i}" for i in range(n)],
            "gold_label": [("entailment", "neutral", "contradiction")[i % 3] for i in range(n)],
        }
    )


# PAWS-X rows as in the official tsv; the second holds a double quote, which google/xtreme's loader (csv with
# quoting) swallows together with the following rows up to the next quote (en train 49175 of 49401: commit
# 54171a6 of google/xtreme's README, "num_examples: 49175").
PAWSX_ROWS = [
    ("Paris is big .", "Paris is large .", 1),
    ('He said " no .', "He said no .", 0),
    ("It rained .", "Rain fell .", 1),
    ('She wrote " yes " .', "She wrote yes .", 1),
]


def pawsx_xtreme_table(rows: list[tuple[str, str, int]]) -> Table:
    """google/xtreme ``PAWS-X.<lang>``: label dtype string; a row with a lone quote and everything up to the row
    with the closing quote are lost."""
    datasets = _features()
    kept, inside = [], False
    for s1, s2, label in rows:
        quotes = (s1 + s2).count('"')
        if inside or quotes % 2:
            inside = inside != bool(quotes % 2)
            continue
        kept.append((s1, s2, str(label)))
    return datasets.Dataset.from_dict(
        {"sentence1": [r[0] for r in kept], "sentence2": [r[1] for r in kept], "label": [r[2] for r in kept]}
    )


def pawsx_table(rows: list[tuple[str, str, int]]) -> Table:
    """google-research-datasets/paws-x ``<lang>``: id int32, sentence1, sentence2, label ClassLabel ["0", "1"]
    (card's dataset_info; TFDS community catalogue huggingface:paws-x), every row kept."""
    datasets = _features()
    features = datasets.Features(
        {
            "id": datasets.Value("int32"),
            "sentence1": datasets.Value("string"),
            "sentence2": datasets.Value("string"),
            "label": datasets.ClassLabel(names=["0", "1"]),
        }
    )
    return datasets.Dataset.from_dict(
        {
            "id": list(range(1, len(rows) + 1)),
            "sentence1": [r[0] for r in rows],
            "sentence2": [r[1] for r in rows],
            "label": [r[2] for r in rows],
        },
        features=features,
    )


@functools.cache
def siqa_table(n: int) -> Table:
    """Social IQa: context, question, answerA-C, label as a string "1"/"2"/"3" (allenai/social_i_qa and
    lighteval/siqa cards: label dtype string)."""
    datasets = _features()
    return datasets.Dataset.from_dict(
        {
            "context": [f"Context {i}." for i in range(n)],
            "question": [f"Why {i}?" for i in range(n)],
            "answerA": ["a"] * n,
            "answerB": ["b"] * n,
            "answerC": ["c"] * n,
            "label": [str(i % 3 + 1) for i in range(n)],
        }
    )


@functools.cache
def cosmosqa_table(n: int) -> Table:
    """Cosmos QA: id, context, question, answer0-3, label int32 (allenai/cosmos_qa card, refs/pr/1 README)."""
    datasets = _features()
    features = datasets.Features(
        {
            **{k: datasets.Value("string") for k in ("id", "context", "question")},
            **{f"answer{i}": datasets.Value("string") for i in range(4)},
            "label": datasets.Value("int32"),
        }
    )
    return datasets.Dataset.from_dict(
        {
            "id": [f"c{i}" for i in range(n)],
            "context": ["ctx"] * n,
            "question": ["q?"] * n,
            **{f"answer{i}": [f"a{i}"] * n for i in range(4)},
            "label": [i % 4 for i in range(n)],
        },
        features=features,
    )


@functools.cache
def tatoeba_table(code: str) -> Table:
    """google/xtreme ``tatoeba.<code>`` (validation only): source_sentence, target_sentence, source_lang,
    target_lang."""
    datasets = _features()
    return datasets.Dataset.from_dict(
        {
            "source_sentence": [f"{code} one", f"{code} two"],
            "target_sentence": ["one", "two"],
            "source_lang": [code, code],
            "target_lang": ["eng", "eng"],
        }
    )


UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT")
UPOS += ("SCONJ", "SYM", "VERB", "X")


def udpos_table(sentences: list[list[tuple[str, str]]]) -> Table:
    """google/xtreme ``udpos.<Language>``: tokens and pos_tags, a sequence of ClassLabel over the 17 UPOS tags."""
    datasets = _features()
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "pos_tags": datasets.Sequence(datasets.ClassLabel(names=list(UPOS))),
        }
    )
    return datasets.Dataset.from_dict(
        {
            "tokens": [[w for w, _ in s] for s in sentences],
            "pos_tags": [[UPOS.index(t) for _, t in s] for s in sentences],
        },
        features=features,
    )


# XTREME's 36 Tatoeba languages, by LASER code (google/xtreme has a ``tatoeba.<code>`` config for each; XTREME-R's
# aze lit pol ukr ron are not among them: google/xtreme's card lists configs tatoeba.afr ... tatoeba.vie only).
XTREME_TATOEBA = tuple(code for code in TATOEBA_CODES.values() if code not in ("aze", "lit", "pol", "ukr", "ron"))
# google/xtreme's XQuAD configs (11, no ro): huggingface.co/datasets/google/xtreme, dataset card.
XTREME_XQUAD = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
XQUAD_LANGUAGES = (*XTREME_XQUAD, "ro")  # google/xquad has xquad.ro too (its commit 285410c "Add xquad.ro")
PAWSX_LANGUAGES = ("en", "de", "es", "fr", "ja", "ko", "zh")
SPLITS = ("train", "validation", "test")


@functools.cache
def _tables() -> dict[str, Table]:
    """The tables several repos share, built once per test session (datasets are immutable)."""
    greek_modern = [[("Το", "DET"), ("σπίτι", "NOUN")]]
    # UD_Ancient_Greek-PROIEL and -Perseus hold "_Greek" in their folder names: the hub loader merges them into
    # udpos.Greek (test 2809 sentences = 456 Modern (GDT) + 1047 PROIEL + 1306 Perseus, most of it Ancient Greek).
    greek_ancient = [[("ἐν", "ADP"), ("ἀρχῇ", "NOUN")], [("ἦν", "AUX"), ("ὁ", "DET")]]
    return {
        "qa": stripped_squad_table(QA_ROWS),
        "xnli dev": nli_table(["en", "de", "de"]),
        "xnli test": nli_table(["en", "de", "fr", "de"]),
        "pawsx xtreme": pawsx_xtreme_table(PAWSX_ROWS),
        "pawsx": pawsx_table(PAWSX_ROWS),
        "udpos greek": udpos_table(greek_modern + greek_ancient),
        "udpos english": udpos_table([[("The", "DET"), ("dog", "NOUN")]]),
    }


def default_repos() -> dict[str, FakeRepo]:
    """The hub as the dataset pages describe it, for the datasets and configs the tests read."""
    t = _tables()
    qa = t["qa"]
    xtreme = FakeRepo(
        configs={
            "XNLI": {"validation": t["xnli dev"], "test": t["xnli test"]},
            **{f"XQuAD.{lang}": {"validation": qa} for lang in XTREME_XQUAD},
            **{f"MLQA.{c}.{c}": {"validation": qa, "test": qa} for c in ("en", "de", "es", "zh", "ar", "hi", "vi")},
            **{f"PAWS-X.{lang}": dict.fromkeys(SPLITS, t["pawsx xtreme"]) for lang in PAWSX_LANGUAGES},
            **{f"tatoeba.{code}": {"validation": tatoeba_table(code)} for code in XTREME_TATOEBA},
            "udpos.Greek": dict.fromkeys(SPLITS, t["udpos greek"]),
            "udpos.English": dict.fromkeys(("train", "validation"), t["udpos english"]),
        }
    )
    return {
        "google/xtreme": xtreme,
        # MLQA's own repo still holds mlqa.py on main; its parquet export has every mlqa.<c>.<q> config.
        "facebook/mlqa": FakeRepo(
            script="mlqa.py", export={f"mlqa.{c}.{c}": {"validation": qa, "test": qa} for c in ("en", "de")}
        ),
        "google/xquad": FakeRepo(configs={f"xquad.{lang}": {"validation": qa} for lang in XQUAD_LANGUAGES}),
        "google-research-datasets/paws-x": FakeRepo(
            configs={lang: dict.fromkeys(SPLITS, t["pawsx"]) for lang in PAWSX_LANGUAGES}
        ),
        # social_i_qa's main still holds social_i_qa.py (tree main, 14 commits); refs/pr/3 converts it to parquet.
        "allenai/social_i_qa": FakeRepo(
            script="social_i_qa.py",
            export={"default": {"train": siqa_table(6), "validation": siqa_table(3)}},
            revisions={"refs/pr/3": FakeRepo(configs={None: {"train": siqa_table(6), "validation": siqa_table(3)}})},
        ),
        "lighteval/siqa": FakeRepo(configs={None: {"train": siqa_table(6), "validation": siqa_table(3)}}),
        # cosmos_qa's main holds cosmos_qa.py (tree 7abfcdb, 15 commits).
        "allenai/cosmos_qa": FakeRepo(
            script="cosmos_qa.py",
            export={
                "default": {"train": cosmosqa_table(8), "validation": cosmosqa_table(4), "test": cosmosqa_table(4)}
            },
        ),
    }


class FakeHub:
    """Installs itself over ``datasets.load_dataset`` and ``huggingface_hub.snapshot_download``."""

    def __init__(self, root: Path, repos: dict[str, FakeRepo] | None = None) -> None:
        self.root = root
        self.repos = default_repos() if repos is None else repos
        self.calls: list[tuple[str, str | None, str | None, str | None]] = []  # load_dataset(path, name, split, rev)
        self.snapshots: list[tuple[str, str | None, tuple[str, ...]]] = []  # snapshot_download(repo, rev, patterns)
        self._real_load: Callable[..., Any] | None = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
        import datasets
        import huggingface_hub

        self._real_load = datasets.load_dataset
        monkeypatch.setattr(datasets, "load_dataset", self.load_dataset)
        monkeypatch.setattr(huggingface_hub, "snapshot_download", self.snapshot_download)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
        return self

    @staticmethod
    def _offline() -> bool:
        from xstilts.hub import hub_offline

        return hub_offline()

    def _repo(self, path: str, revision: str | None) -> FakeRepo:
        if path not in self.repos:
            raise FileNotFoundError(f"Dataset '{path}' doesn't exist on the Hub or cannot be accessed.")
        repo = self.repos[path]
        if revision and revision != "main":
            if revision not in repo.revisions:
                raise FileNotFoundError(f"Revision '{revision}' doesn't exist for dataset '{path}' on the Hub.")
            return repo.revisions[revision]
        return repo

    def load_dataset(
        self,
        path: str,
        name: str | None = None,
        *,
        split: str | None = None,
        revision: str | None = None,
        streaming: bool = False,
        **kwargs: Any,
    ) -> Any:
        if path == "parquet":  # the packaged builder on local files: the real thing
            assert self._real_load is not None
            return self._real_load(path, name, split=split, **kwargs)
        self.calls.append((path, name, split, revision))
        if self._offline():
            raise ConnectionError(f"Couldn't reach '{path}' on the Hub (LocalEntryNotFoundError)")
        repo = self._repo(path, revision)
        if repo.script:
            raise RuntimeError(f"Dataset scripts are no longer supported, but found {repo.script}")
        if name not in repo.configs:
            available = sorted(str(c) for c in repo.configs)
            raise ValueError(f"BuilderConfig '{name}' not found. Available: {available}")
        splits = repo.configs[name]
        if split not in splits:
            raise ValueError(f'Unknown split "{split}". Should be one of {sorted(splits)}.')
        table = splits[split]
        return table.to_iterable_dataset(num_shards=min(2, len(table))) if streaming else table

    def snapshot_download(
        self,
        repo_id: str,
        *,
        repo_type: str | None = None,
        revision: str | None = None,
        allow_patterns: list[str] | str | None = None,
        **kwargs: Any,
    ) -> str:
        """The parquet export (revision refs/convert/parquet) written as parquet files, as the hub cache holds
        them: ``<cache>/datasets--<org>--<name>/snapshots/<commit>/<config>/<split>/0000.parquet``."""
        patterns = (allow_patterns,) if isinstance(allow_patterns, str) else tuple(allow_patterns or ("*",))
        self.snapshots.append((repo_id, revision, patterns))
        if repo_type in (None, "model"):  # a model: an empty snapshot, enough for tests of who downloads what
            if self._offline():
                raise FileNotFoundError(f"offline and {repo_id} is not in the cache")
            model = self.root / f"models--{repo_id.replace('/', '--')}" / "snapshots" / "m0"
            model.mkdir(parents=True, exist_ok=True)
            return str(model)
        assert repo_type == "dataset"
        repo = self.repos.get(repo_id)
        if repo is None:
            raise FileNotFoundError(f"Repository Not Found for url: https://huggingface.co/api/datasets/{repo_id}")
        if revision != "refs/convert/parquet":
            raise NotImplementedError("the fake hub serves snapshots of the parquet export only")
        snapshot = self.root / f"datasets--{repo_id.replace('/', '--')}" / "snapshots" / repo.export_commit
        for config, splits in repo.export.items():
            for split, table in splits.items():
                relative = f"{config}/{split}/0000.parquet"
                if not any(fnmatch.fnmatch(relative, p) for p in patterns):
                    continue
                target = snapshot / relative
                if not target.exists():
                    if self._offline():
                        raise FileNotFoundError(f"offline and {relative} of {repo_id} is not in the cache")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    table.to_parquet(str(target))
        snapshot.mkdir(parents=True, exist_ok=True)
        return str(snapshot)
