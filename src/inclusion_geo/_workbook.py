"""Every workbook the package writes (``priority_areas.xlsx``, ``register.xlsx``), through one
writer built on XlsxWriter.

Data sheets get a bold, frozen header with filters, sized columns and number formats by
column. Every text cell is written with ``write_string``: text from a data source is stored as
text, never a formula, a hyperlink or a number, whatever it starts with. Characters a
workbook cannot hold become U+FFFD (:func:`inclusion_geo._safe.xlsx_text`) and line breaks
are line feeds.

XlsxWriter writes cells straight to the file's XML with one shared format per column, about
ten times faster than styling each cell afterwards (the 482-area Leeds workbook: ~0.2 s
instead of ~1.8 s; ``benchmarks/bench_cli.py`` measures the whole run).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd

from ._safe import xlsx_text

__all__ = ["Workbook"]


def _text(value: str) -> str:
    """Text a cell can hold: characters a workbook refuses become U+FFFD, and line breaks are
    line feeds (XML readers turn a bare carriage return into one anyway, and XlsxWriter would
    store it as the escape ``_x000D_``, which not every reader decodes)."""
    return xlsx_text(value).replace("\r\n", "\n").replace("\r", "\n")


# never turn text into something else: a formula, a link or a number
_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": False,
}


def _column_cells(values: pd.Series) -> list[object]:
    """A column as Python values: numbers as float/int/bool, text as text (made safe), and
    blanks (NaN, None, NA, NaT) as None."""
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return [bool(v) for v in values.to_numpy()]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        array = values.to_numpy(dtype="float64", na_value=np.nan)
        if pd.api.types.is_integer_dtype(values):
            return [None if math.isnan(v) else int(v) for v in array]
        return [v if math.isfinite(v) else None for v in array.tolist()]
    out: list[object] = []
    for v in values.astype("object").tolist():
        if v is None or v is pd.NA or v is pd.NaT:
            out.append(None)
        elif isinstance(v, str):
            out.append(_text(v) or None)  # empty text: a blank cell, as a reader expects
        elif isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif isinstance(v, Integral):
            out.append(int(v))
        elif isinstance(v, Real):
            out.append(None if not math.isfinite(float(v)) else float(v))
        else:  # dates, lists, anything else: shown as its text
            out.append(_text(str(v)))
    return out


class Workbook:
    """A workbook being written to ``path``; use as a context manager, add sheets in order.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "book.xlsx"
    >>> with Workbook(path) as book:
    ...     book.table("t", pd.DataFrame({"name": ["=1+1"], "n": [3]}), number_formats={"n": "#,##0"})
    >>> import openpyxl
    >>> cell = openpyxl.load_workbook(path)["t"]["A2"]
    >>> cell.value, cell.data_type
    ('=1+1', 's')
    """

    def __init__(self, path: str | Path):
        import xlsxwriter

        self.path = Path(path)
        self._book = xlsxwriter.Workbook(str(self.path), _OPTIONS)
        self._bold = self._book.add_format({"bold": True})
        self._formats: dict[str, object] = {}

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc) -> None:
        from xlsxwriter.exceptions import FileCreateError

        try:
            self._book.close()
        except FileCreateError as error:  # not an OSError: say it as one, like any file error
            raise OSError(f"cannot write the workbook {self.path}: {error}") from error

    def _format(self, number_format: str | None):
        if not number_format:
            return None
        if number_format not in self._formats:
            self._formats[number_format] = self._book.add_format({"num_format": number_format})
        return self._formats[number_format]

    def table(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        widths: dict[str, float] | None = None,
        number_formats: dict[str, str] | None = None,
        freeze: str = "B2",
        default_width: float = 12,
    ) -> None:
        """A data sheet ``name``: row 1 the bold header of ``frame``'s columns, frozen at
        ``freeze`` ("B2": header row and first column), filtered, with column ``widths`` and
        ``number_formats`` by column name; then one row per row of ``frame``."""
        sheet = self._book.add_worksheet(xlsx_text(name))
        widths, number_formats = widths or {}, number_formats or {}
        columns = list(frame.columns)
        write = {
            str: sheet.write_string,
            bool: sheet.write_boolean,
            int: sheet.write_number,
            float: sheet.write_number,
        }
        for j, col in enumerate(columns):
            sheet.write_string(0, j, _text(str(col)), self._bold)
            sheet.set_column(j, j, widths.get(col, default_width))
            fmt = self._format(number_formats.get(col))
            for i, value in enumerate(_column_cells(frame.iloc[:, j]), start=1):
                if value is not None:
                    write[type(value)](i, j, value, fmt)
                elif fmt is not None:  # a blank keeps its column's format, for what is typed in
                    sheet.write_blank(i, j, None, fmt)
        row, col = _cell(freeze)
        sheet.freeze_panes(row, col)
        sheet.autofilter(0, 0, len(frame), max(len(columns) - 1, 0))

    def notes(
        self, name: str, rows: Iterable[tuple[str, str]], *, widths: tuple[float, float]
    ) -> None:
        """A two-column text sheet ``name`` (item, detail), wrapped, its first cell a title."""
        sheet = self._book.add_worksheet(xlsx_text(name))
        wrap = self._book.add_format({"text_wrap": True, "valign": "top"})
        title = self._book.add_format({"text_wrap": True, "valign": "top", "bold": True})
        title.set_font_size(13)
        sheet.set_column(0, 0, widths[0])
        sheet.set_column(1, 1, widths[1])
        for i, pair in enumerate(rows):
            for j, value in enumerate(pair):
                if value:
                    fmt = title if (i, j) == (0, 0) else wrap
                    sheet.write_string(i, j, _text(str(value)), fmt)


def _cell(ref: str) -> tuple[int, int]:
    """ "B2" -> (1, 1): the zero-based row and column of a cell reference (columns A-Z)."""
    letter, number = ref[0].upper(), int(ref[1:])
    return number - 1, ord(letter) - ord("A")
