"""The benchmark facts, in one flat table: XTREME's and XTREME-R's task groups, each task's official test
languages, its headline metric, and where its files lie in a submission folder.

Sources (google-research/xtreme, read through its stored history):

* ``evaluate.py`` (XTREME-only version, e.g. commit b5d31e7): ``GROUP2TASK``, ``TASK2LANGS``,
  ``METRIC_FUNCTION``, ``READER_FUNCTION``, ``get_suffix()`` and ``evaluate()``.
* ``evaluate.py`` (version with ``--xtreme_version``, commit da430dd): ``XTREME_GROUP2TASK``,
  ``XTREME_R_GROUP2TASK``, ``XTREME_TASK2LANGS``, ``XTREME_R_TASK2LANGS``, ``METRIC_FUNCTION``,
  ``mewslix_map20()`` and ``evaluate()``.
* ``third_party/utils_lareqa.py``: ``mean_avg_prec_at_k()`` (LAReQA's mAP@20).
* Hu et al. (2020), XTREME, arXiv:2003.11080, and Ruder et al. (2021), XTREME-R, arXiv:2104.07412
  (§2.1 task groups; §3.2.2: LAReQA and Mewsli-X are retrieval tasks scored by mAP@20).

Deliberate departures from the code, where the code contradicts the paper or cannot run:

* XTREME-R's ``XTREME_R_GROUP2TASK["retrieval"]`` lists only Tatoeba and Mewsli-X, and the code has no metric
  or languages for LAReQA (``'lareqa': []``), although LAReQA is one of the 10 tasks its overall score averages.
  Here LAReQA is in the retrieval group, as in the paper (§3.2.2, "Retrieval from a Multilingual Pool").
* ``XTREME_R_GROUP2TASK`` also has ``'multi_choice': ['xcopa']``, a group of XCOPA alone that the output file
  reports beside ``classification`` (which holds XCOPA too). It is kept as evaluate.py has it: a reported group
  (``REPEATED_GROUPS``), not a category, so ``overall_of_groups`` does not count XCOPA twice (``all_task``, the
  mean over tasks, never does).
* Older versions of the code (commit da430dd) never set ``avg_metric`` for Mewsli-X; the current one (838c13b)
  does, from ``avg_map@20``, as here.
* LAReQA: evaluate.py has neither a file format nor a metric for it (``'lareqa': []``). Here its submission file
  reads as Mewsli-X's does (``lareqa/test-<lang>.json``, question id → ranked answer ids; the labels: question
  id → all gold answer ids).

Task names follow xstilts' spelling: ``mewsli_x`` is the code's ``mewslix`` (its submission folder ``mewslix``
as in the official layout, or ``mewsli_x`` as xstilts' evaluation phase names it); ``lareqa`` is LAReQA
XQuAD-R. Group names are evaluate.py's (``tagging`` is the papers' "structured prediction").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Benchmark = Literal["xtreme", "xtreme-r"]

QA_TASKS: tuple[str, ...] = ("xquad", "mlqa", "tydiqa")
QA_METRICS: tuple[str, str] = ("exact_match", "f1")

# evaluate.py: GROUP2TASK / XTREME_GROUP2TASK and XTREME_R_GROUP2TASK, with its group names ("tagging" is the papers'
# "structured prediction"); XTREME-R's retrieval group adds LAReQA (the paper, see above).
TASK_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "xtreme": {
        "classification": ("pawsx", "xnli"),
        "tagging": ("udpos", "panx"),
        "qa": ("xquad", "mlqa", "tydiqa"),
        "retrieval": ("bucc2018", "tatoeba"),
    },
    "xtreme-r": {
        "classification": ("xnli", "xcopa"),
        "tagging": ("udpos", "panx"),
        "qa": ("xquad", "mlqa", "tydiqa"),
        "retrieval": ("tatoeba", "mewsli_x", "lareqa"),
        "multi_choice": ("xcopa",),
    },
}
REPEATED_GROUPS: frozenset[str] = frozenset({"multi_choice"})
"""Groups evaluate.py reports whose tasks another group already holds: scores in the output, not categories."""

RETRIEVAL_LAREQA_NOTE = (
    "XTREME-R: retrieval and all_task include LAReQA (mAP@20), as the XTREME-R paper defines them (section 3.2.2);"
    " evaluate.py's retrieval group holds only Tatoeba and Mewsli-X and it has no LAReQA metric"
)
"""What a score of XTREME-R says where it follows the paper rather than evaluate.py (``xstilts score --json``)."""


def benchmark_tasks(benchmark: Benchmark) -> tuple[str, ...]:
    """The benchmark's tasks, each once, in group order (XCOPA is in two of XTREME-R's groups)."""
    return tuple(dict.fromkeys(task for tasks in TASK_GROUPS[benchmark].values() for task in tasks))


# evaluate.py: METRIC_FUNCTION (accuracy → "accuracy"; f1 / bucc_f1 → "f1"; mewslix_map20 → "map@20");
# QA tasks combine "exact_match" and "f1" (squad_em_f1 / mlqa_em_f1). LAReQA: mAP@20 (paper §3.2.2).
TASK_METRIC: dict[str, str | tuple[str, str]] = {
    "xnli": "accuracy",
    "pawsx": "accuracy",
    "xcopa": "accuracy",
    "udpos": "f1",
    "panx": "f1",
    "xquad": QA_METRICS,
    "mlqa": QA_METRICS,
    "tydiqa": QA_METRICS,
    "bucc2018": "f1",
    "tatoeba": "accuracy",
    "mewsli_x": "map@20",
    "lareqa": "map@20",
}


def _langs(codes: str) -> tuple[str, ...]:
    return tuple(codes.split(","))


_PANX = (
    "ar,he,vi,id,jv,ms,tl,eu,ml,ta,te,af,nl,en,de,el,bn,hi,mr,ur,fa,fr,"
    "it,pt,es,bg,ru,ja,ka,ko,th,sw,yo,my,zh,kk,tr,et,fi,hu"
)
_UDPOS = "af,ar,bg,de,el,en,es,et,eu,fa,fi,fr,he,hi,hu,id,it,ja,kk,ko,mr,nl,pt,ru,ta,te,th,tl,tr,ur,vi,yo,zh"
_TATOEBA = "ar,he,vi,id,jv,tl,eu,ml,ta,te,af,nl,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,zh,kk,tr,et,fi,hu"
_XQUAD = "en,es,de,el,ru,tr,ar,vi,th,zh,hi"

# evaluate.py: XTREME_TASK2LANGS and XTREME_R_TASK2LANGS, the test languages each task score averages.
# LAReQA's list is empty in the code; here it is XQuAD-R's 11 languages (the paper, §3.2.2).
TASK_LANGUAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "xtreme": {
        "pawsx": _langs("de,en,es,fr,ja,ko,zh"),
        "xnli": _langs("ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"),
        "panx": _langs(_PANX),
        "udpos": _langs(_UDPOS),
        "bucc2018": _langs("de,fr,ru,zh"),
        "tatoeba": _langs(_TATOEBA),
        "xquad": _langs(_XQUAD),
        "mlqa": _langs("en,es,de,ar,hi,vi,zh"),
        "tydiqa": _langs("en,ar,bn,fi,id,ko,ru,sw,te"),
    },
    "xtreme-r": {
        "xnli": _langs("ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"),
        "panx": _langs(_PANX + ",qu,pl,uk,az,lt,pa,gu,ro"),
        "udpos": _langs(_UDPOS + ",lt,pl,uk,wo,ro"),
        "tatoeba": _langs(_TATOEBA + ",az,lt,pl,uk,ro"),
        "xcopa": _langs("et,ht,id,it,qu,sw,ta,th,tr,vi,zh"),
        "lareqa": _langs("ar,de,el,en,es,hi,ru,th,tr,vi,zh"),
        "mewsli_x": _langs("ar,de,en,es,fa,ja,pl,ro,ta,tr,uk"),
        "xquad": _langs(_XQUAD + ",ro"),
        "mlqa": _langs("en,es,de,ar,hi,vi,zh"),
        "tydiqa": _langs("en,ar,bn,fi,id,ko,ru,sw,te"),
    },
}

SUBMISSION_SPLIT = "test"
"""A submission holds ``<folder>/<SUBMISSION_SPLIT>-<lang>.<extension>`` per task and test language."""


@dataclass(frozen=True)
class SubmissionFiles:
    """Where one task's files lie in a submission (and in its labels) folder."""

    folders: tuple[str, ...]  # the official folder name first; any other accepted spelling after it
    extension: str


# evaluate.py: READER_FUNCTION and get_suffix(), keyed by xstilts' task names.
SUBMISSION_FILES: dict[str, SubmissionFiles] = {
    "xnli": SubmissionFiles(("xnli",), "tsv"),
    "pawsx": SubmissionFiles(("pawsx",), "tsv"),
    "xcopa": SubmissionFiles(("xcopa",), "jsonl"),
    "udpos": SubmissionFiles(("udpos",), "tsv"),
    "panx": SubmissionFiles(("panx",), "tsv"),
    "xquad": SubmissionFiles(("xquad",), "json"),
    "mlqa": SubmissionFiles(("mlqa",), "json"),
    "tydiqa": SubmissionFiles(("tydiqa",), "json"),
    "bucc2018": SubmissionFiles(("bucc2018",), "tsv"),
    "tatoeba": SubmissionFiles(("tatoeba",), "tsv"),
    "mewsli_x": SubmissionFiles(("mewslix", "mewsli_x"), "json"),
    "lareqa": SubmissionFiles(("lareqa",), "json"),
}


# IGLUE (Bugliarello et al., ICML 2022, arXiv:2201.11732), as e-bug/iglue (commit 43cbac9) computes its zero-shot
# tables: ``results/get_<task>_zero.py`` reads each language's test score and writes ``avg`` = the mean over the
# task's languages **without English** (``np.mean([res[lang] for lang in LANGS[1:]])``, LANGS[0] being 'en');
# retrieval (``get_xflickrco_zero.py``, ``get_wit_zero.py``) keeps image retrieval (IR) and text retrieval (TR)
# Recall@1 as two columns, their mean ``(ir1 + tr1) / 2`` left commented out. ``notebooks/Results-AVG.ipynb``
# prints the paper's zero-shot row per model as these seven columns, English apart, and no score across them: IGLUE
# defines no single benchmark score, so none is computed here.
IGLUE = "iglue"


@dataclass(frozen=True)
class IGLUEColumn:
    """One column of IGLUE's zero-shot table: a task's metric averaged over its target languages."""

    name: str
    task: str
    metric: str


# Retrieval metric names: the image-text kind's Recall@1 per direction (metrics/ranking.py ``image_text_recall``).
IGLUE_COLUMNS: tuple[IGLUEColumn, ...] = (
    IGLUEColumn("xvnli", "xvnli", "accuracy"),
    IGLUEColumn("xgqa", "xgqa", "accuracy"),
    IGLUEColumn("marvl", "marvl", "accuracy"),
    IGLUEColumn("xflickrco_ir", "xflickrco", "ir_r@1"),
    IGLUEColumn("xflickrco_tr", "xflickrco", "tr_r@1"),
    IGLUEColumn("wit_ir", "wit", "ir_r@1"),
    IGLUEColumn("wit_tr", "wit", "tr_r@1"),
)

# The target languages each column averages: the LANGS of get_<task>_zero.py after 'en'.
IGLUE_LANGUAGES: dict[str, tuple[str, ...]] = {
    "xvnli": _langs("ar,es,fr,ru"),
    "xgqa": _langs("bn,de,id,ko,pt,ru,zh"),
    "marvl": _langs("id,sw,ta,tr,zh"),
    "xflickrco": _langs("de,es,id,ja,ru,tr,zh"),
    "wit": _langs("ar,bg,da,el,et,id,ja,ko,tr,vi"),
}
