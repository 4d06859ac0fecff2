"""Column profiling: what each column of a table is, as the designer needs to know it.

Every column gets a *kind*:

- ``numeric``      numbers (integer or float) that are not identifiers;
- ``categorical``  text or numbers with few distinct values (labels, codes, flags);
- ``text``         free text (long, many words, mostly distinct);
- ``datetime``     dates or timestamps (ISO-like text);
- ``id_like``      identifiers: (almost) every value distinct and no meaning in the value;
- ``constant``     at most one distinct value.

plus the facts the later stages use: missing values, cardinality, integer-ness, zeros, skew,
class counts, text length and line breaks, and the *family* of columns sharing a name pattern
(``pixel_3_4`` is one of 64 ``pixel_#_#``). The table profile adds the row count, exact
duplicate rows and the time index (a datetime column with distinct values), if any.
"""

import re
import warnings
from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

ID_NAME = re.compile(r"(^|_)(id|ids|uuid|guid|key|index|idx|row|rownum|record)$|^unnamed: \d+$", re.I)
FAMILY_MIN = 8          # columns sharing a name pattern from which they form a family
TEXT_MIN_CHARS = 30     # mean length of a free-text value
TEXT_MIN_WORDS = 5      # mean words of a free-text value
MAX_CLASSES_LISTED = 30


@dataclass
class ColumnProfile:
    """What one column holds."""

    name: str
    kind: str
    dtype: str
    n_unique: int
    missing: int
    missing_share: float
    unique_share: float
    integer: bool = False
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    zero_share: Optional[float] = None
    skew: Optional[float] = None
    top_share: float = 0.0
    class_counts: dict = field(default_factory=dict)
    mean_length: Optional[float] = None
    line_breaks: bool = False
    family: Optional[str] = None
    onehot_group: tuple = ()

    @property
    def non_negative(self) -> bool:
        return self.minimum is not None and self.minimum >= 0

    @property
    def positive(self) -> bool:
        return self.minimum is not None and self.minimum > 0

    def to_json(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if v not in (None, {}, False, ()) or k == "missing"}
        if len(self.class_counts) > 12:
            out["class_counts"] = dict(list(self.class_counts.items())[:12])
        return out


@dataclass
class TableProfile:
    """The whole table: rows, duplicates, columns by name, the time index."""

    rows: int
    duplicate_rows: int
    columns: dict
    time_index: Optional[str] = None

    def of_kind(self, *kinds) -> list:
        return [c.name for c in self.columns.values() if c.kind in kinds]

    def to_json(self) -> dict:
        kinds = {}
        for col in self.columns.values():
            kinds.setdefault(col.kind, []).append(col.name)
        return {"rows": self.rows, "columns": len(self.columns), "duplicate_rows": self.duplicate_rows,
                "time_index": self.time_index, "kinds": kinds,
                "column_profiles": {name: col.to_json() for name, col in self.columns.items()}}


def name_pattern(name: str) -> str:
    """``pixel_3_4`` -> ``pixel_#_#``: the name with its digit runs replaced."""
    return re.sub(r"\d+", "#", str(name))


def parse_datetimes(values: pd.Series) -> pd.Series:
    """``values`` as datetimes (NaT where unparseable), trying ISO 8601 first."""
    text = values.astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if parsed.notna().mean() < 0.95:
            for fmt in ("%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%m/%d/%Y %H:%M"):
                again = pd.to_datetime(text, format=fmt, errors="coerce")
                if again.notna().mean() > parsed.notna().mean():
                    parsed = again
    return parsed


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(500)
    if sample.empty or not sample.str.contains(r"\d{4}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2}", regex=True).all():
        return False
    return parse_datetimes(sample).notna().mean() >= 0.95


def _is_consecutive(values: pd.Series) -> bool:
    """Integers forming (a shuffle of) a run start..start+n-1: a row number."""
    v = np.sort(values.dropna().to_numpy())
    return len(v) > 1 and bool(np.all(np.diff(v) == 1))


def profile_column(series: pd.Series, family: Optional[str] = None) -> ColumnProfile:
    """Profile one column (see the module docstring for the kinds)."""
    n = len(series)
    present = series.dropna()
    n_unique = int(present.nunique())
    counts = present.astype(str).value_counts()
    prof = ColumnProfile(
        name=str(series.name), kind="categorical", dtype=str(series.dtype), n_unique=n_unique,
        missing=int(n - len(present)), missing_share=round(float(1 - len(present) / max(n, 1)), 4),
        unique_share=round(n_unique / max(len(present), 1), 4),
        top_share=round(float(counts.iloc[0] / len(present)), 4) if len(present) else 1.0,
        family=family)
    if n_unique <= MAX_CLASSES_LISTED:
        prof.class_counts = {str(k): int(v) for k, v in counts.items()}
    if n_unique <= 1:
        prof.kind = "constant"
        return prof
    if pd.api.types.is_bool_dtype(series):
        return prof
    if pd.api.types.is_numeric_dtype(series):
        values = present.to_numpy(dtype=float)
        prof.integer = bool(np.all(np.mod(values, 1) == 0))
        prof.minimum, prof.maximum = float(values.min()), float(values.max())
        prof.zero_share = round(float(np.mean(values == 0)), 4)
        prof.skew = round(float(pd.Series(values).skew()), 3) if n_unique > 2 else 0.0
        named_id = bool(ID_NAME.search(prof.name))
        if prof.integer and prof.unique_share >= 0.99 and (named_id or _is_consecutive(present)):
            prof.kind = "id_like"
        elif n_unique <= 2:
            prof.kind = "categorical"
        else:
            prof.kind = "numeric"
        return prof
    text = present.astype(str)
    lengths = text.str.len()
    prof.mean_length = round(float(lengths.mean()), 1) if len(text) else 0.0
    prof.line_breaks = bool(text.str.contains(r"[\r\n]", regex=True).any())
    words = text.str.count(r"\s+") + 1
    if _looks_like_dates(present):
        prof.kind = "datetime"
    elif prof.mean_length >= TEXT_MIN_CHARS and words.mean() >= TEXT_MIN_WORDS and prof.unique_share >= 0.3:
        prof.kind = "text"
    elif (n_unique > 100 and prof.unique_share >= 0.2) or (ID_NAME.search(prof.name) and prof.unique_share >= 0.5):
        prof.kind = "id_like"
    return prof


def onehot_groups(frame: pd.DataFrame, columns: dict) -> list:
    """Groups of 3 or more 0/1 columns of which at most one is 1 in every row (dummies of one category)."""
    flags = [name for name, col in columns.items() if col.missing == 0 and col.n_unique == 2
             and pd.api.types.is_numeric_dtype(frame[name]) and set(col.class_counts) <= {"0", "1"}]
    groups, used = [], set()
    for name in flags:
        if name in used:
            continue
        group = [name]
        total = frame[name].to_numpy()
        for other in flags:
            if other not in used and other != name and np.all(total + frame[other].to_numpy() <= 1):
                group.append(other)
                total = total + frame[other].to_numpy()
        if len(group) >= 3:
            groups.append(group)
            used.update(group)
    return groups


def profile_table(frame: pd.DataFrame) -> TableProfile:
    """Profile every column and the table (duplicates, time index)."""
    patterns = pd.Series([name_pattern(c) for c in frame.columns]).value_counts()
    columns = {}
    for name in frame.columns:
        pattern = name_pattern(name)
        family = pattern if "#" in pattern and patterns[pattern] >= FAMILY_MIN else None
        columns[str(name)] = profile_column(frame[name], family)
    time_index = None
    for col in columns.values():
        if col.kind == "datetime" and col.unique_share >= 0.95 and col.missing == 0:
            time_index = col.name
            break
    for group in onehot_groups(frame, columns):
        for name in group:
            columns[name].onehot_group = tuple(group)
    return TableProfile(rows=len(frame), duplicate_rows=int(frame.duplicated().sum()),
                        columns=columns, time_index=time_index)
