"""InfoNCE over in-batch negatives, and the gathering of negatives across DDP processes.

Each query's positive is one candidate of the pool; every other candidate of the pool is a negative (the other
queries' positives, and any hard negatives). The logits are cosine similarities divided by a temperature; a
candidate equal to a query's positive (same key: the same text in another row of the batch) is not counted as its
negative, since it is the same item.

Under ``torch.distributed`` every process encodes its share of the global batch; the pool is the candidates of all
processes (:func:`gather_pool`), gathered with ``torch.distributed.nn.functional.all_gather``, whose backward sums
each slice's gradients from every process back into the process that made it. With the loop's per-process loss
weights (``training.loop._share``) and DDP's gradient averaging, the gradient is the one-process gradient of the
whole global batch's mean loss; see README ("Contrastive dual-encoder training") for what differs.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch.nn import functional as F

# A batch entry the training loop adds under DDP: how many of this process's rows are real (0: the process has no
# rows of this global batch and runs one row with loss weight 0, which must not add negatives to the pool).
LOCAL_ROWS = "local_rows"


def check_embedding_options(pooling: str, temperature: float) -> None:
    """What a contrastive head's pooling and temperature must be: ``mean`` or ``cls``, and positive."""
    if pooling not in {"mean", "cls"}:
        raise ValueError(f"unknown pooling {pooling!r}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def gather_pool(local: torch.Tensor, keys: torch.Tensor, valid: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(every process's first ``valid`` rows of ``local`` in rank order, their keys, where this process's rows
    start). One process: its own rows. The rows keep their gradient path to the process that computed them."""
    if not _distributed():
        return local[:valid], keys[:valid], 0
    from torch.distributed.nn.functional import all_gather

    world, rank = dist.get_world_size(), dist.get_rank()
    count = torch.tensor([valid], device=local.device)
    counts = [torch.zeros_like(count) for _ in range(world)]
    dist.all_gather(counts, count)
    sizes = [int(c.item()) for c in counts]
    width = max(max(sizes), 1)
    padding = width - local.shape[0]
    if padding > 0:
        local = torch.cat([local, local.new_zeros((padding, local.shape[1]))])
        keys = torch.cat([keys, keys.new_zeros(padding)])
    local, keys = local[:width], keys[:width]
    rows = all_gather(local.contiguous())
    key_parts = [torch.zeros_like(keys) for _ in range(world)]
    dist.all_gather(key_parts, keys.contiguous())
    pool = torch.cat([part[:size] for part, size in zip(rows, sizes, strict=True)])
    pool_keys = torch.cat([part[:size] for part, size in zip(key_parts, sizes, strict=True)])
    return pool, pool_keys, sum(sizes[:rank])


def info_nce(
    queries: torch.Tensor,
    positives: torch.Tensor,
    negatives: torch.Tensor,
    positive_keys: torch.Tensor,
    temperature: float,
    valid: int | None = None,
) -> torch.Tensor:
    """The mean InfoNCE loss of the first ``valid`` queries (all by default): query ``i``'s positive is
    ``positives[i]``; the pool is every process's positives, then every process's hard negatives (``negatives``:
    (rows x k, hidden), possibly empty). ``positive_keys`` identify the positives' items, so that a row whose
    positive is the same item is not a negative."""
    n = queries.shape[0] if valid is None else valid
    queries = F.normalize(queries.float(), dim=-1)
    positives = F.normalize(positives.float(), dim=-1)
    pool, pool_keys, offset = gather_pool(positives, positive_keys, n)
    if negatives.numel():
        per_row = negatives.shape[0] // max(queries.shape[0], 1)
        hard = F.normalize(negatives.float(), dim=-1)
        hard_pool, _, _ = gather_pool(hard, positive_keys.repeat_interleave(per_row), n * per_row)
    else:
        hard_pool = pool.new_zeros((0, pool.shape[1]))
    queries = queries[:n]
    logits = queries @ torch.cat([pool, hard_pool]).T / temperature
    targets = torch.arange(n, device=queries.device) + offset
    # The same item in another row is the query's positive again, not a negative: masked out.
    same = positive_keys[:n, None] == pool_keys[None, :]
    same[torch.arange(n), targets] = False
    mask = torch.cat([same, same.new_zeros((n, hard_pool.shape[0]))], dim=1)
    logits = logits.masked_fill(mask, float("-inf"))
    if n == 0:
        return logits.sum() * 0.0  # no rows: still part of the graph (and of the collectives above)
    return F.cross_entropy(logits, targets)
