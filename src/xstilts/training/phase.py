"""The training phase: an encoder (pretrained, or the parent phase's) plus fresh heads, trained on the
English training data of its task(s), selected on English dev, saved as a phase artefact.

Only the encoder comes from the parent: heads are task-specific and start fresh (the paper's handoff).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from accelerate import Accelerator
from transformers import set_seed

from xstilts.data.batching import TaskStream
from xstilts.data.features import FeatureCache
from xstilts.data.loading import load_examples, load_features
from xstilts.evaluation.scoring import score_set
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import HEAD_TYPES
from xstilts.models.multitask import MultiTaskModel
from xstilts.tasks.base import DataSource
from xstilts.tasks.registry import get_task
from xstilts.training.loop import train
from xstilts.training.settings import TrainingSettings

TRAIN_STATE = "train_state"


def _head_spec(head: dict[str, Any]) -> dict[str, Any]:
    options = HEAD_TYPES[head["kind"]].options(head["data"])
    return {"kind": head["kind"], "labels": head["labels"], "num_labels": len(head["labels"]), "options": options}


def run_train_phase(
    config: dict[str, Any],
    phase_dir: Path,
    parent_dir: Path | None,
    cache: FeatureCache,
    accelerator: Accelerator,
    desc: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Returns (English dev metrics of the selected model, the loop's record)."""
    set_seed(config["seed"])
    if parent_dir is not None:
        encoder, tokenizer = load_encoder(str(parent_dir / "encoder"), trust_remote_code=config["trust_remote_code"])
    else:
        encoder, tokenizer = load_encoder(
            config["model"]["name"],
            config["model"]["revision"],
            trust_remote_code=config["trust_remote_code"],
        )
    heads = config["heads"]
    model = MultiTaskModel(encoder, {name: _head_spec(head) for name, head in heads.items()})
    streams, dev_sets = [], {}
    for name, head in heads.items():
        data, labels = head["data"], head["labels"]
        source_task, source = get_task(head["train"]["task"]), DataSource(**head["train"]["source"])
        examples = load_examples(source_task, head["train"]["split"], "en", source, data["max_train_examples"])
        features = load_features(
            source_task, head["train"]["split"], "en", source, examples, labels, tokenizer, data, True, cache
        )
        streams.append(TaskStream(name, features))
        dev_task, dev_source = get_task(head["select"]["task"]), DataSource(**head["select"]["source"])
        dev = load_examples(dev_task, head["select"]["split"], "en", dev_source, data["max_eval_examples"])
        dev_features = load_features(
            dev_task, head["select"]["split"], "en", dev_source, dev, labels, tokenizer, data, False, cache
        )
        dev_sets[name] = (dev, dev_features)

    def select(current: Any) -> tuple[float, dict[str, float]]:
        details, selection = {}, []
        for name, (dev, dev_features) in dev_sets.items():
            task = get_task(name)
            scores, _ = score_set(
                current,
                name,
                task,
                heads[name]["labels"],
                dev,
                dev_features,
                heads[name]["data"],
                tokenizer.pad_token_id,
                accelerator.device,
                f"dev {name}",
            )
            details.update({f"{name}/{metric}": value for metric, value in scores.items()})
            selection.append(scores[task.selection_metric])
        return float(np.mean(selection)), details

    settings = TrainingSettings.model_validate(config["optimizer"])
    if settings.freeze_word_embeddings:
        encoder.get_input_embeddings().weight.requires_grad_(False)
    record = train(
        model,
        streams,
        tokenizer.pad_token_id,
        settings,
        config["seed"],
        phase_dir / TRAIN_STATE,
        select,
        accelerator,
        desc,
    )
    accelerator.unwrap_model(model).save(phase_dir, tokenizer)
    metrics = [
        {
            "task": key.split("/")[0],
            "language": "en",
            "split": "dev",
            "metric": key.split("/")[1],
            "value": value,
        }
        for key, value in (record["best"] or {"dev": {}})["dev"].items()
    ]
    return metrics, record
