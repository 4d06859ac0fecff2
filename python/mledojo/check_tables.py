"""Table helpers shared by the data assertions (``mledojo.check_assertions``) and the leakage
probes (``mledojo.review``): finding a task's public train/test tables and its target column,
telling classification-like answers from numeric ones, comparable label text, and row keys that
make rows comparable across two CSV files (exact, or rounded and case-folded)."""

from pathlib import Path

MAX_CLASSES = 200          # a non-numeric answer column with more distinct values is free text
MAX_INTEGER_CLASSES = 20   # an integer answer column with at most this many values is a label
MISSING = "\x00<missing>"  # how a missing value reads in a row key


def read_csv(path: Path):
    import pandas as pd
    return pd.read_csv(path, low_memory=False)


def public_table(public: Path, kind: str):
    """The public CSV of ``kind`` ("train" or "test"): ``<kind>.csv``, else the only
    ``<kind>*.csv`` at the top of public/ (None when there is none, or several)."""
    exact = Path(public) / f"{kind}.csv"
    if exact.is_file():
        return exact
    found = sorted(p for p in Path(public).glob(f"{kind}*.csv") if p.is_file())
    return found[0] if len(found) == 1 else None


def is_numeric(series) -> bool:
    """Every non-missing value reads as a number."""
    import pandas as pd
    values = series.dropna()
    return bool(len(values)) and bool(pd.to_numeric(values, errors="coerce").notna().all())


def label_text(series):
    """Labels as comparable text: integer-valued numbers without a decimal part (1.0 -> "1"),
    other values stripped; missing values dropped."""
    import pandas as pd
    values = series.dropna()
    numbers = pd.to_numeric(values, errors="coerce")
    if len(values) and numbers.notna().all():
        if (numbers % 1 == 0).all():
            return numbers.astype("int64").astype(str)
        return numbers.astype(float).map(repr)
    return values.astype(object).map(str).str.strip()


def is_classification(series) -> bool:
    """Classification-like values: non-numeric with at most MAX_CLASSES distinct values (and
    fewer than half as many as rows), or integer-valued with at most MAX_INTEGER_CLASSES."""
    import pandas as pd
    values = series.dropna()
    if values.empty:
        return False
    distinct = values.astype(object).map(str).nunique()
    if not is_numeric(values):
        return distinct <= MAX_CLASSES and (distinct <= 2 or distinct <= len(values) / 2)
    numbers = pd.to_numeric(values, errors="coerce")
    return bool((numbers % 1 == 0).all()) and distinct <= MAX_INTEGER_CLASSES


def find_target(train, test, answer):
    """(target columns in train, how they were found). By name: the answers' value columns that
    train has. Else by elimination: the one column train has that test lacks (not the id)."""
    id_column = answer.columns[0]
    named = [c for c in answer.columns[1:] if c in train.columns]
    if named:
        return named, "by name"
    only_train = [c for c in train.columns if c != id_column and (test is None or c not in test.columns)]
    if test is not None and len(only_train) == 1:
        answers = ", ".join(map(str, answer.columns[1:]))
        return only_train, f"the only train.csv column absent from the test file (answers: {answers})"
    return [], f"train.csv has none of the answers' columns ({', '.join(map(str, answer.columns[1:]))})"


def informative_columns(frames, columns) -> list:
    """The columns that take more than one value (missing counts as a value) over all frames."""
    import pandas as pd
    out = []
    for c in columns:
        values = pd.concat([f[c].astype(object) for f in frames], ignore_index=True)
        if values.nunique(dropna=False) > 1:
            out.append(c)
    return out


def row_keys(frames, columns, significant_digits=None, fold_case=False):
    """One uint64 hash per row of each frame over ``columns``, comparable across the frames.

    A column numeric in every frame compares as float64 (rounded to ``significant_digits`` when
    given); any other column as stripped text (lower-cased with ``fold_case``). Missing values are
    equal to each other."""
    import numpy as np
    import pandas as pd
    numeric = {c: all(is_numeric(f[c]) or f[c].isna().all() for f in frames) for c in columns}
    keys = []
    for frame in frames:
        parts = {}
        for c in columns:
            if numeric[c]:
                x = pd.to_numeric(frame[c], errors="coerce").to_numpy(float)
                if significant_digits:
                    x = _round_significant(x, significant_digits)
                parts[c] = x
            else:
                text = frame[c].astype(object).where(frame[c].notna(), MISSING).map(str).str.strip()
                parts[c] = text.str.lower() if fold_case else text
        table = pd.DataFrame(parts, index=range(len(frame)))
        keys.append(pd.util.hash_pandas_object(table, index=False).to_numpy(np.uint64) if columns
                    else np.zeros(len(frame), np.uint64))
    return keys


def _round_significant(x, digits: int):
    """``x`` rounded to ``digits`` significant digits (NaN and 0 kept)."""
    import numpy as np
    out = x.copy()
    finite = np.isfinite(x) & (x != 0)
    exponent = np.floor(np.log10(np.abs(x[finite])))
    scale = 10.0 ** (digits - 1 - exponent)
    out[finite] = np.round(x[finite] * scale) / scale
    return out
