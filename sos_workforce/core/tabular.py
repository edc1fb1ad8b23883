"""Reading CSV/XLSX uploads: encodings, delimiters, header mapping and typed values.

Errors are collected for every row and column and raised together as ``InvalidInput``
("Row 4, column 'Start date': 31/04/2024 is not a real date"), before anything is
written, so imports are all-or-nothing. Dates are UK day/month/year; ISO dates and Excel
serial numbers are accepted too; a date that only makes sense as month/day is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import Literal, NoReturn, cast

import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from sos_workforce.core.config import Settings, get_settings
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.figures import as_shown

MAX_PROBLEMS_LISTED = 50
MAX_FILE_BYTES = 50_000_000  # an authority's whole roster is well under 1 MB
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 in the 1900 date system
Progress = Callable[[float], None]
Kind = Literal["text", "date", "time", "number", "integer", "choice"]


@dataclass(frozen=True)
class Column:
    """A field an import expects, with the header names it is recognised by."""

    name: str
    label: str
    kind: Kind = "text"
    required: bool = True
    synonyms: tuple[str, ...] = ()
    choices: Mapping[str, str] = field(default_factory=dict)  # normalised input → value
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 200
    help: str = ""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[object]]  # cell values as read (str from CSV; typed from XLSX)


def normalise_header(header: str) -> str:
    return re.sub(r"[\s_\-./()]+", " ", header.strip().lower()).strip()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # Excel's "CSV" on Windows


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's rows are built: hundreds of
    thousands of new lists and dicts (none of them cyclic) otherwise trigger repeated full
    collections that take more time than the parsing itself. Reference counting still frees
    memory; the collector is resumed (if it was running) on the way out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may hold, checked while it is read (never from what the file says
    about itself): its size in bytes, its rows after the header, its columns, the cells
    read (counting empty cells within a row) and, for XLSX, each part of the zip archive
    once unpacked and all of them together (read from the archive's directory before any
    part is unpacked; Python's ``zipfile`` never unpacks more than that directory says)."""

    max_bytes: int = MAX_FILE_BYTES
    max_rows: int = 250_000
    max_columns: int = 100
    max_cells: int = 3_000_000
    max_unzipped_bytes: int = 100_000_000

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        return cls(
            max_bytes=settings.upload_max_bytes,
            max_rows=settings.upload_max_rows,
            max_columns=settings.upload_max_columns,
            max_cells=settings.upload_max_cells,
            max_unzipped_bytes=settings.upload_max_unzipped_bytes,
        )


def _megabytes(size: int) -> str:
    """A size as people read it: "50 MB", "100.5 MB", "65 KB", "100 bytes"."""
    if size >= 1_000_000:
        return as_shown(size / 1_000_000, 0 if size % 1_000_000 == 0 else 1, " MB")
    if size >= 1_000:
        return as_shown(size / 1_000, 0, " KB")
    return f"{size} bytes"


class _Budget:
    """Rows, columns and cells counted as they are read; the first one over its limit
    refuses the file with a plain message."""

    __slots__ = ("cells", "filename", "limits", "rows")

    def __init__(self, filename: str, limits: UploadLimits) -> None:
        self.filename = filename
        self.limits = limits
        self.rows = 0  # every row read, blank or not, the header included
        self.cells = 0

    def too_many_rows(self) -> NoReturn:
        raise InvalidInput(
            f"{self.filename} has more than {self.limits.max_rows:,} rows; split it into "
            "smaller files."
        )

    def too_many_columns(self) -> NoReturn:
        raise InvalidInput(
            f"{self.filename} has more than {self.limits.max_columns:,} columns; keep only "
            "the columns the import asks for."
        )

    def too_many_cells(self) -> NoReturn:
        raise InvalidInput(
            f"{self.filename} has more than {self.limits.max_cells:,} cells; split it into "
            "smaller files or keep only the columns the import asks for."
        )


def _trimmed_width(row: Sequence[object]) -> int:
    """The row's width without its trailing empty cells."""
    width = len(row)
    while width and (row[width - 1] is None or row[width - 1] == ""):
        width -= 1
    return width


def _read_csv(data: bytes, filename: str, limits: UploadLimits) -> list[list[object]]:
    """The non-blank rows of a CSV file (every cell a ``str``), within the limits.

    A file can have no more records than lines, nor more cells than delimiters and lines
    together: when those counts (done in C) are within the limits, the rows are read in
    one pass; otherwise row by row, refusing at the first row over a limit, and refusing a
    line whose delimiters alone could exceed the cells left before the reader splits it."""
    text = _decode(data)
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    budget = _Budget(filename, limits)
    lines = text.count("\n") + 1
    try:
        with _gc_paused():
            if lines <= limits.max_rows + 1 and text.count(delimiter) + lines <= limits.max_cells:
                rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                # A row is blank when its joined cells are only whitespace.
                kept = [row for row in rows if "".join(row).strip()]
            else:
                kept = _read_csv_counted(text, delimiter, budget)
    except csv.Error as error:
        raise InvalidInput(f"{filename} could not be read as CSV ({error}).") from None
    if max(map(len, kept), default=0) > limits.max_columns and any(
        _trimmed_width(row) > limits.max_columns for row in kept
    ):
        budget.too_many_columns()
    return cast("list[list[object]]", kept)


def _read_csv_counted(text: str, delimiter: str, budget: _Budget) -> list[list[str]]:
    limits = budget.limits
    max_rows, max_columns, max_cells = limits.max_rows + 1, limits.max_columns, limits.max_cells

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            if line.count(delimiter) >= max_cells - budget.cells:
                budget.too_many_cells()  # before the reader holds a row that wide
            yield line

    kept: list[list[str]] = []
    for row in csv.reader(lines(), delimiter=delimiter):
        budget.rows += 1
        budget.cells += len(row)
        if budget.rows > max_rows:
            budget.too_many_rows()
        if budget.cells > max_cells:
            budget.too_many_cells()
        if len(row) > max_columns and _trimmed_width(row) > max_columns:
            budget.too_many_columns()
        if "".join(row).strip():
            kept.append(row)
    return kept


def _check_archive(data: bytes, filename: str, limits: UploadLimits) -> None:
    """Refuse an XLSX file whose parts would unpack to more than the limit, from the zip
    directory alone (``infolist``), before openpyxl unpacks anything."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        raise InvalidInput(
            f"{filename} is not an Excel workbook (.xlsx); save it as .xlsx or CSV."
        ) from None
    limit = limits.max_unzipped_bytes
    total = 0
    for member in members:
        if member.file_size > limit:
            raise InvalidInput(
                f"{filename} would unpack to more than {_megabytes(limit)} "
                f"({member.filename} alone is {_megabytes(member.file_size)}); it cannot be "
                "read. Save the sheet as CSV, or split it into smaller files."
            )
        total += member.file_size
    if total > limit:
        raise InvalidInput(
            f"{filename} would unpack to {_megabytes(total)}, more than "
            f"{_megabytes(limit)}; it cannot be read. Save the sheet as CSV, or split it "
            "into smaller files."
        )


def _read_xlsx(data: bytes, filename: str, limits: UploadLimits) -> list[list[object]]:
    """The non-blank rows of the first sheet, streamed (openpyxl read-only), within the
    limits. The sheet's declared dimension is ignored: it can claim a million rows and
    16,384 columns for three cells, or two rows for a thousand (openpyxl would then pad
    every row to the claimed width, or stop at the claimed last row)."""
    _check_archive(data, filename, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise InvalidInput(f"The Excel file could not be read ({type(error).__name__}).") from error
    budget = _Budget(filename, limits)
    max_rows, max_columns, max_cells = limits.max_rows + 1, limits.max_columns, limits.max_cells
    kept: list[list[object]] = []
    cells = 0
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise InvalidInput(f"{filename} has no sheet to read.")
        sheet = sheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            sheet.reset_dimensions()  # read the cells there are, not the ones declared
        for rows, row in enumerate(sheet.iter_rows(values_only=True), 1):
            # Rows missing from the file (a gap before row 1,000,000) come as empty
            # rows, so they count too: reading them takes time.
            width = len(row)
            cells += width
            if rows > max_rows:
                budget.too_many_rows()
            if cells > max_cells:
                budget.too_many_cells()
            used = _trimmed_width(row)
            if used > max_columns:
                budget.too_many_columns()
            if any(c is not None and str(c).strip() for c in row[:used]):
                kept.append(list(row[:used]))
    except InvalidInput:
        raise
    except Exception as error:  # a part that is broken, or lies about its size
        raise InvalidInput(f"The Excel file could not be read ({type(error).__name__}).") from error
    finally:
        workbook.close()
    return kept


def read_table(data: bytes, filename: str, limits: UploadLimits | None = None) -> Table:
    """Read the first sheet (XLSX) or the CSV within ``limits`` (by default from the
    settings, ``SOS_UPLOAD_*``); drop blank rows; refuse an empty file, a header with no
    data, or repeated headers."""
    limits = limits or UploadLimits.from_settings(get_settings())
    if len(data) > limits.max_bytes:
        raise InvalidInput(
            f"{filename} is larger than {_megabytes(limits.max_bytes)}; split it into "
            "smaller files."
        )
    if not data.strip():
        raise InvalidInput(f"{filename} is empty.")
    is_xlsx = data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx")
    rows = _read_xlsx(data, filename, limits) if is_xlsx else _read_csv(data, filename, limits)
    if not rows:
        raise InvalidInput(f"{filename} is empty.")
    headers = ["" if c is None else str(c).strip() for c in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    seen: dict[str, str] = {}
    for header in headers:
        key = normalise_header(header)
        if not key:
            continue
        if key in seen:
            raise InvalidInput(f"The column '{header}' appears twice in the header row.")
        seen[key] = header
    if len(rows) == 1:
        raise InvalidInput(f"{filename} has a header row but no data rows.")
    return Table(headers, rows[1:])


def propose_mapping(headers: Sequence[str], columns: Sequence[Column]) -> dict[str, str | None]:
    """For each expected column, the file header that matches its name, label or a
    synonym (ignoring case, spaces and punctuation), or ``None``."""
    by_key = {normalise_header(h): h for h in headers if h}
    mapping: dict[str, str | None] = {}
    for column in columns:
        candidates = [column.name, column.label, *column.synonyms]
        mapping[column.name] = next(
            (by_key[normalise_header(c)] for c in candidates if normalise_header(c) in by_key),
            None,
        )
    return mapping


# --- values ---------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{4,5}(\.0+)?", text):
        return _excel_serial(float(text))
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DMY.match(text):
        day, month, year = (int(part) for part in match.groups())
        if year < 100:
            raise ValueError(f"{text}: use a four-digit year (e.g. 2024)")
        if month > 12 and day <= 12:
            raise ValueError(f"{text} looks like month/day/year; dates must be day/month/year")
    else:
        raise ValueError(f"{text!r} is not a date; use day/month/year, e.g. 30/09/2024")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text} is not a real date") from None


def _excel_serial(serial: float) -> dt.date:
    if not 1 <= serial <= 80_000 or serial != int(serial):
        raise ValueError(f"{serial:g} is not a date")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?$")


def parse_time(value: object) -> dt.time:
    """A time of day: "9:30", "09:30", "09:30:00" (or "9.30"), a time from Excel, or
    Excel's fraction of a day (0.5 = 12:00)."""
    if isinstance(value, dt.datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(microsecond=0)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 <= value < 1:
            raise ValueError(f"{value:g} is not a time of day; use hours:minutes, e.g. 09:30")
        seconds = round(float(value) * 86_400)
        return dt.time(seconds // 3600, seconds % 3600 // 60)
    text = str(value).strip()
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time; use hours:minutes, e.g. 09:30")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{text} is not a real time of day")
    return dt.time(hour, minute)


def parse_number(value: object) -> float:
    """A finite number: "nan", "inf" or "1e999" are not figures anyone means (and an
    infinite case count cannot be checked as a whole number)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a number")
        return number
    text = str(value).strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # decimal comma (e.g. from a ';'-separated file)
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a number")
    return number


def _convert(column: Column, value: object) -> object:
    if column.kind == "date":
        return parse_date(value)
    if column.kind == "time":
        return parse_time(value)
    if column.kind in ("number", "integer"):
        number = parse_number(value)
        if column.kind == "integer" and number != int(number):
            raise ValueError(f"{number:g} is not a whole number")
        if column.minimum is not None and number < column.minimum:
            raise ValueError(f"{number:g} is below the minimum of {column.minimum:g}")
        if column.maximum is not None and number > column.maximum:
            raise ValueError(f"{number:g} is above the maximum of {column.maximum:g}")
        return int(number) if column.kind == "integer" else number
    text = " ".join(str(value).split())
    if column.kind == "choice":
        key = text.lower()
        if key not in column.choices:
            allowed = ", ".join(sorted(set(column.choices.values())))
            raise ValueError(f"{text!r} is not one of: {allowed}")
        return column.choices[key]
    if len(text) > column.max_length:
        raise ValueError(f"longer than {column.max_length} characters")
    return text


class _Problem:
    """A cell that could not be used, with the reason shown after its row and column."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


_MISSING = _Problem("missing")
_SAMPLE = 200  # cells looked at to tell a column of repeated values from one of ids


def _cell(column: Column, raw: object) -> object:
    """One cell's value: typed, ``None`` (blank, optional) or a ``_Problem``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return _MISSING if column.required else None
    try:
        return _convert(column, raw)
    except ValueError as error:
        return _Problem(str(error))


def _text_values(column: Column, distinct: dict[object, object]) -> None:
    """``_cell`` for a text column, inlined over distinct ``str`` values (a roster's staff
    ids are all different, so this runs once per row)."""
    blank: object = _MISSING if column.required else None
    too_long = _Problem(f"longer than {column.max_length} characters")
    limit = column.max_length
    for raw in distinct:
        # str.split() and str.strip() use the same whitespace, so "" means a blank cell.
        text = " ".join(raw.split()) if isinstance(raw, str) else ""
        distinct[raw] = blank if not text else too_long if len(text) > limit else text


def _column_values(column: Column, cells: list[object]) -> tuple[list[object], bool]:
    """Every cell of one column through ``_cell``, and whether any is a ``_Problem``.

    CSV cells are text, and most columns repeat a few values (teams, roles, dates), so each
    distinct text is converted once. Typed XLSX cells are converted one by one: 1, 1.0 and
    True are equal as keys but do not read the same. (No typed value equals a ``str`` or
    ``None``, so if every distinct key is one, every cell is.)"""
    if column.kind == "text" and len(set(cells[:_SAMPLE])) > _SAMPLE // 2:
        # Mostly different values (e.g. staff ids): a dictionary of them would cost more
        # than it saves, so normalise every cell in C; if any is blank or too long, or not
        # text (TypeError), fall through to the cell-by-cell path that says which.
        try:
            texts = list(map(" ".join, map(str.split, cast("list[str]", cells))))
        except TypeError:
            pass
        else:
            if all(texts) and max(map(len, texts), default=0) <= column.max_length:
                return cast("list[object]", texts), False
    distinct: dict[object, object] = dict.fromkeys(cells)
    if not set(map(type, distinct)) <= {str, type(None)}:
        values = [_cell(column, raw) for raw in cells]
        return values, any(type(value) is _Problem for value in values)
    if column.kind == "text":
        _text_values(column, distinct)
    else:
        for raw in distinct:
            distinct[raw] = _cell(column, raw)
    failed = any(type(value) is _Problem for value in distinct.values())
    return list(map(distinct.__getitem__, cells)), failed


def parse_rows(
    table: Table,
    mapping: Mapping[str, str | None],
    columns: Sequence[Column],
    progress: Progress | None = None,
) -> list[dict[str, object]]:
    """Typed rows keyed by column name. Raises ``InvalidInput`` listing every problem
    (by file row number, counting the header as row 1, then by column) if any value is
    wrong.

    Works column by column (see ``_column_values``); rows are only visited one by one to
    find where the problems are, when there are any."""
    problems: list[str] = []
    for column in columns:
        if column.required and not mapping.get(column.name):
            problems.append(f"The file has no column for '{column.label}'.")
        header = mapping.get(column.name)
        if header and header not in table.headers:
            problems.append(f"The column '{header}' is not in the file.")
    if problems:
        raise InvalidInput("\n".join(problems), problems)
    positions = {name: table.headers.index(header) for name, header in mapping.items() if header}
    rows = table.rows
    total = len(rows)
    found: list[tuple[int, int, str]] = []  # (row index, column index, problem)
    values: list[list[object]] = []
    with _gc_paused():
        for number, column in enumerate(columns):
            position = positions.get(column.name)
            cells: list[object]
            if position is None:
                cells = [None] * total
            else:
                try:
                    cells = list(map(itemgetter(position), rows))
                except IndexError:  # a short row: its missing cells are blank
                    cells = [row[position] if position < len(row) else None for row in rows]
            converted, failed = _column_values(column, cells)
            if failed:
                label = mapping[column.name]
                found.extend(
                    (index, number, f"Row {index + 2}, column '{label}': {value.reason}.")
                    for index, value in enumerate(converted)
                    if isinstance(value, _Problem)
                )
            values.append(converted)
            if progress is not None:
                progress((number + 1) / len(columns))
        if not found:
            if not columns:
                return [{} for _ in rows]
            names = [column.name for column in columns]
            return list(map(dict, map(zip, repeat(names), zip(*values, strict=True))))
    found.sort(key=lambda problem: (problem[0], problem[1]))  # row by row, as in the file
    refuse_import([problem for _, _, problem in found])


def normalise_staff_id(value: object) -> str:
    """A pseudonymous staff id as stored: inner spaces collapsed, upper case (rosters,
    diaries and erasure requests type the same id in different ways)."""
    return " ".join(str(value).split()).upper()


def refuse_import(problems: list[str]) -> NoReturn:
    """Refuse a whole file, listing the first ``MAX_PROBLEMS_LISTED`` problems."""
    listed = problems[:MAX_PROBLEMS_LISTED]
    if len(problems) > MAX_PROBLEMS_LISTED:
        listed.append(f"… and {len(problems) - MAX_PROBLEMS_LISTED} more problems.")
    raise InvalidInput(
        f"Nothing was imported: {len(problems)} problem(s) found.\n" + "\n".join(listed),
        listed,
    )
