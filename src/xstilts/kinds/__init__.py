"""Task kinds, one module each; importing the package registers the built-in ones."""

from xstilts.kinds import (
    classification,
    dual_encoder,
    image_text,
    masked_lm,
    multiple_choice,
    retrieval,
    span_extraction,
    token_tagging,
    vision_language,
)
from xstilts.kinds.base import Kind, all_kinds, get_kind, register_kind

__all__ = [
    "Kind",
    "all_kinds",
    "classification",
    "dual_encoder",
    "get_kind",
    "image_text",
    "masked_lm",
    "multiple_choice",
    "register_kind",
    "retrieval",
    "span_extraction",
    "token_tagging",
    "vision_language",
]
