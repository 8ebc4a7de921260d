"""Typology of the evaluation languages: family, script, and URIEL distances to the source language.

Why: zero-shot transfer deltas are only interpretable next to how far each target language is from the source
language (English in XTREME's setting). The report groups languages by family and script and correlates deltas
with URIEL's genetic, syntactic, geographic and featural distances.

The language table itself (code, name, ISO 639-3, family, branch, script) is :mod:`xstilts.languages`.

Distances are cosine distances between URIEL vectors (Littell et al., 2017, "URIEL and lang2vec", EACL), as in
URIEL+ (Khan et al., 2025, COLING; ``URIELPlusQuerying.new_distance``), which computes every distance type from the
vectors:

* genetic: ``fam`` (membership in each Glottolog family and subfamily);
* syntactic: ``syntax_knn`` (WALS/SSWL/Ethnologue syntax features, gaps filled by URIEL's k-NN predictions);
* geographic: ``geo`` (distances from fixed points on the Earth's surface);
* featural: ``syntax_knn`` + ``phonology_knn`` + ``inventory_knn`` concatenated, i.e. all typological features at
  once, as URIEL+'s ``new_distance("featural")`` takes every syntax (``S_``), phonology (``P_``) and inventory
  (``INV_``) feature.

These are not the precomputed matrices of lang2vec's later GitHub releases (absent from 1.1.2), whose genetic and
geographic distances are described as Glottolog-tree-based and great-circle-based, so values differ from theirs.

The vectors are read from the files the pinned ``lang2vec`` 1.1.2 package ships (``lang2vec/data/*.npz``), exactly
as its ``get_named_set`` selects them (file, source, feature-name prefix), rather than through
``lang2vec.lang2vec.get_features``: that module takes 4-6 s to import (it scans the family table at import time)
and needs ``pkg_resources`` (gone from setuptools >= 82), and every ``get_features(..., "fam")`` call takes 6-8 s
because it re-reads the compressed table once per feature name. Reading the arrays directly takes ~1.5 s once per
process (cached), and gives exactly ``get_features``' values (checked for all 50 languages and the five sets).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import distribution
from pathlib import Path

import numpy as np

from xstilts.languages import LANGUAGES, LanguageInfo

UNKNOWN = "unknown"


FAMILIES: tuple[str, ...] = (
    "Indo-European",
    "Uralic",
    "Basque (isolate)",
    "Kartvelian",
    "Turkic",
    "Afro-Asiatic",
    "Dravidian",
    "Sino-Tibetan",
    "Japonic",
    "Koreanic",
    "Kra-Dai",
    "Austroasiatic",
    "Austronesian",
    "Niger-Congo",
    "Quechuan",
    "Creole",
    UNKNOWN,
)
"""The fixed order families are reported in: the source language's (English's) first, then roughly by region
from Europe eastwards, then Africa and the Americas; creoles and unknown languages last."""

_FAMILY_RANK = {family: rank for rank, family in enumerate(FAMILIES)}

DISTANCE_KINDS: tuple[str, ...] = ("genetic", "syntactic", "geographic", "featural")

# lang2vec 1.1.2's FEATURE_SETS_DICT entries for the sets used here: (file in lang2vec/data, source, feature prefix).
_FEATURE_SETS: dict[str, tuple[str, str, str]] = {
    "fam": ("family_features.npz", "FAM", ""),
    "syntax_knn": ("feature_predictions.npz", "predicted", "S_"),
    "phonology_knn": ("feature_predictions.npz", "predicted", "P_"),
    "inventory_knn": ("feature_predictions.npz", "predicted", "INV_"),
    "geo": ("geocoord_features.npz", "GEOCOORDS", ""),
}

_DISTANCE_FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "genetic": ("fam",),
    "syntactic": ("syntax_knn",),
    "geographic": ("geo",),
    "featural": ("syntax_knn", "phonology_knn", "inventory_knn"),
}


def language_info(code: str) -> LanguageInfo:
    """The table's entry for ``code``; for a code not in the table, family and script ``"unknown"`` (never raises),
    and ``iso3`` the code itself when it looks like an ISO 639-3 code (three lowercase letters), so URIEL distances
    still work for languages outside XTREME."""
    info = LANGUAGES.get(code)
    if info is not None:
        return info
    iso3 = code if len(code) == 3 and code.isascii() and code.isalpha() and code.islower() else None
    return LanguageInfo(code=code, name=code, iso3=iso3, family=UNKNOWN, branch=None, script=UNKNOWN)


def language_order(codes: Iterable[str]) -> list[str]:
    """``codes`` without duplicates, grouped by family in ``FAMILIES``' order, then by script, then by code, so
    that tables and heatmaps show related languages side by side and are identical from run to run."""

    def key(code: str) -> tuple[int, str, str]:
        info = language_info(code)
        return _FAMILY_RANK[info.family], info.script, code

    return sorted(set(codes), key=key)


def uriel_distances(source: str, targets: Iterable[str]) -> dict[str, dict[str, float | None]]:
    """For each target, its cosine distance to ``source`` for each kind in ``DISTANCE_KINDS`` (in [0, 1]).

    A distance is ``None`` when URIEL has no vector for either language (unknown code, or a code URIEL lacks), so
    the report can leave it out rather than fail. A language's distance to itself is 0. A zero vector (no
    membership in any family URIEL records, as for the isolate Basque or the macrolanguage ``que``) shares nothing
    with any other vector: its distance to every other language is 1, as in scikit-learn's ``cosine_distances``.
    """
    source_iso3 = language_info(source).iso3
    return {
        target: {kind: _distance(kind, source_iso3, language_info(target).iso3) for kind in DISTANCE_KINDS}
        for target in targets
    }


def _distance(kind: str, iso3_a: str | None, iso3_b: str | None) -> float | None:
    a, b = _vector(kind, iso3_a), _vector(kind, iso3_b)
    if a is None or b is None:
        return None
    if iso3_a == iso3_b:
        return 0.0
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0.0:
        return 1.0
    # The vectors are non-negative, so the cosine lies in [0, 1]; clipping only removes rounding error.
    return float(np.clip(1.0 - float(a @ b) / norms, 0.0, 1.0))


@cache
def _vector(kind: str, iso3: str | None) -> np.ndarray | None:
    """The language's vector for one distance kind (feature sets concatenated), or ``None`` if URIEL lacks it."""
    if iso3 is None:
        return None
    parts = []
    for feature_set in _DISTANCE_FEATURE_SETS[kind]:
        rows, matrix = _feature_matrix(feature_set)
        row = rows.get(iso3)
        if row is None:
            return None
        parts.append(matrix[row].astype(np.float64))
    vector = np.concatenate(parts)
    # lang2vec marks a missing feature value as -1; a partial vector would give a meaningless distance.
    return None if bool((vector < 0).any()) else vector


@cache
def _feature_matrix(feature_set: str) -> tuple[dict[str, int], np.ndarray]:
    """Language → row index, and the (languages × features) matrix of one lang2vec feature set, selected like
    lang2vec's ``get_named_set`` (features by name prefix, one source). Loaded once per process: the family table
    alone is 7970 languages × 3718 families."""
    filename, source, prefix = _FEATURE_SETS[feature_set]
    # Located through the installed distribution, not by importing: lang2vec also installs a script named
    # lang2vec.py into bin/, which shadows the package whenever bin/ leads sys.path (console scripts).
    path = Path(str(distribution("lang2vec").locate_file(f"lang2vec/data/{filename}")))
    with path.open("rb") as handle, np.load(handle) as database:
        languages = database["langs"]
        features = np.char.startswith(database["feats"], prefix)
        (source_index,) = np.flatnonzero(database["sources"] == source)
        matrix = database["data"][:, features, source_index]
    binary = matrix.astype(bool)
    if np.array_equal(binary, matrix):  # 0/1 indicators (fam, *_knn): a quarter of float32's memory
        matrix = binary
    return {str(language): row for row, language in enumerate(languages)}, matrix
