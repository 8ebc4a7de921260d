"""The demo's experiment: the same spec and runner as ``xstilts run``, with embedded defaults.

Defaults are chosen to finish in about ten minutes on 2 CPU cores: short sequences, the word-embedding matrix
frozen (it holds 96M of the model's 118M parameters and barely moves in a few hundred steps), one seed, and
a mean-pooled classification head (E5 was trained to pool by mean; on the first token the baseline does not
learn the 600-pair NLI set in three epochs).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.experiments.spec import ExperimentSpec

FULL = {
    "intermediate": ["none", "demo_qa", "demo_para"],
    "training": {
        "lr": 1.0e-4,
        "batch_size": 16,
        "epochs": 3,
        "max_length": 96,
        "eval_batch_size": 64,
        "freeze_word_embeddings": True,
        "classifier_pooling": "mean",
        "checkpoint_every": 25,
    },
    "tasks": {
        "demo_qa": {"training": {"max_length": 192, "doc_stride": 96, "max_query_length": 48, "epochs": 1}},
        "demo_para": {"training": {"epochs": 2}},
    },
}

# A smoke run of the same path: fewer variants, examples and epochs.
QUICK = {
    "intermediate": ["none", "demo_para"],
    "training": {
        **FULL["training"],
        "epochs": 1,
        "max_train_examples": 96,
        "max_eval_examples": 24,
    },
    "tasks": {"demo_nli": {"languages": ["en", "fi", "zh"]}},
}


# Examples per task that ``xstilts demo`` ranks the intermediate tasks on (``xstilts rank``'s default is 256): the
# forward passes then cost a few percent of the demo's training.
RANK_SAMPLE = 128

# ``xstilts demo --code``: the full demo with a code intermediate beside the two natural-language ones, pydoc_pair
# (docstring-function matching built from the running Python's standard library), as many training pairs as
# demo_para has and as many epochs; the report then shows the code-vs-NL table.
CODE = {
    **FULL,
    "intermediate": [*FULL["intermediate"], "pydoc_pair"],
    "tasks": {
        **FULL["tasks"],
        "pydoc_pair": {"training": {"epochs": 2, "max_train_examples": 600, "max_eval_examples": 200}},
    },
}


def demo_spec(model_dir: Path, quick: bool, code: bool = False) -> ExperimentSpec:
    settings = CODE if code else QUICK if quick else FULL
    name = "demo-code" if code else "demo-quick" if quick else "demo"
    return ExperimentSpec.model_validate(
        {
            "name": name,
            "model": str(model_dir),
            "seeds": [1],
            "target": ["demo_nli"],
            **settings,
        }
    )
