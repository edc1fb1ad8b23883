import csv
import io

import openpyxl
import pandas as pd
import pytest

from sos_workforce.core.exports import csv_bytes, frame_codebook, iter_csv, safe_cell, xlsx_bytes

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+2", "-3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_cells_that_look_like_formulas_open_as_text(text: str) -> None:
    data = csv_bytes(["comment"], [[text]]).decode("utf-8-sig")
    [header, row] = list(csv.reader(io.StringIO(data)))
    assert header == ["comment"] and row == ["'" + text]


def test_safe_cell_leaves_ordinary_values_alone() -> None:
    assert safe_cell("Llanelli – Tŷ Gwyn") == "Llanelli – Tŷ Gwyn"
    assert safe_cell(-3) == -3 and safe_cell(None) is None


def test_csv_streams_in_chunks_and_keeps_welsh_characters() -> None:
    rows = [[f"ŵ{i}", i] for i in range(2500)]
    chunks = list(iter_csv(["name", "n"], rows))
    assert len(chunks) == 3
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith("\ufeffname,n\r\nŵ0,0\r\n") and text.count("\r\n") == 2501


def test_xlsx_stores_hostile_text_as_text_with_a_codebook() -> None:
    frame = pd.DataFrame({"comment": HOSTILE, "n": range(len(HOSTILE))})
    data = xlsx_bytes(
        {"Comments": frame},
        frame_codebook(frame, {"comment": "Free text"}),
        notes=["Groups under 5 are withheld."],
    )
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Comments"]
    values = [sheet.cell(row=r, column=1) for r in range(2, len(HOSTILE) + 2)]
    # OOXML stores a carriage return as the escape _x000D_ (Excel decodes it; openpyxl
    # does not), so compare in that form.
    assert [cell.value for cell in values] == [t.replace("\r", "_x000D_") for t in HOSTILE]
    assert all(cell.data_type == "s" for cell in values)  # strings, never formulas
    codebook = workbook["Codebook"]
    assert [c.value for c in codebook[2]] == ["comment", "Free text"]
    assert [c.value for c in codebook[3]] == ["n", "(no description)"]
    assert codebook.cell(row=5, column=2).value == "Groups under 5 are withheld."
