"""`xstilts run-phase` for several planned phases in one process (one or several under torch.distributed.run),
logging what every optimizer step sees: each loss passed to ``Accelerator.backward`` and the gradient norm
``Accelerator.clip_grad_norm_`` returns (the norm of the all-reduced gradient, before clipping). A job may swap
AdamW for plain SGD, whose update is proportional to the gradient (AdamW's is nearly scale-free).

Usage: python ddp_driver.py JOBS.json, a list of {"run_dir", "phase", "log", "sgd"}; writes each job's events to
``log/rank<RANK>.json`` as [["loss", value] | ["norm", value], ...]. Used by tests/test_scale_ddp.py.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator

events: list[list[Any]] = []
_backward, _clip = Accelerator.backward, Accelerator.clip_grad_norm_
_adamw = torch.optim.AdamW


def _logged_backward(self: Accelerator, loss: torch.Tensor, **kwargs: Any) -> None:
    events.append(["loss", float(loss.detach())])
    _backward(self, loss, **kwargs)


def _logged_clip(self: Accelerator, *args: Any, **kwargs: Any) -> torch.Tensor:
    norm = _clip(self, *args, **kwargs)
    events.append(["norm", float(norm)])
    return norm


def _sgd(params: Any, lr: float, **kwargs: Any) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=lr)  # the param groups keep their own weight decay


def main(jobs_file: str) -> None:
    from xstilts.cli import app

    Accelerator.backward = _logged_backward  # type: ignore[method-assign]
    Accelerator.clip_grad_norm_ = _logged_clip  # type: ignore[method-assign]
    rank = os.environ.get("RANK", "0")
    for job in json.loads(Path(jobs_file).read_text()):
        events.clear()
        torch.optim.AdamW = _sgd if job["sgd"] else _adamw  # type: ignore[misc,assignment]
        app(["run-phase", job["run_dir"], job["phase"]], standalone_mode=False)
        log = Path(job["log"])
        log.mkdir(parents=True, exist_ok=True)
        (log / f"rank{rank}.json").write_text(json.dumps(events))
    torch.optim.AdamW = _adamw  # type: ignore[misc]


if __name__ == "__main__":
    main(sys.argv[1])
