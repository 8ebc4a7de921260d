"""The from-scratch conv stem must carry the image into early fusion from the first step.

A label that only the image decides ("is any cell red?", constant text) must be learnable by the early-fusion
head on a tiny random encoder at the rates a pretrained encoder trains at. Before the stem normalised its
convolutions and started its row/column embeddings at BERT's scale, the image-dependent part of a visual token was
about 0.3% of it at initialisation and such a head stayed at chance on multilingual-e5-small."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from xstilts.kinds.vision_language import EarlyFusionHead
from xstilts.models.vision import ConvStem

RED, OTHERS = (220, 40, 40), ((40, 180, 40), (40, 70, 220), (230, 210, 40))


def _scenes(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 1, 3, size, size) uint8 pixels: a 2x2 grid, each cell empty or a coloured square; label 1 if any is
    red. The rows alternate the label so that both classes are equally common."""
    rng = np.random.default_rng(seed)
    cell = size // 2
    pixels = np.full((n, size, size, 3), 245, np.uint8)
    labels = np.arange(n) % 2
    for i in range(n):
        while True:
            colours = [None if rng.random() < 0.3 else int(rng.integers(4)) for _ in range(4)]
            if any(c == 0 for c in colours) == bool(labels[i]):
                break
        for k, c in enumerate(colours):
            if c is None:
                continue
            r, col = divmod(k, 2)
            pad = int(rng.integers(1, cell // 3))
            box = pixels[i, r * cell + pad : (r + 1) * cell - pad, col * cell + pad : (col + 1) * cell - pad]
            box[...] = RED if c == 0 else OTHERS[c - 1]
    return torch.from_numpy(pixels.transpose(0, 3, 1, 2).copy())[:, None], torch.from_numpy(labels)


def test_image_content_is_a_large_part_of_the_visual_tokens_at_initialisation() -> None:
    torch.manual_seed(0)
    stem = ConvStem(hidden_size=64, image_size=32)
    pixels, _ = _scenes(64, 32, seed=0)
    with torch.no_grad():
        tokens = stem({"pixels": pixels[:, 0]})
    # Across images, per token and dimension, against the tokens' overall spread (1 after the layer norm).
    share = tokens.std(0).mean() / tokens.std()
    assert share > 0.2, f"the image moves its tokens by {share:.4f} of their spread: positions or biases swamp it"


def test_early_fusion_learns_a_label_only_the_image_decides(tiny_model: Path) -> None:
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    encoder = AutoModel.from_pretrained(tiny_model, add_pooling_layer=False)
    head = EarlyFusionHead(encoder.config.hidden_size, 2, 0.1, image_size=32, vision_lr=1e-3, pooling="mean")
    stem = [p for name, p in head.named_parameters() if name.startswith("stem.")]
    rest = [p for name, p in head.named_parameters() if not name.startswith("stem.")]
    optimizer = torch.optim.AdamW([{"params": [*encoder.parameters(), *rest]}, {"params": stem, "lr": 1e-3}], lr=1e-4)
    text = tokenizer(["the cat"] * 16, return_tensors="pt")  # the same words for every image
    train_pixels, train_labels = _scenes(512, 32, seed=1)
    test_pixels, test_labels = _scenes(128, 32, seed=2)
    order = torch.randperm(512)
    for step in range(96):
        rows = order[(step * 16) % 512 :][:16]
        batch = {**text, "pixels": train_pixels[rows], "label": train_labels[rows]}
        loss = head.loss(head(encoder, batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    head.eval()
    encoder.eval()
    with torch.no_grad():
        text = tokenizer(["the cat"] * 128, return_tensors="pt")
        predicted = head(encoder, {**text, "pixels": test_pixels}).argmax(-1)
    accuracy = (predicted == test_labels).float().mean().item()
    assert accuracy >= 0.9, f"accuracy {accuracy:.3f} on a label only the image decides (chance: 0.5)"


@pytest.mark.parametrize("pooling", ["first", "mean"])
def test_both_poolings_reach_the_image(tiny_model: Path, pooling: str) -> None:
    """The pooled output changes when only the image does, whichever token(s) the head pools."""
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    encoder = AutoModel.from_pretrained(tiny_model, add_pooling_layer=False).eval()
    head = EarlyFusionHead(encoder.config.hidden_size, 2, 0.0, image_size=32, pooling=pooling).eval()
    pixels, _ = _scenes(2, 32, seed=3)
    text = tokenizer(["the cat"] * 2, return_tensors="pt")
    with torch.no_grad():
        outputs = head(encoder, {**text, "pixels": pixels})
    assert not torch.allclose(outputs[0], outputs[1], atol=1e-4)
