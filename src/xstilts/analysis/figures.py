"""Report figures (matplotlib, headless): variant × language heatmaps, delta-versus-distance scatters, and
curves. Each is saved as PNG and PDF; the PNG is also inlined in the page."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from xstilts.artefacts import file_stem


def save(figure: Any, directory: Path, stem: str) -> bytes:
    """Writes ``stem.png`` and ``stem.pdf``; returns the PNG bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = file_stem(stem)
    figure.savefig(directory / f"{stem}.pdf")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    png = buffer.getvalue()
    (directory / f"{stem}.png").write_bytes(png)
    return png


def delta_heatmap(
    variants: Sequence[str], languages: Sequence[str], matrix: Sequence[Sequence[float | None]], title: str
) -> Any:
    """Variant × language deltas on a diverging scale centred on zero; missing cells stay blank."""
    values = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    finite = values[np.isfinite(values)]
    bound = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    figure, axis = plt.subplots(
        figsize=(max(6.0, 0.5 * len(languages) + 2.5), max(2.2, 0.45 * len(variants) + 1.4)), dpi=110
    )
    image = axis.imshow(values, cmap="RdBu", vmin=-bound, vmax=bound, aspect="auto")
    axis.set_xticks(range(len(languages)), list(languages))
    axis.set_yticks(range(len(variants)), list(variants))
    for (i, j), value in np.ndenumerate(values):
        if math.isfinite(value):
            axis.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axis, label="Δ (points)")
    axis.set_title(title)
    figure.tight_layout()
    return figure


def delta_scatter(points: Sequence[tuple[float, float, str]], xlabel: str, title: str, annotation: str) -> Any:
    """Delta against a distance, one labelled point per language, with a least-squares trend line."""
    figure, axis = plt.subplots(figsize=(5.2, 3.8), dpi=110)
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    axis.scatter(xs, ys, s=18)
    for x, y, label in points:
        axis.annotate(label, (x, y), textcoords="offset points", xytext=(3, 3), fontsize=7)
    if len(points) >= 2 and np.ptp(xs) > 0:
        slope, intercept = np.polyfit(xs, ys, 1)
        grid = np.linspace(xs.min(), xs.max(), 20)
        axis.plot(grid, slope * grid + intercept, color="grey", linewidth=1)
    axis.axhline(0, color="black", linewidth=0.6)
    axis.set_xlabel(xlabel)
    axis.set_ylabel("Δ vs baseline (points)")
    axis.set_title(title, fontsize=10)
    axis.text(0.02, 0.02, annotation, transform=axis.transAxes, fontsize=8)
    figure.tight_layout()
    return figure


def curves(series: Mapping[str, Sequence[tuple[float, float]]], xlabel: str, title: str) -> Any:
    """One line per named series over a shared x axis (e.g. statistics against the number of tasks)."""
    figure, axis = plt.subplots(figsize=(5.2, 3.6), dpi=110)
    for name, points in series.items():
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    axis.axhline(0, color="black", linewidth=0.6)
    axis.set_xlabel(xlabel)
    axis.set_title(title, fontsize=10)
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure
