"""Span F1 for tagging (PAN-X NER and UD-POS), as XTREME's ``evaluate.py`` computes it: seqeval's micro-averaged
``f1_score``, ``precision_score`` and ``recall_score`` in the default (conlleval-compatible, non-strict) mode over
the list of sentences, in percent.

seqeval (pinned: 1.2.2) joins the sentences with an ``O`` between them and reads each tag as a one-character
prefix and a type (``tag[0]`` and ``tag[1:]`` after its first ``-``; an empty type is ``_``). So NER's ``B-PER
I-PER`` is one PER span, while XTREME's bare UD-POS tags are read as prefix + type too: ``NOUN`` is prefix ``N``,
type ``OUN``. Consequences for POS:

* a run of identical tags is one span (``NOUN NOUN`` scores as a single entity, not two tokens);
* a tag whose first letter is a chunk prefix follows that prefix: ``SYM`` and ``SCONJ`` (``S``) are always
  single-token spans, ``INTJ`` (``I``) continues a preceding ``INTJ`` run;
* ``CCONJ`` and ``SCONJ`` share the type ``CONJ``: a ``CCONJ`` run directly followed by ``SCONJ`` is never closed
  and is lost, and ``SCONJ CCONJ`` gives two spans, ``SCONJ`` alone and both tokens together;
* ``X`` has the type ``_``, the type of ``O``: an ``X`` run that ends its sentence is never closed and is lost.

seqeval 0.0.x, current when XTREME was published, took the whole bare tag as the type, so the last two points did
not hold there; on all else (NER; POS without ``X``, ``CCONJ``, ``SCONJ``) the two agree. 0.0.12 needs Keras.

Sentences whose tag counts differ raise ``ValueError`` naming the sentence (XTREME asserts equal sentence counts,
seqeval equal lengths); no sentences at all scores 0 (seqeval itself raises a ``TypeError`` there).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import cast

from seqeval.metrics import f1_score, precision_score, recall_score

from xstilts.data.examples import TaggingExample


def tagging_f1(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict[str, float]:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted ones")
    for index, (gold_tags, predicted_tags) in enumerate(zip(gold, predicted, strict=True)):
        if len(gold_tags) != len(predicted_tags):
            raise ValueError(f"sentence {index}: {len(gold_tags)} gold tags but {len(predicted_tags)} predicted")
    if not gold:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    # seqeval only flattens a list of *lists*, and checks the type.
    y_true = [list(tags) for tags in gold]
    y_pred = [list(tags) for tags in predicted]
    with warnings.catch_warnings():
        # "NOUN seems not to be NE tag." for every bare POS tag, and UndefinedMetricWarning when a side has no
        # span; the values are those of the default zero_division="warn", which scores 0 there.
        warnings.simplefilter("ignore")
        # seqeval annotates List[float] | float; the default average (micro) returns one float
        f1 = cast(float, f1_score(y_true, y_pred))
        precision = cast(float, precision_score(y_true, y_pred))
        recall = cast(float, recall_score(y_true, y_pred))
    return {"f1": float(f1) * 100, "precision": float(precision) * 100, "recall": float(recall) * 100}


def seqeval_f1(examples: Sequence[TaggingExample], predictions: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """``tagging_f1`` over whole sentences, gold tags from the examples, predicted ones by example guid."""
    return tagging_f1([e.tags or () for e in examples], [predictions[e.guid] for e in examples])
