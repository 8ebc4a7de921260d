"""`xstilts demo --code` plans the full demo plus a pydoc_pair variant, sharing every other phase's id with the
plain demo (same configs), and its spec names the code intermediate."""

from __future__ import annotations

from pathlib import Path

from xstilts.demo.experiment import demo_spec
from xstilts.experiments.plan import build_plan


def test_code_demo_adds_pydoc_pair_beside_the_nl_intermediates(tiny_model: Path) -> None:
    plain, code = demo_spec(tiny_model, quick=False), demo_spec(tiny_model, quick=False, code=True)
    assert code.name == "demo-code"
    plain_ids = {p.id for p in build_plan(plain)}
    code_plan = build_plan(code)
    assert {p.variant for p in code_plan} == {"baseline", "demo_qa", "demo_para", "pydoc_pair"}
    assert plain_ids < {p.id for p in code_plan}
    (intermediate,) = [p for p in code_plan if p.role == "intermediate" and p.variant == "pydoc_pair"]
    assert intermediate.config.heads["pydoc_pair"].data["max_train_examples"] == 600
