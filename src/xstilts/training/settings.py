"""Training and featurization settings: one validated model, with defaults from XTREME's recipes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xstilts.kinds import all_kinds, get_kind

# Fields that shape the data of one task (featurization, sampling caps); the rest belong to the optimizer.
DATA_FIELDS = (
    "max_length",
    "doc_stride",
    "max_query_length",
    "max_answer_length",
    "eval_batch_size",
    "max_train_examples",
    "max_eval_examples",
    "classifier_pooling",
    "retrieval_layer",
    "retrieval_pooling",
    "vision_stem",
    "vision_tower",
    "image_size",
    "regions",
    "region_dimensions",
    "vision_lr",
    "contrastive_temperature",
)


class TrainingSettings(BaseModel):
    """Defaults: the issue's example (lr 1e-5, batch 32, 128 tokens, 2 epochs) and XTREME's QA settings."""

    model_config = ConfigDict(extra="forbid")

    lr: float = Field(default=1e-5, gt=0)
    batch_size: int = Field(default=32, ge=1)
    grad_accum: int = Field(default=1, ge=1, description="micro-batches per optimizer step")
    epochs: int = Field(default=2, ge=1)
    max_steps: int | None = Field(default=None, ge=1, description="stop after this many optimizer steps")
    warmup_ratio: float = Field(default=0.1, ge=0, le=1)
    weight_decay: float = Field(default=0.01, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    max_length: int = Field(default=128, ge=8)
    doc_stride: int = Field(default=128, ge=1)
    max_query_length: int = Field(default=64, ge=1)
    max_answer_length: int = Field(default=30, ge=1)
    eval_batch_size: int = Field(default=128, ge=1)
    max_train_examples: int | None = Field(default=None, ge=1, description="use only the first N training examples")
    max_eval_examples: int | None = Field(default=None, ge=1, description="use only the first N examples per eval set")
    classifier_pooling: Literal["first", "mean"] = Field(
        default="first", description="classification heads read the first token (XLM-R, the paper) or the token mean"
    )
    retrieval_layer: int | None = Field(
        default=None,
        ge=0,
        description="retrieval embeds this layer's output (0 = embeddings); default: the layer XTREME's scripts use"
        " for the task and depth (the task's retrieval_layers), else round(14/24 x layers)",
    )
    retrieval_pooling: Literal["mean", "cls"] = Field(
        default="mean",
        description="retrieval pools the layer by the mean of the non-pad tokens (XTREME) or the first token",
    )
    vision_stem: Literal["conv", "regions", "tower"] = Field(
        default="conv",
        description="vision-language tasks: image tokens from a small conv net trained from scratch (offline), IGLUE's"
        " pre-extracted region features (<id>.npz), or a frozen vision tower (vision_tower)",
    )
    vision_tower: str | None = Field(
        default=None, description="the frozen vision tower's hub id or directory (CLIP/SigLIP vision), stem 'tower'"
    )
    image_size: int = Field(default=64, ge=8, description="vision-language tasks: images are resized to this square")
    regions: int = Field(default=36, ge=1, description="region features per image (IGLUE's: 36)")
    region_dimensions: int = Field(default=2048, ge=1, description="dimensions of a region feature (IGLUE's: 2048)")
    vision_lr: float | None = Field(
        default=None, gt=0, description="the vision stem's learning rate (default: lr); it starts from scratch"
    )
    contrastive_temperature: float = Field(
        default=0.05,
        gt=0,
        description="dual-encoder training: InfoNCE divides cosine similarities by this (E5's and SimCSE's 0.05)",
    )
    checkpoint_every: int = Field(default=500, ge=1, description="optimizer steps between resumable checkpoints")
    group_by_length: bool = True
    freeze_word_embeddings: bool = Field(
        default=False,
        description="keep the input embedding matrix fixed (most of a small multilingual model's weights)",
    )
    select_best: bool = Field(default=True, description="keep the epoch with the best English dev score")
    compile: bool = Field(
        default=False, description="torch.compile the encoder (slower start, faster steps; needs a C++ compiler on CPU)"
    )

    def data_part(self, kind: str | None = None) -> dict[str, object]:
        """A task's data settings; a kind's own settings (retrieval's layer and pooling) only for a task of that
        ``kind``, so that they are part of its phase ids and of no other task's."""
        owned = {name for other in all_kinds().values() for name in other.own_data_fields}
        mine = set(get_kind(kind).own_data_fields) if kind else set()
        return {name: getattr(self, name) for name in DATA_FIELDS if name not in owned or name in mine}

    def optimizer_part(self) -> dict[str, object]:
        return {name: value for name, value in self.model_dump().items() if name not in DATA_FIELDS}
