"""Hand-made XLSX files for the upload limits: a real workbook from openpyxl whose sheet
part is replaced by XML written here, so a test decides what the sheet declares (its
``<dimension>``) apart from the cells it holds, and how big a part unpacks."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

import openpyxl
from openpyxl.utils import get_column_letter

SHEET = "xl/worksheets/sheet1.xml"
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _cell(reference: str, value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{reference}"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(
    rows: Iterable[Sequence[object]],
    *,
    dimension: str | None = None,
    extra_cells: Sequence[tuple[str, object]] = (),
) -> str:
    """A worksheet part with ``rows`` from A1, declaring ``dimension`` (e.g.
    ``"A1:XFD1048576"``) whatever its cells are, and ``extra_cells`` (reference, value)
    in rows of their own after them (e.g. ``("XFD1048576", "x")``)."""
    lines = []
    last = 0
    for number, row in enumerate(rows, 1):
        cells = "".join(
            _cell(f"{get_column_letter(column)}{number}", value)
            for column, value in enumerate(row, 1)
        )
        lines.append(f'<row r="{number}">{cells}</row>')
        last = number
    for reference, value in extra_cells:
        row_number = int("".join(ch for ch in reference if ch.isdigit()))
        assert row_number > last, "extra cells come after the rows, one row each"
        lines.append(f'<row r="{row_number}">{_cell(reference, value)}</row>')
        last = row_number
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}">'
        f"{declared}<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )


def workbook_with_sheet(sheet: str, *, padding: int = 0) -> bytes:
    """An XLSX file whose first sheet is ``sheet``, followed by ``padding`` spaces
    (whitespace an XML parser skips: a part that unpacks to far more than it packs to)."""
    template = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["placeholder"])  # type: ignore[union-attr]
    book.save(template)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template.getvalue())) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for member in source.infolist():
            if member.filename != SHEET:
                target.writestr(member, source.read(member))
                continue
            with target.open(SHEET, "w", force_zip64=padding > 1_000_000_000) as part:
                part.write(sheet.encode())
                chunk = b" " * 1_000_000
                left = padding
                while left > 0:
                    part.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
    return out.getvalue()


def workbook(rows: Iterable[Sequence[object]], *, dimension: str | None = None) -> bytes:
    """An XLSX file holding ``rows`` and declaring ``dimension``."""
    return workbook_with_sheet(sheet_xml(rows, dimension=dimension))
