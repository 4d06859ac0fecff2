"""The generator's assertions on a task's data as served (used by ``mledojo.check``), each one
named result added to a ``Report``:

- split_disjoint: train and test ids are disjoint, and no test row is an exact copy of a train
  row: the same values in every column train.csv and test.csv share (the id excepted) and, when
  train has the target, the same label. A feature row shared with a different label is a natural
  collision (two identical diamonds sold at different prices), reported but not failed; the
  review's near_duplicates probe bounds how many there may be. When train.csv has none of the
  answers' columns (it names the target differently), labels cannot be compared: shared feature rows
  are reported, not failed.
- test_classes_in_train: for class-label answers (a shared-library metric's ``kind`` says so; else
  classification-like values), every answer class occurs in train's target column (when train has
  the column). A metric that grades counts or numbers is not asked.
- sample_matches_answers: the sample submission has the answers' columns, in order, and as many rows.
- validate_rejects_malformed: validate_submission accepts the sample and raises on each malformed
  copy of it (MALFORMED_KINDS).
- file_names_no_label: no file or folder name under public/ holds a label of classification-like
  answers (labels of at least 3 characters with a letter; folders inside a train* folder may be
  named by class, as in ImageNet-style layouts).
"""

import re
from pathlib import Path

from mledojo.check_tables import (informative_columns, is_classification, label_text, public_table,
                                  read_csv, row_keys)

ASSERTION_CHECKS = ("split_disjoint", "test_classes_in_train", "sample_matches_answers",
                    "validate_rejects_malformed", "file_names_no_label")
MALFORMED_KINDS = ("missing value column", "rows dropped", "duplicated id", "NaN predictions",
                   "unknown ids")
MIN_LABEL_LENGTH = 3
NAME_TOKEN = re.compile(r"[a-z]+|[0-9]+")


def check_assertions(rep, data: Path, answer, sample, metric):
    """Every check of ASSERTION_CHECKS on ``data`` (public/ and private/), given the answers and
    the sample submission already read."""
    public = Path(data) / "public"
    train_file, test_file = public_table(public, "train"), public_table(public, "test")
    train = test = None
    problems = []
    for path in (train_file, test_file):
        if path is not None:
            try:
                frame = read_csv(path)
            except Exception as exc:
                problems.append(f"cannot read {path.name}: {exc}")
                continue
            train, test = (frame, test) if path == train_file else (train, frame)
    if problems:
        rep.add("split_disjoint", False, "; ".join(problems))
    else:
        _guarded(rep, "split_disjoint", check_split_disjoint, rep, train, test, answer, train_file, test_file)
    _guarded(rep, "test_classes_in_train", check_test_classes, rep, train, answer, metric)
    _guarded(rep, "sample_matches_answers", check_sample_matches, rep, sample, answer)
    _guarded(rep, "validate_rejects_malformed", check_validation, rep, metric, sample, answer)
    _guarded(rep, "file_names_no_label", check_file_names, rep, public, answer)


def _guarded(rep, name: str, check, *args):
    """Run one check; odd data that makes it raise fails it with the error, never the whole run."""
    try:
        check(*args)
    except Exception as exc:
        rep.add(name, False, f"the check raised {type(exc).__name__}: {exc}")


def check_split_disjoint(rep, train, test, answer, train_file, test_file):
    import numpy as np
    if train is None or test is None:
        rep.add("split_disjoint", True, "not run: no train.csv and test.csv in public/")
        return
    id_column = answer.columns[0]
    problems = []
    if id_column in train.columns:
        train_ids = set(train[id_column].astype(str))
        test_ids = test[id_column].astype(str) if id_column in test.columns else answer[id_column].astype(str)
        shared_ids = sorted(set(test_ids) & train_ids)
        if shared_ids:
            problems.append(f"{len(shared_ids)} id(s) in both {train_file.name} and {test_file.name} "
                            f"(e.g. {shared_ids[0]})")
    targets = [c for c in answer.columns[1:] if c in train.columns]
    shared = [c for c in train.columns if c in test.columns and c != id_column and c not in targets]
    features = informative_columns([train, test], shared)
    if not features:
        rep.add("split_disjoint", not problems, "; ".join(problems) or
                "ids disjoint; no shared feature column that varies")
        return
    train_keys, test_keys = row_keys([train, test], features)
    collisions = np.isin(test_keys, train_keys)
    labelled = bool(targets) and id_column in test.columns
    # Without a label to compare (train.csv names the target differently from the answers), a shared
    # feature row proves no copy: it is reported, and the review's near_duplicates probe bounds it.
    copies = collisions if labelled else np.zeros(len(test_keys), dtype=bool)
    if labelled and collisions.any():
        truth = test[[id_column]].astype(str).merge(
            answer.assign(**{id_column: answer[id_column].astype(str)}).drop_duplicates(id_column),
            on=id_column, how="left")
        train_full, test_full = row_keys([train[features + targets],
                                          test[features].assign(**{t: truth[t].to_numpy() for t in targets})],
                                         features + targets)
        copies = np.isin(test_full, train_full)
    if copies.any():
        example = test[id_column].iloc[int(np.argmax(copies))] if id_column in test.columns else int(np.argmax(copies))
        what = "features and label"
        problems.append(f"{int(copies.sum())} of {len(test)} test row(s) repeat a train row's {what} "
                        f"over {len(features)} shared column(s) (e.g. id {example})")
    detail = "; ".join(problems)
    if not problems:
        detail = f"ids disjoint; no test row repeats a train row over {len(features)} shared column(s)"
        if collisions.any() and labelled:
            detail += (f" with its label ({int(collisions.sum())} share the feature values with a "
                       f"different label)")
        elif collisions.any():
            detail += (f" that can be compared ({int(collisions.sum())} share a train row's feature values; "
                       f"train.csv has none of the answers' columns to compare labels)")
    rep.add("split_disjoint", not problems, detail)


def check_test_classes(rep, train, answer, metric=None):
    if train is None:
        rep.add("test_classes_in_train", True, "not run: no train.csv in public/")
        return
    kind = getattr(metric, "kind", None)  # a shared-library metric says what its values are
    if isinstance(kind, str) and kind != "label":
        rep.add("test_classes_in_train", True, f"not run: the metric grades {kind} values, not class labels")
        return
    columns = [c for c in answer.columns[1:] if kind == "label" or is_classification(answer[c])]
    if not columns:
        rep.add("test_classes_in_train", True, "not run: the answers are not class labels")
        return
    present = [c for c in columns if c in train.columns]
    if not present:
        rep.add("test_classes_in_train", True, f"not run: train.csv has no column {', '.join(map(str, columns))}")
        return
    problems, counts = [], []
    for column in present:
        seen = set(label_text(train[column]))
        classes = set(label_text(answer[column]))
        unseen = sorted(classes - seen)
        counts.append(f"{column}: {len(classes)} class(es)")
        if unseen:
            problems.append(f"{len(unseen)} {column} class(es) of the answers never occur in train.csv "
                            f"(e.g. {', '.join(unseen[:3])})")
    rep.add("test_classes_in_train", not problems, "; ".join(problems) or
            f"every answer class occurs in train.csv ({'; '.join(counts)})")


def check_sample_matches(rep, sample, answer):
    problems = []
    if list(map(str, sample.columns)) != list(map(str, answer.columns)):
        problems.append(f"sample columns {list(sample.columns)} differ from the answers' {list(answer.columns)}")
    if len(sample) != len(answer):
        problems.append(f"sample has {len(sample)} rows, the answers {len(answer)}")
    rep.add("sample_matches_answers", not problems, "; ".join(problems) or
            f"columns {', '.join(map(str, answer.columns))} and {len(answer)} rows, as the answers")


def malformed_submissions(sample, answer) -> dict:
    """{kind: a malformed copy of the sample} for each kind of MALFORMED_KINDS that applies."""
    import numpy as np
    id_column = sample.columns[0]
    out = {}
    values = list(sample.columns[1:])
    if values:
        out["missing value column"] = sample.drop(columns=[values[0]])
    out["rows dropped"] = sample.iloc[:-1].copy()
    if len(sample) >= 2:
        duplicated = sample.copy()
        duplicated[id_column] = duplicated[id_column].astype(object)
        duplicated.loc[duplicated.index[-1], id_column] = duplicated[id_column].iloc[0]
        out["duplicated id"] = duplicated
    if values:
        missing = sample.copy()
        missing[values[0]] = missing[values[0]].astype(object)
        missing.loc[missing.index[0], values[0]] = np.nan
        out["NaN predictions"] = missing
    unknown = sample.copy()
    known = set(answer.iloc[:, 0].astype(str)) | set(sample[id_column].astype(str))
    numbers = [int(v) for v in known if v.lstrip("-").isdigit()]
    new_id = max(numbers) + 1 if numbers and len(numbers) == len(known) else "unknown-id"
    while str(new_id) in known:
        new_id = f"{new_id}-x"
    unknown[id_column] = unknown[id_column].astype(object)
    unknown.loc[unknown.index[-1], id_column] = new_id
    out["unknown ids"] = unknown
    return out


def check_validation(rep, metric, sample, answer):
    if metric is None:
        rep.skip("validate_rejects_malformed", "no usable metric class")
        return
    try:
        metric.validate_submission(sample.copy(), answer.copy())
    except Exception as exc:
        rep.add("validate_rejects_malformed", False,
                f"validate_submission rejects the sample itself ({type(exc).__name__}: {exc})")
        return
    accepted = []
    cases = malformed_submissions(sample, answer)
    for kind, frame in cases.items():
        try:
            metric.validate_submission(frame, answer.copy())
            accepted.append(kind)
        except Exception:
            pass
    rep.add("validate_rejects_malformed", not accepted,
            f"validate_submission accepts malformed submissions: {', '.join(accepted)}" if accepted
            else f"accepts the sample, rejects {len(cases)} malformed copies ({', '.join(cases)})")


def _tokens(text: str) -> tuple:
    return tuple(NAME_TOKEN.findall(str(text).lower()))


def _label_in(name: str, labels: dict):
    """The label (of ``labels``: token tuple -> label) whose words occur in ``name``, or None."""
    words = _tokens(name)
    longest = max(map(len, labels))
    for start in range(len(words)):
        for size in range(1, min(longest, len(words) - start) + 1):
            found = labels.get(words[start:start + size])
            if found is not None:
                return found
    return None


def check_file_names(rep, public: Path, answer):
    labels = set()
    for column in answer.columns[1:]:
        if is_classification(answer[column]):
            labels |= {v for v in set(label_text(answer[column]))
                       if len(v) >= MIN_LABEL_LENGTH and re.search(r"[A-Za-z]", v)}
    by_tokens = {_tokens(label): label for label in sorted(labels) if _tokens(label)}
    if not by_tokens:
        rep.add("file_names_no_label", True, "not run: no class labels of at least 3 characters")
        return
    hits = []
    for path in sorted(Path(public).rglob("*")):
        if not path.is_file():
            continue
        parts = path.relative_to(public).parts
        names = [Path(parts[-1]).stem]
        if not (len(parts) > 1 and parts[0].lower().startswith("train")):
            names += parts[:-1]  # folders named by class are allowed only inside train*
        found = next((label for label in map(lambda n: _label_in(n, by_tokens), names) if label), None)
        if found:
            hits.append(f"{path.relative_to(public).as_posix()} ({found})")
    rep.add("file_names_no_label", not hits,
            f"{len(hits)} public file name(s) hold a label, e.g. {', '.join(hits[:3])}" if hits
            else f"no public file name holds any of {len(by_tokens)} label(s)")
