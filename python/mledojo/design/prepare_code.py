"""The task's prepare.py, written for one formulation.

The emitted script is self-contained (pandas, numpy, scikit-learn) and deterministic: it reads
the raw CSV, keeps the target and the features (identifiers, constants and leaking columns are
left out), drops rows without a target, normalises text (line breaks of any kind, bare carriage
returns included, become spaces; edges are stripped), maps rare classes, removes exact duplicate
rows (and repeated texts) *before* splitting, gives rows random ids, splits with the planned
split, asserts that every test class is in train, and writes public/train.csv, public/test.csv
(no target), public/sample_submission.csv (seeded random values of the answers' kind) and
private/test_answer.csv (id + answer).
"""

from mledojo.design.describe import wrap
from mledojo.design.splits import SEED, split_code, split_imports


def _docstring(f, raw_name: str, clean_text: list) -> list:
    steps = [f"reads {raw_name}", f"keeps {f.target} and {len(f.features)} feature column(s)"]
    if f.dropped:
        steps.append(f"leaves out {', '.join(sorted(f.dropped))} (see task.json and the description)")
    steps.append(f"drops rows without a {f.target}")
    if f.merges:
        steps.append("merges rare classes (" + ", ".join(f"{a} -> {b}" for a, b in f.merges.items()) + ")")
    if f.dropped_labels:
        steps.append(f"drops the rows of rare classes {', '.join(f.dropped_labels)}")
    if clean_text:
        steps.append(f"replaces line breaks (\\r\\n, bare \\r, \\n) in {', '.join(clean_text)} with spaces")
    steps.append("removes exact duplicate rows" + (f" and repeated {f.text_column} texts" if f.text_column else "")
                 + " so no twin lands in both train and test")
    steps.append("gives rows random ids (1..n)")
    steps.append(f.split.sentence(f.target, f.time_index))
    answer = f.answer_column
    if f.metric.kind == "probability":
        what = f'{answer}: 1 if {f.target} is "{f.positive}" else 0, in train.csv too'
        sample = "seeded random probabilities"
    elif f.metric.kind == "label":
        what, sample = answer, f"seeded random {f.target} classes"
    else:
        what, sample = answer, f"seeded random draws of training {f.target} values"
    text = (f"Prepare {f.task_id}: {f.objective_sentence}\n\n"
            "Deterministic (seed " + str(SEED) + "): " + "; ".join(steps) + ". Writes "
            "public/{train,test,sample_submission}.csv and private/test_answer.csv (id, " + what + "). "
            "The sample submission holds " + sample + ", never answers.")
    head, rest = text.split("\n\n")
    lines = wrap('"""' + head) + [""] + wrap(rest)
    return lines + ['"""']


def _sample_lines(f) -> list:
    if f.metric.kind == "probability":
        return ["guesses = rng.uniform(0, 1, len(test)).round(4)"]
    if f.metric.kind == "label":
        return ["guesses = rng.choice(np.array(CLASSES, dtype=object), size=len(test))"]
    lines = ["guesses = rng.choice(train[TARGET].to_numpy(dtype=float), size=len(test), replace=True)"]  # noqa
    if f.metric.kind == "positive":
        lines.append("guesses = np.maximum(guesses, 0.5)  # expected counts must be positive")
    return lines


def prepare_source(f, raw_name: str, clean_text: list) -> str:
    """The full prepare.py for formulation ``f``."""
    keep = [c for c in f.features_in_raw_order]
    imports = ["from pathlib import Path", "", "import numpy as np", "import pandas as pd"]
    imports += split_imports(f.split)
    consts = [f"SEED = {SEED}", f"TEST_FRACTION = {f.split.test_fraction}", f"RAW_FILE = {raw_name!r}",
              f"TARGET = {f.target!r}", f"ANSWER = {f.answer_column!r}", f"FEATURES = {f.features!r}"]
    if f.split.group and f.split.group != "(features)":
        consts.append(f"GROUP = {f.split.group!r}")
    if f.time_index:
        consts.append(f"TIME = {f.time_index!r}")
    if f.classify:
        consts.append(f"CLASSES = {list(f.labels)!r}")
    if f.merges:
        consts.append(f"MERGED = {f.merges!r}")
    if f.positive is not None and f.metric.kind == "probability":
        consts.append(f"POSITIVE = {f.positive!r}")
    if clean_text:
        consts.append(f"TEXT_COLUMNS = {clean_text!r}")
    body = [f"df = pd.read_csv(Path(raw) / RAW_FILE, low_memory=False)[{keep!r}]",
            "df = df.dropna(subset=[TARGET])"]
    if clean_text:
        body += ["for col in TEXT_COLUMNS:",
                 "    df[col] = df[col].str.replace(r\"\\s*[\\r\\n]+\\s*\", \" \", regex=True).str.strip()"]
    if f.classify:
        if f.target_is_numeric:
            body.append("df[TARGET] = df[TARGET].astype(\"int64\").astype(str)")
        else:
            body.append("df[TARGET] = df[TARGET].astype(str).str.strip()")
        if f.merges:
            body.append("df[TARGET] = df[TARGET].replace(MERGED)")
        body.append("df = df[df[TARGET].isin(CLASSES)]")
    probability = f.metric.kind == "probability"
    if probability:  # train and answers both hold the 0/1 indicator, under the answers' name
        body.append("df[TARGET] = (df[TARGET] == POSITIVE).astype(int)")
        if f.answer_column != f.target:
            body.append("df = df.rename(columns={TARGET: ANSWER})")
    label = "ANSWER" if probability else "TARGET"
    body.append("df = df.drop_duplicates()" + (f".drop_duplicates(subset={f.text_column!r})" if f.text_column else ""))
    if f.time_index:
        body.append("df = df.iloc[np.argsort(pd.to_datetime(df[TIME], format=\"ISO8601\").to_numpy(), kind=\"stable\")]")
    body += ["df = df.reset_index(drop=True)",
             "rng = np.random.default_rng(SEED)",
             "df.insert(0, \"id\", rng.permutation(len(df)) + 1)"]
    body += [line.replace("TARGET", label) for line in split_code(f.split)]
    if not f.time_index:
        body += ["train = train.sort_values(\"id\").reset_index(drop=True)",
                 "test = test.sort_values(\"id\").reset_index(drop=True)"]
    if f.classify:
        allowed = "{0, 1}" if probability else "set(CLASSES)"
        body += [f"test = test[test[{label}].isin(set(train[{label}]))]",
                 f"assert set(test[{label}]) <= set(train[{label}]) <= {allowed}, \"a test class is missing from train\""]
    body += ["assert len(train) and len(test) and not set(train[\"id\"]) & set(test[\"id\"])", "",
             "public, private = Path(public), Path(private)",
             "public.mkdir(parents=True, exist_ok=True)",
             "private.mkdir(parents=True, exist_ok=True)",
             "train.to_csv(public / \"train.csv\", index=False)",
             f"test.drop(columns=[{label}]).to_csv(public / \"test.csv\", index=False)",
             f"test[[\"id\", {label}]].rename(columns={{{label}: ANSWER}}).to_csv(private / \"test_answer.csv\", index=False)"
             if label == "TARGET" and f.answer_column != f.target else
             f"test[[\"id\", {label}]].to_csv(private / \"test_answer.csv\", index=False)"]
    body += _sample_lines(f)
    body.append("pd.DataFrame({\"id\": test[\"id\"], ANSWER: guesses}).to_csv(public / \"sample_submission.csv\", index=False)")
    lines = _docstring(f, raw_name, clean_text) + [""] + imports + [""] + consts + ["", "",
                                                                        "def prepare(raw: Path, public: Path, private: Path) -> None:"]
    lines += [("    " + line) if line else "" for line in body]
    return "\n".join(lines) + "\n"
