"""The dataset a design starts from: its CSV file, its README's provenance, the table itself.

``--dataset`` names a CSV file or a folder holding exactly one (preferring ``<folder>.csv``).
A ``README.txt`` beside it (the shared datasets' format: ``key : value`` lines such as
``source package``, ``loader call``, ``license``, ``target``, ``task``) supplies the task's
provenance fields and the designer's first guess at the target. Anything wrong with the input
raises :class:`DesignInputError` with a message for a person, never a traceback.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pandas as pd

README_NAMES = ("README.txt", "README.md", "README")
MAX_BYTES = 512 * 1024 * 1024


class DesignInputError(Exception):
    """The dataset cannot be designed from (missing, unreadable, not a table)."""


@dataclass
class Provenance:
    """What the README says about the data (every field optional)."""

    name: str
    package: str = ""
    loader: str = ""
    license: str = ""
    target: str = ""
    task: str = ""
    notes: str = ""
    readme: Optional[Path] = None
    fields: dict = field(default_factory=dict)

    @property
    def ordinal_order(self) -> list:
        """Labels in order when the README's task line says e.g. ``ordinal VF<F<M<L``."""
        match = re.search(r"ordinal[^A-Za-z0-9]*([A-Za-z0-9_ .-]+(?:<[A-Za-z0-9_ .-]+)+)", self.task)
        if not match:
            return []
        return [part.strip() for part in match.group(1).split("<") if part.strip()]


@dataclass
class Dataset:
    """A loaded table with where it came from."""

    csv: Path
    frame: pd.DataFrame
    provenance: Provenance


def find_csv(path: Path) -> Path:
    """The CSV file named by ``path`` (a file, or a folder holding one)."""
    path = Path(path)
    if not path.exists():
        raise DesignInputError(f"no such file or folder: {path}")
    if path.is_file():
        if path.suffix.lower() != ".csv":
            raise DesignInputError(f"not a CSV file (expected a .csv name): {path}")
        return path
    csvs = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    if not csvs:
        raise DesignInputError(f"no .csv file in folder {path}")
    preferred = [p for p in csvs if p.stem == path.name]
    if preferred:
        return preferred[0]
    if len(csvs) > 1:
        names = ", ".join(p.name for p in csvs)
        raise DesignInputError(f"several CSV files in {path} ({names}); name one with --dataset")
    return csvs[0]


def read_provenance(csv: Path) -> Provenance:
    """Provenance from a README beside ``csv`` (empty fields when there is none)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", csv.stem).strip("_") or "dataset"
    prov = Provenance(name=name)
    for readme_name in README_NAMES:
        readme = csv.parent / readme_name
        if readme.is_file():
            prov.readme = readme
            break
    if prov.readme is None:
        return prov
    text = prov.readme.read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Za-z][A-Za-z0-9 _-]{1,30}?)\s*:\s+(.*\S)\s*$", line)
        if match:
            prov.fields.setdefault(match.group(1).strip().lower(), match.group(2).strip())
    get = prov.fields.get
    prov.package = get("source package", get("source", get("package", "")))
    prov.loader = get("loader call", get("loader", ""))
    prov.license = get("license", get("licence", ""))
    prov.target = get("target", "")
    prov.task = get("task", "")
    prov.notes = get("notes", "")
    return prov


def load_dataset(path) -> Dataset:
    """Find, read and sanity-check the table; raises DesignInputError."""
    csv = find_csv(Path(path))
    size = csv.stat().st_size
    if size == 0:
        raise DesignInputError(f"empty file: {csv}")
    if size > MAX_BYTES:
        raise DesignInputError(f"{csv} is {size >> 20} MiB; the built-in designer takes at most "
                               f"{MAX_BYTES >> 20} MiB")
    try:
        with open(csv, "rb") as fh:
            head = fh.read(4096)
        if b"\0" in head:
            raise DesignInputError(f"{csv} is binary, not a CSV file")
        frame = pd.read_csv(csv, low_memory=False)
    except DesignInputError:
        raise
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        raise DesignInputError(f"cannot read {csv} as CSV: {type(exc).__name__}: {exc}") from None
    if frame.shape[1] < 2:
        raise DesignInputError(f"{csv} has {frame.shape[1]} column(s); a task needs a target and a feature")
    if len(frame) < 50:
        raise DesignInputError(f"{csv} has {len(frame)} data rows; the designer needs at least 50")
    if any(str(c).startswith("Unnamed: ") for c in frame.columns) and frame.columns.duplicated().any():
        raise DesignInputError(f"{csv} has unnamed or duplicated column names")
    return Dataset(csv=csv, frame=frame, provenance=read_provenance(csv))
