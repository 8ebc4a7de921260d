"""Report tables: one structure, written as HTML (for the page), CSV (for tools) and LaTeX (for papers).

Cells are numbers, strings or None; a column named ``Δ…`` holds deltas, which HTML colours by sign and
LaTeX prints with an explicit sign. Every string is escaped for the format it is written in.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

from xstilts.artefacts import atomic_write_text, file_stem

Cell = float | int | str | None

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    return (
        "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)
        .replace("Δ", r"$\Delta$")
        .replace("±", r"$\pm$")
        .replace("–", "--")
    )


def _is_delta(column: str) -> bool:
    return column.startswith("Δ")


@dataclass
class ReportTable:
    name: str  # file stem: tables/<name>.csv and .tex
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    digits: int = 2
    notes: list[str] = field(default_factory=list)
    emphasise_last_row: bool = False

    def _text(self, value: Cell, column: str) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            return f"{value:+.{self.digits}f}" if _is_delta(column) else f"{value:.{self.digits}f}"
        return str(value)

    def text_rows(self) -> list[list[str]]:
        """Every cell as the report prints it (for terminal tables)."""
        return [[self._text(v, c) for c, v in zip(self.columns, row, strict=True)] for row in self.rows]

    def html(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = []
        for number, row in enumerate(self.rows):
            cells = []
            for column, value in zip(self.columns, row, strict=True):
                css = ""
                if _is_delta(column) and isinstance(value, float):
                    css = ' class="up"' if value > 0 else ' class="down"' if value < 0 else ""
                cells.append(f"<td{css}>{html.escape(self._text(value, column))}</td>")
            last = self.emphasise_last_row and number == len(self.rows) - 1
            opening = '<tr class="avg">' if last else "<tr>"
            body.append(f"{opening}{''.join(cells)}</tr>")
        notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in self.notes)
        return (
            f"<h3>{html.escape(self.title)}</h3><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{notes}"
        )

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if v is None else v for v in row])
        return buffer.getvalue()

    def latex(self) -> str:
        align = "l" + "r" * (len(self.columns) - 1)
        lines = [
            f"% {latex_escape(self.title)}",
            f"\\begin{{tabular}}{{{align}}}",
            "\\toprule",
            " & ".join(latex_escape(c) for c in self.columns) + " \\\\",
            "\\midrule",
        ]
        for number, row in enumerate(self.rows):
            if self.emphasise_last_row and number == len(self.rows) - 1:
                lines.append("\\midrule")
            lines.append(
                " & ".join(latex_escape(self._text(v, c)) for c, v in zip(self.columns, row, strict=True)) + " \\\\"
            )
        lines += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines) + "\n"

    def write(self, directory: Path) -> None:
        atomic_write_text(directory / f"{file_stem(self.name)}.csv", self.csv_text())
        atomic_write_text(directory / f"{file_stem(self.name)}.tex", self.latex())
