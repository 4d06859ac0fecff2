"""Planted-defect suite (issue 10, point 11): each defect planted in a copy of a clean task is
caught by the named ``mledojo.check`` check or ``mledojo.review`` probe; a clean copy passes
them all; and every bundled task and the dojo fixture pass every new check and every probe
(no false positives)."""

import json

import pytest

from conftest import BUNDLED, DOJO_FIXTURE, TASKS_DIR, copy_task
from mledojo.check import check_task
from mledojo.check_assertions import ASSERTION_CHECKS
from mledojo.review import PROBES, review_task

TASK = "penguins-species"
SPLIT = ('train, test = train_test_split(df, test_size=TEST_FRACTION, random_state=SEED,\n'
         '                                   stratify=df[TARGET])\n')


def edit(path, old, new):
    """Replace ``old`` (which must occur) by ``new`` in the file at ``path``."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new))


def after_split(task, code):
    """Insert ``code`` (four-space indented lines) into prepare() right after the split."""
    edit(task / "prepare.py", SPLIT, SPLIT + code)


def leaked_label_in_test(task):
    edit(task / "prepare.py", 'test.drop(columns=[TARGET]).to_csv(public / "test.csv"',
         'test.to_csv(public / "test.csv"')


def private_file_in_description(task):
    with open(task / "description.txt", "a") as fh:
        fh.write("\nThe true species of the test penguins are in test_answer.csv.\n")


def flipped_metric_direction(task):
    edit(task / "metric.py", "higher_is_better: bool = True", "higher_is_better: bool = False")


def duplicates_across_split(task):
    after_split(task, '    copies = train.head(12).assign(id=lambda f: f["id"] + 10_000)\n'
                      '    test = pd.concat([test, copies])\n')


def unseen_test_classes(task):
    after_split(task, '    train = train[train[TARGET] != "Chinstrap"]\n')
    edit(task / "prepare.py", 'assert set(test[TARGET]) <= set(classes), "a test class is missing from train"', "pass")


def nondeterministic_prepare(task):
    edit(task / "prepare.py", "rng = np.random.default_rng(SEED)", "rng = np.random.default_rng()")


def feature_equal_to_target(task):
    edit(task / "prepare.py", "df = df.drop_duplicates().reset_index(drop=True)\n",
         "df = df.drop_duplicates().reset_index(drop=True)\n"
         '    df["species_code"] = df[TARGET].map({"Adelie": 0, "Chinstrap": 1, "Gentoo": 2})\n')


def sample_holds_answers(task):
    edit(task / "prepare.py", "TARGET: rng.choice(classes, size=len(test))", "TARGET: test[TARGET]")


def metric_returns_nan(task):
    edit(task / "metric.py", 'return float(f1_score(truth.astype(str), pred.astype(str), average="macro"))',
         'return float("nan")')


def train_sorted_by_label(task):
    edit(task / "prepare.py", 'train = train.sort_values("id")', 'train = train.sort_values([TARGET, "id"])')


def validate_accepts_anything(task):
    with open(task / "metric.py", "a") as fh:
        fh.write("\n    def validate_submission(self, submission, ground_truth):\n"
                 '        return "Submission is valid."\n')


SAMPLE_WRITE = 'sample.to_csv(public / "sample_submission.csv", index=False)\n'


def images_named_by_class(task, folder="images"):
    edit(task / "prepare.py", SAMPLE_WRITE, SAMPLE_WRITE +
         f'    (public / "{folder}").mkdir()\n'
         '    for key, label in zip(test["id"], test[TARGET]):\n'
         f'        (public / "{folder}" / f"photo-{{key}}-{{label}}.png").write_bytes(b"")\n')


def sample_short_of_a_row(task):
    edit(task / "prepare.py", SAMPLE_WRITE, SAMPLE_WRITE.replace("sample.to_csv", "sample.iloc[:-1].to_csv"))


# defect -> (how to plant it, "check" or "review", the name that must catch it)
DEFECTS = {
    "leaked label column in test.csv": (leaked_label_in_test, "check", "no_answer_leak"),
    "description names a private file": (private_file_in_description, "check", "description_files"),
    "metric direction flipped vs task.json": (flipped_metric_direction, "check", "higher_is_better"),
    "duplicates across the split": (duplicates_across_split, "check", "split_disjoint"),
    "test classes unseen in train": (unseen_test_classes, "check", "test_classes_in_train"),
    "non-deterministic prepare": (nondeterministic_prepare, "check", "prepare_deterministic"),
    "a feature identical to the target": (feature_equal_to_target, "review", "single_feature"),
    "sample submission holds the answers": (sample_holds_answers, "check", "no_answer_leak"),
    "metric returns NaN": (metric_returns_nan, "check", "metric_direction"),
    "train.csv sorted by the label": (train_sorted_by_label, "review", "row_order"),
    "validate_submission accepts anything": (validate_accepts_anything, "check", "validate_rejects_malformed"),
    # beyond issue 10's list: the two remaining new checks
    "test images named by class": (images_named_by_class, "check", "file_names_no_label"),
    "sample submission short of a row": (sample_short_of_a_row, "check", "sample_matches_answers"),
}


def results_of(task_dir, kind):
    """{name: result} of the checks (kind "check") or the probes (kind "review") of a task."""
    if kind == "check":
        return {c["name"]: c for c in check_task(task_dir)["checks"]}
    return {p["name"]: p for p in review_task(task_dir)["probes"]}


def test_a_clean_copy_passes_every_check_and_probe(tmp_path):
    task = copy_task(TASKS_DIR / TASK, tmp_path / TASK)
    for kind in ("check", "review"):
        failed = {n: r["detail"] for n, r in results_of(task, kind).items() if not r["ok"]}
        assert not failed, (kind, failed)


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_each_planted_defect_is_caught_by_its_check(tmp_path, defect):
    plant, kind, name = DEFECTS[defect]
    task = copy_task(TASKS_DIR / TASK, tmp_path / TASK)
    plant(task)
    found = results_of(task, kind)
    assert name in found, sorted(found)
    assert found[name]["ok"] is False, found[name]


def test_the_feature_copy_is_also_seen_as_recomputable_or_single(tmp_path):
    """The review names the planted column as the evidence of its finding."""
    task = copy_task(TASKS_DIR / TASK, tmp_path / TASK)
    feature_equal_to_target(task)
    found = results_of(task, "review")["single_feature"]
    assert found["evidence"]["feature"] == "species_code" and found["evidence"]["file"] == "data/public/train.csv"


def test_class_folders_inside_train_are_allowed(tmp_path):
    """ImageNet-style train/<class>/ folders are fine; a label word inside a longer word is no label."""
    task = copy_task(TASKS_DIR / TASK, tmp_path / TASK)
    edit(task / "prepare.py", SAMPLE_WRITE, SAMPLE_WRITE +
         '    for key, label in zip(train["id"], train[TARGET]):\n'
         '        (public / "train_images" / label).mkdir(parents=True, exist_ok=True)\n'
         '        (public / "train_images" / label / f"{key}.png").write_bytes(b"")\n'
         '    (public / "Gentoos_and_more.txt").write_text("")\n')
    found = results_of(task, "check")["file_names_no_label"]
    assert found["ok"], found


@pytest.mark.parametrize("task", BUNDLED + [DOJO_FIXTURE])
def test_bundled_tasks_pass_the_new_checks_and_every_probe(prepared, task):
    """No false positives: the assertions and the review probes on every prepared bundled task."""
    checks = results_of(prepared[task], "check")
    assert set(ASSERTION_CHECKS) <= set(checks)
    failed = {n: checks[n]["detail"] for n in ASSERTION_CHECKS if not checks[n]["ok"]}
    assert not failed, failed
    report = review_task(prepared[task])
    assert [p["name"] for p in report["probes"]] == list(PROBES)
    assert report["ok"], json.dumps(report["probes"], indent=1)
