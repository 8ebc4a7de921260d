"""The language table, the report's language order, and URIEL distances (read from the pinned lang2vec's data)."""

from __future__ import annotations

import random

import pytest

from xstilts.analysis.typology import (
    DISTANCE_KINDS,
    FAMILIES,
    UNKNOWN,
    language_info,
    language_order,
    uriel_distances,
)
from xstilts.languages import LANGUAGES, LanguageInfo


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# XTREME: the 40 ISO 639-1 codes listed in google-research/xtreme's README ("Tasks and Languages"), the same as
# the union of TASK2LANGS in its evaluate.py (commit b5d31e7).
XTREME = _codes(
    "af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl pt ru sw ta te th tl tr ur "
    "vi yo zh"
)
# XTREME-R: the union of XTREME_R_TASK2LANGS in google-research/xtreme's evaluate.py (commit da430dd): PAN-X adds
# qu pl uk az lt pa gu ro, UD-POS adds lt pl uk wo ro, XCOPA adds ht; 50 languages, as Ruder et al. (2021, EMNLP,
# arXiv:2104.07412) state. PAWS-X and BUCC are dropped, but their languages remain through other tasks.
XTREME_R = XTREME | _codes("az gu ht lt pa pl qu ro uk wo")


def test_benchmark_language_sets_have_the_published_sizes() -> None:
    assert len(XTREME) == 40
    assert len(XTREME_R) == 50


def test_table_covers_exactly_the_xtreme_and_xtreme_r_languages() -> None:
    assert set(LANGUAGES) == XTREME | XTREME_R


@pytest.mark.parametrize("code", sorted(XTREME_R))
def test_every_entry_is_complete(code: str) -> None:
    info = LANGUAGES[code]
    assert info.code == code
    assert info.iso3 is not None
    assert len(info.iso3) == 3
    assert info.iso3.isalpha()
    assert info.iso3.islower()
    assert info.family in FAMILIES
    assert info.family != UNKNOWN
    assert info.script != UNKNOWN
    assert info.name


def test_iso3_codes_are_distinct() -> None:
    assert len({info.iso3 for info in LANGUAGES.values()}) == len(LANGUAGES)


def test_known_facts_in_the_table() -> None:
    assert language_info("en") == LanguageInfo("en", "English", "eng", "Indo-European", "Germanic", "Latin")
    assert language_info("ja").script == "Japanese (kanji+kana)"
    assert language_info("ko").script == "Hangul"
    assert language_info("zh").script == "Han"
    assert language_info("hi").script == language_info("mr").script == "Devanagari"
    assert language_info("ur").script == language_info("fa").script == "Arabic"
    assert language_info("ru").script == language_info("kk").script == "Cyrillic"
    assert language_info("eu").family == "Basque (isolate)"
    assert language_info("fi").family == language_info("et").family == language_info("hu").family == "Uralic"
    assert language_info("ht").family == "Creole"


def test_unknown_code_gets_unknown_family_and_script() -> None:
    info = language_info("xx")
    assert (info.code, info.family, info.script, info.iso3, info.branch) == ("xx", UNKNOWN, UNKNOWN, None, None)
    assert language_info("cmn").iso3 == "cmn"  # an ISO 639-3 code outside the table can still be looked up


def test_english_family_comes_first_and_unknown_last() -> None:
    assert FAMILIES[0] == language_info("en").family
    assert FAMILIES[-1] == UNKNOWN
    order = language_order(["zh", "xx", "en", "sw"])
    assert order[0] == "en"
    assert order[-1] == "xx"


def test_order_is_deterministic_and_removes_duplicates() -> None:
    codes = [*sorted(LANGUAGES), "xx", "yy"]
    expected = language_order(codes)
    for seed in range(5):
        shuffled = codes + codes[:7]
        random.Random(seed).shuffle(shuffled)
        assert language_order(shuffled) == expected
    assert len(expected) == len(codes)


def test_order_groups_families_contiguously_then_script_then_code() -> None:
    order = language_order(LANGUAGES)
    families = [language_info(code).family for code in order]
    runs = [family for i, family in enumerate(families) if i == 0 or family != families[i - 1]]
    assert runs == [family for family in FAMILIES if family in families]  # each family once, in canonical order
    keys = [(language_info(code).script, code) for code in order]
    for i in range(1, len(order)):
        if families[i] == families[i - 1]:
            assert keys[i - 1] < keys[i]


def test_order_within_a_family() -> None:
    assert language_order(["ur", "ru", "en", "hi", "de", "bg"]) == ["ur", "bg", "ru", "hi", "de", "en"]


def test_distance_to_itself_is_zero() -> None:
    for code in ("en", "eu", "qu", "zh"):
        assert uriel_distances(code, [code]) == {code: dict.fromkeys(DISTANCE_KINDS, 0.0)}


def test_every_table_language_has_all_distances_within_zero_and_one() -> None:
    distances = uriel_distances("en", LANGUAGES)
    assert set(distances) == set(LANGUAGES)
    for code, by_kind in distances.items():
        assert set(by_kind) == set(DISTANCE_KINDS)
        for kind, value in by_kind.items():
            assert value is not None, (code, kind)
            assert 0.0 <= value <= 1.0, (code, kind, value)
            if code != "en":
                assert value > 0.0 or kind == "geographic", (code, kind)


def test_known_relations_hold() -> None:
    d = uriel_distances("en", ["de", "nl", "fr", "zh", "ja", "ko", "id", "eu"])
    assert d["de"]["genetic"] < d["fr"]["genetic"] < d["zh"]["genetic"]
    assert d["zh"]["genetic"] == d["ja"]["genetic"] == 1.0  # no shared family node at all
    assert d["eu"]["genetic"] == 1.0  # an isolate: URIEL's family vector is all zeros
    assert d["fr"]["geographic"] < d["ja"]["geographic"]
    assert d["de"]["geographic"] < d["id"]["geographic"]
    assert d["de"]["syntactic"] < d["ja"]["syntactic"]
    assert d["nl"]["syntactic"] < d["ko"]["syntactic"]
    assert d["de"]["featural"] < d["ja"]["featural"]


def test_distances_are_symmetric() -> None:
    forward = uriel_distances("de", ["ja"])["ja"]
    backward = uriel_distances("ja", ["de"])["de"]
    assert forward == pytest.approx(backward)


def test_unknown_codes_give_none_instead_of_failing() -> None:
    d = uriel_distances("en", ["xx", "not-a-language", "zzq", "de"])
    for code in ("xx", "not-a-language", "zzq"):  # zzq: three letters, but not in URIEL
        assert d[code] == dict.fromkeys(DISTANCE_KINDS)
    assert all(value is not None for value in d["de"].values())
    assert uriel_distances("xx", ["en", "xx"]) == {
        "en": dict.fromkeys(DISTANCE_KINDS),
        "xx": dict.fromkeys(DISTANCE_KINDS),
    }


def test_iso3_codes_outside_the_table_are_looked_up_in_uriel() -> None:
    d = uriel_distances("en", ["cmn"])["cmn"]
    assert all(value is not None and 0.0 < value <= 1.0 for value in d.values())
