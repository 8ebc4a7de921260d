"""Language adapters in AdapterHub's own on-disk format, written by the tests (as a user would get from
``save_adapter`` after training one, or from the hub)."""

from __future__ import annotations

from pathlib import Path


def write_language_adapter(model: Path, directory: Path, seed: int, scale: float = 0.5) -> Path:
    """A MAD-X language adapter (bottleneck + invertible, ``seq_bn_inv``) with random weights large enough to
    change the encoder's outputs, saved with safetensors."""
    import adapters
    import torch
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(model, add_pooling_layer=False)
    adapters.init(encoder)
    encoder.add_adapter("lang", config="seq_bn_inv")
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in encoder.named_parameters():
            if ".lang." in name or name.startswith("invertible_adapters.lang."):
                param.add_(torch.randn(param.shape, generator=generator) * scale)
    encoder.save_adapter(str(directory), "lang", use_safetensors=True)
    return directory
