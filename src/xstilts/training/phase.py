"""The training phase: an encoder (pretrained, or the parent phase's) plus fresh heads, trained on the
English training data of its task(s), selected on English dev, saved as a phase artefact.

Only the encoder comes from the parent: heads are task-specific and start fresh (the paper's handoff). With an
adapter method the parent hands over its adapters and the base model's identity instead (``training.methods``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from accelerate import Accelerator
from transformers import set_seed

from xstilts.artefacts import PhaseDir
from xstilts.data.batching import TaskStream
from xstilts.data.features import FeatureCache, Features
from xstilts.evaluation.scoring import score_set
from xstilts.models.heads import head_type
from xstilts.phase_config import HeadConfig, TrainPhaseConfig
from xstilts.tasks.loading import load_examples, load_features
from xstilts.tasks.registry import get_task
from xstilts.training.loop import train
from xstilts.training.methods import build_train_model
from xstilts.training.settings import TrainingSettings


def _head_spec(head: HeadConfig) -> dict[str, Any]:
    options = head_type(head.kind).options(head.data)
    return {"kind": head.kind, "labels": head.labels, "num_labels": len(head.labels), "options": options}


def run_train_phase(
    config: TrainPhaseConfig,
    phase_dir: PhaseDir,
    parent_dir: PhaseDir | None,
    cache: FeatureCache,
    accelerator: Accelerator,
    desc: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Returns (English dev metrics of the selected model, the loop's record)."""
    set_seed(config.seed)
    heads = config.heads
    model, tokenizer = build_train_model(config, parent_dir, {name: _head_spec(head) for name, head in heads.items()})
    streams, dev_sets, dev_languages = [], {}, {}
    for name, head in heads.items():
        data, labels, dev_ref = head.data, head.labels, head.select
        streams.append(TaskStream(name, _training_features(head, tokenizer, cache)))
        if dev_ref is None:
            continue  # no dev set (MLM): the mix's other heads select the model
        dev_languages[name] = language = dev_ref.language
        dev_task, dev_source = get_task(dev_ref.task), dev_ref.source
        dev = load_examples(dev_task, dev_ref.split, language, dev_source, data["max_eval_examples"])
        dev_features = load_features(
            dev_task, dev_ref.split, language, dev_source, dev, labels, tokenizer, data, False, cache
        )
        dev_sets[name] = (dev, dev_features)

    def select(current: Any) -> tuple[float, dict[str, float]]:
        details, selection = {}, []
        if not dev_sets:
            return 0.0, {}
        for name, (dev, dev_features) in dev_sets.items():
            task = get_task(heads[name].task)
            scores, _ = score_set(
                current,
                name,
                task,
                heads[name].labels,
                dev,
                dev_features,
                heads[name].data,
                dev_languages[name],  # English dev unless the member sets select_language
                tokenizer.pad_token_id,
                accelerator.device,
                f"dev {name}",
            )
            details.update({f"{name}/{metric}": value for metric, value in scores.items()})
            selection.append(scores[task.selection_metric])
        return float(np.mean(selection)), details

    settings = TrainingSettings.model_validate(config.optimizer)
    if not dev_sets:  # nothing to select on (an MLM-only phase): keep the last epoch
        settings = settings.model_copy(update={"select_best": False})
    if settings.freeze_word_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    record = train(
        model,
        streams,
        tokenizer.pad_token_id,
        settings,
        config.seed,
        phase_dir.train_state,
        select,
        accelerator,
        desc,
        config.sampling,
    )
    if accelerator.is_main_process:  # under DDP the other processes hold the same weights
        accelerator.unwrap_model(model).save(phase_dir, tokenizer)
    metrics = [
        {
            "task": key.split("/")[0],
            "language": dev_languages[key.split("/")[0]],
            "split": "dev",
            "metric": key.split("/")[1],
            "value": value,
        }
        for key, value in (record["best"] or {"dev": {}})["dev"].items()
    ]
    return metrics, record


def _training_features(head: HeadConfig, tokenizer: Any, cache: FeatureCache) -> Features:
    """A head's training features: English, or every language it lists (translate-train data, MLM text), the
    first ``max_train_examples`` examples of each."""
    data = head.data
    task, source, split = get_task(head.train.task), head.train.source, head.train.split
    features = Features()
    offset = 0
    for language in head.train.languages:
        examples = load_examples(task, split, language, source, data["max_train_examples"])
        part = load_features(task, split, language, source, examples, head.labels, tokenizer, data, True, cache)
        features.extend(part, example_offset=offset)
        offset += len(examples)
    return features
