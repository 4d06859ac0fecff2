"""Tests of the one resolver (``mledojo.resolve``, ``mledojo.references``): layouts, description,
leaderboards, direction and reference scores each decided once, by the documented precedence,
and its answer shaped as protocol/schemas/resolved_task.json says."""

import json
import shutil

import jsonschema
import pytest

from conftest import BUNDLED, DOJO_FIXTURE, REPO, run_module
from mledojo.prepare import PrepareError, prepare_task
from mledojo.resolve import discover, leaderboard_scores, resolve
from mledojo.taskdir import TaskError, sha256_file

SCHEMA = json.loads((REPO / "protocol/schemas/resolved_task.json").read_text())


@pytest.fixture
def package(prepared, tmp_path):
    """A prepared Dojo package made from the fixture: data/ and utils/ only, no raw/ and no info/."""
    dst = tmp_path / "weather-package"
    shutil.copytree(prepared[DOJO_FIXTURE] / "data", dst / "data",
                    ignore=shutil.ignore_patterns(".prepared.json", ".references.json", "*_leaderboard.csv"))
    shutil.copytree(prepared[DOJO_FIXTURE] / "utils", dst / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def test_every_bundled_task_and_the_fixture_resolve_to_the_schema(prepared):
    for name, path in prepared.items():
        resolved = resolve(path)
        jsonschema.Draft202012Validator(SCHEMA).validate(resolved)
        assert resolved["id"] == name and resolved["problems"] == []
        assert resolved["layout"] == ("dojo" if name == DOJO_FIXTURE else "mledojo")
        assert resolved["files"]["description"] == "data/public/description.txt"
        assert resolved["reference_scores"]["random"] is not None
        assert resolved["reference_scores"]["best_known"] is not None
    assert set(BUNDLED) < set(prepared)


def test_the_fixture_takes_its_references_from_the_sample_and_the_leaderboard(prepared):
    refs = resolve(prepared[DOJO_FIXTURE])["reference_scores"]
    assert round(refs["random"]["value"], 4) == 0.2240  # README.txt: the sample scores 0.2240 on all rows
    assert refs["random"]["source"] == "data/public/sample_submission.csv graded on all test rows"
    assert refs["best_known"] == {"value": 0.82353, "source": "data/private/private_leaderboard.csv (best entry)"}
    assert refs["baseline"] is None


def test_a_bundled_task_takes_its_references_from_task_json(prepared):
    path = prepared["credit-default"]
    refs = resolve(path)["reference_scores"]
    declared = json.loads((path / "task.json").read_text())["reference_scores"]
    for name in ("random", "baseline", "best_known"):
        assert refs[name] == {"value": declared[name], "source": f"task.json reference_scores.{name}"}


def test_best_known_precedence_metadata_calibration_theoretical_answers(package):
    def best():
        return resolve(package)["reference_scores"]["best_known"]

    assert best() == {"value": 1.0, "source": "test_answer.csv graded against itself (perfect score)"}
    (package / "info").mkdir()
    (package / "info/task_metadata.json").write_text(json.dumps(
        {"higher_is_better": True, "theoretical_min": 0, "theoretical_max": 0.99, "modality": "tabular"}))
    assert best() == {"value": 0.99, "source": "info/task_metadata.json theoretical_max"}
    calibration = {"best_known": 0.75, "baseline": 0.75, "how": "baseline run",
                   "answers_sha256": sha256_file(package / "data/private/test_answer.csv")}
    (package / "calibration.json").write_text(json.dumps(calibration))
    assert best() == {"value": 0.75, "source": "calibration.json (baseline run)"}
    assert resolve(package)["reference_scores"]["baseline"] == {"value": 0.75, "source": "calibration.json"}
    (package / "info/task_metadata.json").write_text(json.dumps(
        {"higher_is_better": True, "leaderboard_min": 0.3, "leaderboard_max": 0.8, "theoretical_max": 1}))
    assert best() == {"value": 0.8, "source": "info/task_metadata.json leaderboard_max"}
    calibration["answers_sha256"] = "0" * 64  # made on other answers: ignored, and said so
    (package / "calibration.json").write_text(json.dumps(calibration))
    resolved = resolve(package)
    assert resolved["reference_scores"]["baseline"] is None
    assert any("calibration.json was made on other answers" in p for p in resolved["problems"])


def test_lower_is_better_takes_the_minimum_bounds(package):
    (package / "info").mkdir()
    (package / "info/task_metadata.json").write_text(json.dumps(
        {"higher_is_better": False, "leaderboard_min": 0.1, "leaderboard_max": 0.9}))
    resolved = resolve(package)
    assert resolved["metric"]["higher_is_better"] is False
    assert resolved["metric"]["direction_source"] == "info/task_metadata.json higher_is_better"
    assert resolved["reference_scores"]["best_known"]["source"] == "info/task_metadata.json leaderboard_min"
    assert any("higher_is_better" in p for p in resolved["problems"]), "the metric itself says higher"


def test_the_graded_references_are_cached_with_the_data_hash(package):
    first = resolve(package)["reference_scores"]["random"]
    cache = json.loads((package / "data/.references.json").read_text())
    assert cache["inputs"]["answers"] == sha256_file(package / "data/private/test_answer.csv")
    assert cache["values"]["random"] == first["value"]
    cache["values"]["random"] = 0.5  # proves the next resolve reads the cache...
    (package / "data/.references.json").write_text(json.dumps(cache))
    assert resolve(package)["reference_scores"]["random"]["value"] == 0.5
    sample = package / "data/public/sample_submission.csv"  # ...until the data changes
    lines = sample.read_text().splitlines()
    label = lines[1].rsplit(",", 1)
    lines[1] = label[0] + ("," + ("sun" if label[1] != "sun" else "rain"))
    sample.write_text("\n".join(lines) + "\n")
    assert resolve(package)["reference_scores"]["random"]["value"] != 0.5


def test_a_read_only_package_still_resolves(package, monkeypatch):
    import mledojo.references as references

    def refuse(*_):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(references.os, "replace", refuse)  # (chmod does not stop root)
    assert resolve(package)["reference_scores"]["random"] is not None
    assert not (package / "data/.references.json").exists()
    assert not list((package / "data").glob(".references.*"))


def test_description_precedence(prepared, tmp_path):
    task = tmp_path / DOJO_FIXTURE
    shutil.copytree(prepared[DOJO_FIXTURE], task)
    assert resolve(task)["files"]["description"] == "data/public/description.txt"
    (task / "data/public/description.txt").unlink()
    assert resolve(task)["files"]["description"] == "info/description.txt"
    (task / "info/description.txt").unlink()
    resolved = resolve(task)
    assert resolved["files"]["description"] is None
    assert any(p.startswith("no description") for p in resolved["problems"])


def test_leaderboard_parsing(tmp_path):
    board = tmp_path / "public_leaderboard.csv"
    board.write_text("rank,score\n1,0.91\n2,not-a-number\n\n3, 0.85 \n4,inf\n5,nan\n6,\n8,-0.25\n")
    assert leaderboard_scores(board) == [0.91, 0.85, -0.25]
    board.write_text("TeamName, Score ,SubmissionDate\r\nalpha,0.7,2020-01-01\r\n\"beta\",0.6,2020-01-02\r\n")
    assert leaderboard_scores(board) == [0.7, 0.6]
    board.write_text("rank,points\n1,0.5\n")
    with pytest.raises(TaskError, match="no score column"):
        leaderboard_scores(board)


def test_a_broken_leaderboard_is_a_problem_not_a_failure(package):
    (package / "info").mkdir()
    (package / "info/public_leaderboard.csv").write_text("rank,points\n1,0.5\n")
    resolved = resolve(package)
    assert resolved["leaderboards"] == {}
    assert any("no score column" in p for p in resolved["problems"])


def test_task_json_is_held_to_its_schema(prepared, tmp_path):
    task = tmp_path / "penguins-species"
    shutil.copytree(prepared["penguins-species"], task)
    manifest = json.loads((task / "task.json").read_text())
    manifest["metric"]["higher_is_better"] = "yes"
    (task / "task.json").write_text(json.dumps(manifest))
    with pytest.raises(TaskError, match=r"metric\.higher_is_better: 'yes' is not of type 'boolean'") as err:
        resolve(task)
    assert err.value.error_type == "InvalidTaskError"
    manifest["metric"]["higher_is_better"] = True
    manifest["id"] = "other"
    (task / "task.json").write_text(json.dumps(manifest))
    with pytest.raises(TaskError, match="differs from its folder name"):
        resolve(task)


def test_discover_skips_non_tasks_and_reports_broken_ones(prepared, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    shutil.copytree(prepared["penguins-species"], root / "penguins-species")
    (root / "notes").mkdir()
    (root / "broken").mkdir()
    (root / "broken/metric.py").write_text("raise ImportError('no such thing')\n")
    found = {entry["dir"].rsplit("/", 1)[1]: entry for entry in discover(root)}
    assert set(found) == {"broken", "penguins-species"}
    assert found["penguins-species"]["ok"] and found["penguins-species"]["task"]["id"] == "penguins-species"
    assert not found["broken"]["ok"] and "no such thing" in found["broken"]["error"]


def test_the_grader_answers_resolve_and_discover(grader, prepared):
    reply = grader.send("resolve", task_dir=str(prepared[DOJO_FIXTURE]))
    assert reply["ok"] and reply["task"]["metric"]["class"] == "SeattleWeatherMetrics"
    reply = grader.send("discover", root=str(prepared[DOJO_FIXTURE].parent))
    assert reply["ok"] and {e["task"]["id"] for e in reply["tasks"]} == set(prepared)
    reply = grader.send("discover", root="/nonexistent")
    assert not reply["ok"] and reply["error_type"] == "CompetitionNotFoundError"


def test_prepare_leaves_a_package_that_arrives_prepared_alone(package, tmp_path):
    before = sorted(p.relative_to(package).as_posix() for p in package.rglob("*"))
    assert prepare_task(package) == "arrived prepared"
    assert sorted(p.relative_to(package).as_posix() for p in package.rglob("*")) == before
    empty = tmp_path / "empty-package"
    shutil.copytree(package / "utils", empty / "utils")
    with pytest.raises(PrepareError, match="no raw/ folder to prepare from"):
        prepare_task(empty)


def test_check_on_a_package_checks_the_data_as_served(package):
    r = run_module("mledojo.check", "--json", str(package))
    checks = {c["name"]: c for c in json.loads(r.stdout)["tasks"][0]["checks"]}
    assert r.returncode == 0, checks
    assert "prepare_deterministic" not in checks
    assert "arrived prepared" in checks["files"]["detail"]
    assert {"sample_valid", "sample_ids", "no_answer_leak", "metric_direction", "description_files",
            "reference_scores"} <= set(checks)
