"""Tests of ``mledojo.prepare`` (deterministic, idempotent, loud on failure, raw-safe) and
``mledojo.check`` (passes on every bundled task and the dojo fixture; broken copies fail the
right check)."""

import json
import re

import pytest

from conftest import BUNDLED, DOJO_DIR, DOJO_FIXTURE, TASKS_DIR, copy_task, run_module
from mledojo.check import check_task
from mledojo.prepare import build, output_hashes


def checks_of(task_dir):
    return {c["name"]: c for c in check_task(task_dir)["checks"]}


@pytest.mark.parametrize("task", BUNDLED + [DOJO_FIXTURE])
def test_prepare_is_deterministic(tmp_path, task):
    src = DOJO_DIR / task if task == DOJO_FIXTURE else TASKS_DIR / task
    build(src, tmp_path / "one")
    build(src, tmp_path / "two")
    one, two = output_hashes(tmp_path / "one"), output_hashes(tmp_path / "two")
    assert one == two
    assert {"public/sample_submission.csv", "private/test_answer.csv", "public/train.csv",
            "public/test.csv", "public/description.txt"} <= set(one)


def test_prepare_cli_is_idempotent(tmp_path):
    task = copy_task(TASKS_DIR / "penguins-species", tmp_path / "penguins-species")
    first = run_module("mledojo.prepare", str(task))
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(r"prepared penguins-species in \d+\.\d s\n", first.stdout)
    stamp = json.loads((task / "data/.prepared.json").read_text())
    second = run_module("mledojo.prepare", str(task))
    assert second.stdout == "up to date penguins-species\n"
    forced = run_module("mledojo.prepare", "--force", str(tmp_path))  # a folder of tasks
    assert forced.stdout.startswith("prepared penguins-species")
    assert json.loads((task / "data/.prepared.json").read_text())["outputs"] == stamp["outputs"]
    with open(task / "raw/penguins.csv", "a") as fh:  # changed input: prepared again
        fh.write("Gentoo,Biscoe,50.0,15.0,220.0,5000.0,male,2009\n")
    assert run_module("mledojo.prepare", str(task)).stdout.startswith("prepared")
    assert not list((task / "data").glob(".staging-*"))
    assert sorted(p.name for p in (task / "data/public").iterdir()) == [
        "description.txt", "sample_submission.csv", "test.csv", "train.csv"]
    assert [p.name for p in (task / "data/private").iterdir()] == ["test_answer.csv"]


def test_dojo_prepare_runs_on_a_copy_of_raw(tmp_path):
    task = copy_task(DOJO_DIR / DOJO_FIXTURE, tmp_path / "dojo-task")
    script = task / "utils/prepare.py"
    script.write_text(script.read_text() + "\n\n_orig = prepare\n\n"
                      "def prepare(raw, public, private):\n"
                      "    import shutil\n    _orig(raw, public, private)\n    shutil.rmtree(raw)\n")
    r = run_module("mledojo.prepare", str(task))
    assert r.returncode == 0, r.stdout + r.stderr
    assert (task / "raw/seattle_weather.csv").is_file()
    assert (task / "data/private/public_leaderboard.csv").is_file()
    assert (task / "data/public/description.txt").read_text() == (task / "info/description.txt").read_text()


@pytest.mark.parametrize("body, message", [
    ("def prepare(raw, public, private):\n    print('forgot the answers')\n", "test_answer.csv"),
    ("def prepare(raw, public, private):\n    raise ValueError('bad column')\n", "ValueError: bad column"),
    ("import sys\ndef prepare(raw, public, private):\n    sys.exit(3)\n", "SystemExit"),
    ("x = 1\n", "defines no prepare"),
])
def test_prepare_failures_are_loud(tmp_path, body, message):
    task = copy_task(TASKS_DIR / "penguins-species", tmp_path / "penguins-species")
    (task / "prepare.py").write_text(body)
    r = run_module("mledojo.prepare", str(task))
    assert r.returncode == 1
    assert r.stdout.startswith("FAILED penguins-species") and message in r.stdout + r.stderr
    assert not (task / "data/public").exists()
    assert not (task / "data").exists(), "a failed first prepare leaves no empty data/ behind"


def test_check_cli_passes_on_bundled_tasks_and_fixture():
    r = run_module("mledojo.check", "--json", "tasks", "Tests/Fixtures/dojo")
    report = json.loads(r.stdout)
    failed = [(t["id"], c) for t in report["tasks"] for c in t["checks"] if not c["ok"]]
    assert r.returncode == 0 and not failed, failed
    ids = sorted(t["id"] for t in report["tasks"])
    assert ids == sorted(BUNDLED + [DOJO_FIXTURE])
    assert len(BUNDLED) >= 4
    names = {c["name"] for c in report["tasks"][0]["checks"]}
    assert {"files", "task_json", "raw_sha256", "metric_class", "higher_is_better",
            "prepare_deterministic", "sample_valid", "no_answer_leak", "metric_direction",
            "description_files", "split_disjoint", "test_classes_in_train", "sample_matches_answers",
            "validate_rejects_malformed", "file_names_no_label"} <= names


def test_check_table_output_and_exit_code(tmp_path):
    task = copy_task(TASKS_DIR / "penguins-species", tmp_path / "penguins-species")
    assert run_module("mledojo.check", str(task)).returncode == 0
    (task / "metric.py").write_text((task / "metric.py").read_text().replace(
        "higher_is_better: bool = True", "higher_is_better: bool = False"))
    r = run_module("mledojo.check", str(task))
    assert r.returncode == 1 and "FAIL  penguins-species" in r.stdout


def test_check_flags_sample_equal_to_answers(tmp_path):
    task = copy_task(TASKS_DIR / "penguins-species", tmp_path / "penguins-species")
    src = (task / "prepare.py").read_text()
    leaky = src.replace('sample = pd.DataFrame({"id": test["id"], TARGET: rng.choice(classes, size=len(test))})',
                        'sample = test[["id", TARGET]]')
    assert leaky != src
    (task / "prepare.py").write_text(leaky)
    checks = checks_of(task)
    assert not checks["no_answer_leak"]["ok"] and "sample_submission.csv" in checks["no_answer_leak"]["detail"]
    assert not checks["metric_direction"]["ok"]


def test_check_flags_target_in_public_test(tmp_path):
    task = copy_task(TASKS_DIR / "ames-house-prices", tmp_path / "ames-house-prices")
    src = (task / "prepare.py").read_text()
    (task / "prepare.py").write_text(src.replace('test.drop(columns=[TARGET]).to_csv', 'test.to_csv'))
    checks = checks_of(task)
    assert not checks["no_answer_leak"]["ok"] and "test.csv" in checks["no_answer_leak"]["detail"]


def test_check_flags_direction_mismatch(tmp_path):
    task = copy_task(TASKS_DIR / "credit-default", tmp_path / "credit-default")
    meta = json.loads((task / "task.json").read_text())
    meta["metric"]["higher_is_better"] = False
    (task / "task.json").write_text(json.dumps(meta))
    checks = checks_of(task)
    assert not checks["higher_is_better"]["ok"]
    assert not checks["reference_scores"]["ok"]
    assert checks["metric_direction"]["ok"]  # the metric itself is consistent


def test_check_flags_changed_raw_and_nondeterminism(tmp_path):
    task = copy_task(TASKS_DIR / "penguins-species", tmp_path / "penguins-species")
    with open(task / "raw/penguins.csv", "a") as fh:
        fh.write("Adelie,Dream,39.0,18.0,190.0,3700.0,female,2009\n")
    src = (task / "prepare.py").read_text()
    (task / "prepare.py").write_text(src.replace("rng = np.random.default_rng(SEED)",
                                                 "rng = np.random.default_rng()"))
    checks = checks_of(task)
    assert not checks["raw_sha256"]["ok"]
    assert not checks["prepare_deterministic"]["ok"]
    assert checks["sample_valid"]["ok"]


def test_check_flags_metric_signature_and_description(tmp_path):
    task = copy_task(TASKS_DIR / "food-review-sentiment", tmp_path / "food-review-sentiment")
    src = (task / "metric.py").read_text()
    (task / "metric.py").write_text(src.replace('value: str = "great"', "value: str"))
    with open(task / "description.txt", "a") as fh:
        fh.write("\nA bonus file, extra_reviews.csv, is also provided.\n")
    checks = checks_of(task)
    assert not checks["metric_class"]["ok"] and "value" in checks["metric_class"]["detail"]
    assert not checks["description_files"]["ok"] and "extra_reviews.csv" in checks["description_files"]["detail"]
    assert "submission.csv" not in checks["description_files"]["detail"]


def test_check_flags_missing_dojo_files(tmp_path):
    task = copy_task(DOJO_DIR / DOJO_FIXTURE, tmp_path / DOJO_FIXTURE)
    (task / "info/description.txt").unlink()
    board = task / "info/public_leaderboard.csv"
    lines = board.read_text().splitlines()
    board.write_text("\n".join([lines[0]] + lines[1:][::-1]) + "\n")  # worst first
    checks = checks_of(task)
    assert not checks["files"]["ok"] and "info/description.txt" in checks["files"]["detail"]
    assert not checks["leaderboards"]["ok"]
