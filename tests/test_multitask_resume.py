"""Exact resume with a non-default sampler, mixed batches and an MLM head: a training loop interrupted right
after a mid-epoch checkpoint and restarted ends with the same weights as an uninterrupted one (the schedule is
a pure function of (seed, epoch) and MLM masks are fixed at featurization)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from tests.builders import LANGUAGE_WORDS
from xstilts.data.batching import TaskStream
from xstilts.data.examples import ClassificationExample, TextExample
from xstilts.data.samplers import Sampling
from xstilts.kinds.classification import featurize_classification
from xstilts.kinds.masked_lm import featurize_masked_lm
from xstilts.models.multitask import MultiTaskModel
from xstilts.training import loop
from xstilts.training.settings import TrainingSettings

pytestmark = pytest.mark.slow  # two tiny training runs plus a resumed one (~1 min on 2 shared cores)

HEADS = {
    "nli": {"kind": "classification", "labels": ["a", "b"], "num_labels": 2, "options": {"pooling": "first"}},
    "mlm": {"kind": "masked_lm", "labels": [], "num_labels": 0, "options": {}},
}


class Interrupted(Exception):
    pass


def _streams(tiny_model: Path) -> tuple[list[TaskStream], int]:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    words = LANGUAGE_WORDS["en"]
    pairs = [ClassificationExample(f"e{i}", " ".join(words[i % 7 : i % 7 + 3]), None, "ab"[i % 2]) for i in range(40)]
    texts = [TextExample(f"mlm-en-{i}", " ".join(words[i % 5 :] + words[: i % 5])) for i in range(30)]
    streams = [
        TaskStream("nli", featurize_classification(pairs, tokenizer, ["a", "b"], 16)),
        TaskStream("mlm", featurize_masked_lm(texts, tokenizer, 12)),
    ]
    return streams, tokenizer.pad_token_id


def _train(
    tiny_model: Path, workdir: Path, streams: list[TaskStream], pad_id: int
) -> tuple[dict[str, torch.Tensor], dict]:
    torch.manual_seed(0)
    model = MultiTaskModel(AutoModel.from_pretrained(tiny_model), HEADS)
    settings = TrainingSettings(lr=1e-3, batch_size=8, epochs=2, checkpoint_every=3, select_best=False)
    sampling = Sampling(sampler="temperature", temperature=3.0, batching="mixed")
    record = loop.train(
        model, streams, pad_id, settings, 5, workdir, lambda m: (0.0, {}), loop.make_accelerator(), "t", sampling
    )
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, record


def test_interrupted_multitask_training_resumes_bit_exactly(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    streams, pad_id = _streams(tiny_model)
    reference, record = _train(tiny_model, tmp_path / "reference", streams, pad_id)
    assert record["total_steps"] == 18  # 2 epochs of 5 classification + 4 MLM micro-batches

    save = loop.save_checkpoint

    def save_then_die(workdir: Path, model: torch.nn.Module, optimizer: Any, scheduler: Any, state: dict) -> None:
        save(workdir, model, optimizer, scheduler, state)
        if state["step"] == 6:  # in the middle of the first 9-step epoch
            raise Interrupted

    monkeypatch.setattr(loop, "save_checkpoint", save_then_die)
    with pytest.raises(Interrupted):
        _train(tiny_model, tmp_path / "interrupted", streams, pad_id)
    monkeypatch.setattr(loop, "save_checkpoint", save)
    torch.manual_seed(123)  # whatever the process did since: the checkpoint restores the RNG
    resumed, record = _train(tiny_model, tmp_path / "interrupted", streams, pad_id)
    assert record["resumed_from_step"] == 6
    assert resumed.keys() == reference.keys()
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)
