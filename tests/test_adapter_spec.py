"""`method`, `target_method` and `adapters:` in the experiment file: validation with file:line:field errors, the
method as a grid dimension of the plan (dims and ids), and phase ids that follow what a phase computes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.adapter_builders import write_language_adapter
from xstilts.errors import ConfigError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec

SPEC = """\
name: a
model: xlm-roberta-large
intermediate: [none, mnli, [mnli, squad_v1]]
target: [xnli]
"""


def _load(tmp_path: Path, text: str):
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    return load_spec(path)


@pytest.fixture(scope="module")
def language_adapters(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lang")
    return {lang: write_language_adapter(tiny_model, root / lang, seed) for seed, lang in enumerate(("en", "de"))}


def test_default_method_is_full_and_leaves_phases_as_they_were(tmp_path: Path) -> None:
    plain = build_plan(_load(tmp_path, SPEC))
    explicit = build_plan(_load(tmp_path, SPEC + "method: full\n"))
    assert [p.id for p in plain] == [p.id for p in explicit]
    assert all("method" not in p.dims and "adapters" not in p.config.dump() for p in plain)


def test_a_list_of_methods_is_a_grid_dimension(tmp_path: Path) -> None:
    plan = build_plan(_load(tmp_path, SPEC + "method: [full, bottleneck, lora, fusion]\n"))
    for method in ("full", "bottleneck", "lora", "fusion"):
        arm = [p for p in plan if p.dims.get("method") == method]
        assert len([p for p in arm if p.role == "intermediate"]) == 2
        assert len([p for p in arm if p.role == "target"]) == 3  # the arm's own baseline included
        assert all(
            p.config.dump().get("adapters", {}).get("method", "full") == method for p in arm if p.kind == "train"
        )
    assert len({p.id for p in plan}) == len(plan) == 4 * (2 + 3 + 3)
    # Each method is an arm: its variants are named <variant>/<method> and compared with its own baseline.
    assert {p.variant for p in plan} == {
        f"{v}/{m}" for v in ("baseline", "mnli") for m in ("full", "bottleneck", "lora", "fusion")
    } | {"mnli+squad_v1/" + m for m in ("full", "bottleneck", "lora", "fusion")}
    targets = {
        p.dims["method"]: p.config.dump().get("adapters")
        for p in plan
        if p.role == "target" and p.variant == f"mnli/{p.dims['method']}"
    }
    assert targets["full"] is None
    assert targets["bottleneck"]["target_method"] == "stack"
    assert targets["lora"]["target_method"] == "stack" and targets["lora"]["adapter"]["r"] == 8
    assert targets["fusion"]["target_method"] == "fuse" and targets["fusion"]["fusion"] == {"config": "dynamic"}


def test_adapter_settings_change_ids(tmp_path: Path) -> None:
    base = SPEC + "method: bottleneck\n"
    first = build_plan(_load(tmp_path, base))
    houlsby = build_plan(_load(tmp_path, base + "adapters: {bottleneck: {config: houlsby}}\n"))
    assert {p.id for p in first if p.kind == "train"}.isdisjoint({p.id for p in houlsby if p.kind == "train"})
    recipe = next(p for p in houlsby if p.role == "intermediate").config.dump()["adapters"]
    assert recipe == {
        "method": "bottleneck",
        "stage": "intermediate",
        "adapter": {"config": "houlsby", "reduction_factor": 16},
    }


def test_merge_target_names_no_new_adapter(tmp_path: Path) -> None:
    plan = build_plan(_load(tmp_path, SPEC + "method: lora\ntarget_method: merge\n"))
    target = next(p for p in plan if p.role == "target" and p.variant == "mnli")
    assert target.config.dump()["adapters"] == {"method": "lora", "stage": "target", "target_method": "merge"}


def test_madx_ids_follow_adapter_contents_not_paths(tmp_path: Path, language_adapters: dict[str, Path]) -> None:
    def plan_with(languages: dict[str, Path]) -> list:
        entries = ", ".join(f"{lang}: {path}" for lang, path in languages.items())
        return build_plan(_load(tmp_path, SPEC + f"method: madx\nadapters: {{madx: {{languages: {{{entries}}}}}}}\n"))

    only_en = plan_with({"en": language_adapters["en"]})
    both = plan_with(language_adapters)
    moved = tmp_path / "moved"
    for lang, path in language_adapters.items():
        shutil.copytree(path, moved / lang)
    elsewhere = plan_with({lang: moved / lang for lang in language_adapters})

    def ids(plan: list, role: str) -> set[str]:
        return {p.id for p in plan if p.role == role}

    # Adding a language adapter does not retrain the intermediate phase, only the target phases that carry it.
    assert ids(only_en, "intermediate") == ids(both, "intermediate")
    assert ids(only_en, "target").isdisjoint(ids(both, "target"))
    assert [p.id for p in both] == [p.id for p in elsewhere]
    target = next(p for p in both if p.role == "target" and p.parent)
    assert sorted(target.config.dump()["adapters"]["languages"]) == ["de", "en"]
    intermediate = next(p for p in both if p.role == "intermediate")
    assert sorted(intermediate.config.dump()["adapters"]["languages"]) == ["en"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("method: bottleneck\ntarget_method: merge\n", "experiment.yaml:6: target_method: method 'bottleneck' allows"),
        ("method: full\ntarget_method: stack\n", "experiment.yaml:6: target_method: target_method applies to adapter"),
        ("method: [lora, lora]\n", "experiment.yaml:5: method: a method is listed twice"),
        ("method: prefix\n", "experiment.yaml:5: method"),
        ("method: lora\nadapters: {lora: {r: 0}}\n", "experiment.yaml:6: adapters.lora.r"),
        ("method: lora\nadapters: {lora: {target_modules: [q, out]}}\n", "adapters.lora.target_modules[1]"),
        ("method: madx\n", "experiment.yaml:5: method: madx needs adapters.madx.languages with the source language's"),
        (
            "method: madx\nadapters: {madx: {source_language: de, languages: {en: nowhere}}}\n",
            "experiment.yaml:6: adapters.madx.languages: madx needs",
        ),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, SPEC + extra)
    assert expected in str(caught.value)


def test_language_adapter_paths_are_checked_and_relative_to_the_file(tmp_path: Path) -> None:
    text = SPEC + "method: madx\nadapters:\n  madx:\n    languages: {en: adapters/en}\n"
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert f"experiment.yaml:8: adapters.madx.languages.en: {tmp_path / 'adapters' / 'en'} is not an adapter" in str(
        caught.value
    )
    (tmp_path / "adapters" / "en").mkdir(parents=True)
    (tmp_path / "adapters" / "en" / "adapter_config.json").write_text("{}")
    assert _load(tmp_path, text).adapters.madx.languages == {"en": str(tmp_path / "adapters" / "en")}


def test_retrieval_targets_need_full_fine_tuning(tmp_path: Path) -> None:
    text = SPEC.replace("target: [xnli]", "target: [xnli, tatoeba]")
    assert _load(tmp_path, text + "method: full\n").method == "full"
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text + "method: [full, lora]\n")
    assert "experiment.yaml:4: target[1]: retrieval targets are evaluated with full fine-tuning only" in str(
        caught.value
    )


def test_language_adapters_may_come_from_the_hub(tmp_path: Path, language_adapters: dict[str, Path]) -> None:
    hub_id = "AdapterHub/xlm-roberta-base-de-wiki_pfeiffer"
    text = (
        SPEC
        + f"method: madx\nadapters: {{madx: {{languages: {{en: {language_adapters['en']}, de: 'hub:{hub_id}'}}}}}}\n"
    )
    target = next(p for p in build_plan(_load(tmp_path, text)) if p.role == "target" and p.parent)
    languages = target.config.dump()["adapters"]["languages"]
    assert languages["de"] == {"name": hub_id, "hub": True, "fingerprint": f"hub:{hub_id}"}
    assert languages["en"]["hub"] is False and languages["en"]["fingerprint"].startswith("sha256:")


def test_unloadable_language_adapter_is_a_clear_error(tiny_model: Path) -> None:
    import adapters
    from transformers import AutoModel

    from xstilts.errors import ModelLoadError
    from xstilts.models.adapters import load_language_adapter

    encoder = AutoModel.from_pretrained(tiny_model, add_pooling_layer=False)
    adapters.init(encoder)
    with pytest.raises(ModelLoadError, match=r"cannot load the de language adapter from hub id owner/none \(offline"):
        load_language_adapter(encoder, "owner/none", "de", hub=True)
