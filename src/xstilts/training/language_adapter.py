"""Training a MAD-X language adapter: masked language modelling on one language's plain text, with the encoder
frozen and only the new adapter (bottleneck + invertible, ``seq_bn_inv``) and the MLM head trained.

The result is a directory in ``adapters``' own format (``save_adapter``, safetensors), which an experiment names
in ``adapters.madx.languages``, plus ``xstilts_language_adapter.json`` saying what it was trained on. The
directory appears complete or not at all (written beside it, then renamed); an interrupted training resumes
from its checkpoints in ``.<name>.train_state`` next to it.

The MLM head is the ``masked_lm`` kind's (``kinds.masked_lm``), started from the checkpoint's own pretrained MLM head
where it has one (RoBERTa's ``lm_head``, BERT's ``cls.predictions``), as when ``adapters`` trains a language
adapter on ``AutoModelForMaskedLM``; its transform is trained with the adapter, its decoder is the frozen input
embeddings. As in MAD-X, the invertible adapter's inverse maps the head's output back to the embedding space
before the decoder (``AdapterModel.forward``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from adapters import AdapterConfig
from transformers import set_seed

from xstilts.artefacts import atomic_write_json
from xstilts.data.batching import TaskStream
from xstilts.data.features import FeatureCache
from xstilts.data.sources import DataSource
from xstilts.errors import XstiltsError
from xstilts.kinds.masked_lm import MASKED_LM
from xstilts.models.adapters import AdapterModel, Route, language_adapter, load_base
from xstilts.models.encoder import model_fingerprint
from xstilts.models.mlm_head import pretrained_mlm_head
from xstilts.tasks.loading import load_examples, load_features
from xstilts.tasks.registry import get_task
from xstilts.training.loop import make_accelerator, train
from xstilts.training.settings import TrainingSettings

RECORD_JSON = "xstilts_language_adapter.json"
MLM_TASK = "mlm"


def train_language_adapter(
    model: str,
    revision: str | None,
    corpus: DataSource,
    language: str,
    out: Path,
    settings: TrainingSettings,
    seed: int,
    cache: FeatureCache,
    reduction_factor: float = 2,
    trust_remote_code: bool = False,
) -> dict[str, Any]:
    """Trains ``lang_<language>`` and writes it to ``out``; returns the record also written there."""
    if out.exists():
        raise XstiltsError(f"{out} already exists; delete it to train the language adapter again")
    set_seed(seed)
    base = {"name": model, "revision": revision, "fingerprint": model_fingerprint(model, revision)}
    encoder, tokenizer = load_base(base, trust_remote_code)
    name = language_adapter(language)
    encoder.add_adapter(name, config=AdapterConfig.load("seq_bn_inv", reduction_factor=reduction_factor))
    encoder.train_adapter(name)
    head = {"kind": MASKED_LM.name, "labels": [], "num_labels": 0, "options": {}}
    mlm = AdapterModel(encoder, {MLM_TASK: head}, {MLM_TASK: Route((), True)}, base, {language: name}, language)
    pretrained = pretrained_mlm_head(model, revision, trust_remote_code)
    if pretrained is not None:
        mlm.heads[MLM_TASK].load_state_dict(pretrained)
    task = get_task(MLM_TASK)
    texts = load_examples(task, "train", language, corpus, settings.max_train_examples)
    data = settings.data_part()
    features = load_features(task, "train", language, corpus, texts, [], tokenizer, data, True, cache)
    accelerator = make_accelerator()
    workdir = out.with_name(f".{out.name}.train_state")
    loop = train(
        mlm,
        [TaskStream(MLM_TASK, features)],
        tokenizer.pad_token_id,
        settings.model_copy(update={"select_best": False}),  # no dev set: the last epoch is kept
        seed,
        workdir,
        lambda _: (0.0, {}),
        accelerator,
        f"language adapter {language}",
    )
    record = {
        "base": base,
        "language": language,
        "adapter": name,
        "corpus": corpus.model_dump(),
        "documents": len(texts),
        "settings": settings.model_dump(),
        "seed": seed,
        "steps": loop["steps"],
        "mlm_head": "pretrained" if pretrained is not None else "new",
    }
    staging = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    accelerator.unwrap_model(mlm).encoder.save_adapter(str(staging), name, use_safetensors=True)
    atomic_write_json(staging / RECORD_JSON, record)
    os.replace(staging, out)
    shutil.rmtree(workdir, ignore_errors=True)
    return record
