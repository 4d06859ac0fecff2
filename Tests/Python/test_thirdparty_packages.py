"""The third-party package builder (Tests/Support/thirdparty_packages.py) makes exactly the shapes
issue 9 names: file lists per layout, an OpenMLE metric class with no base class and no mledojo
import, no info/ in the no-info layout, task_metadata.json keys, realistic descriptions, and each
planted defect where it was asked for. Fast: no server, no prepare run except the fixture copy's."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))
import thirdparty_packages as tp  # noqa: E402

DATA = ["data/private/test_answer.csv", "data/public/description.txt", "data/public/sample_submission.csv",
        "data/public/test.csv", "data/public/train.csv"]
UTILS = ["utils/metric.py", "utils/prepare.py"]
EXPECTED_FILES = {
    "dojo-source": ["README.txt", "info/description.txt", "info/private_leaderboard.csv",
                    "info/public_leaderboard.csv", "raw/README.txt", "raw/seattle_weather.csv"] + UTILS,
    "dojo-prepared": DATA + ["info/private_leaderboard.csv", "info/public_leaderboard.csv"] + UTILS,
    "dojo-prepared-noboard": DATA + UTILS,
    "openmle": DATA + ["info/task_metadata.json"] + UTILS,
    "openmle-noinfo": DATA + UTILS,
}
METADATA_KEYS = {"higher_is_better", "theoretical_min", "theoretical_max", "leaderboard_min",
                 "leaderboard_max", "modality", "cpu_gpu"}
GENERATED = [lay for lay in tp.LAYOUTS if lay != "dojo-source"]
BUNDLED_DATASETS = {"penguins", "credit_data", "ames_housing", "diamonds", "fine_food_reviews", "seattle_weather"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    return tp.build_all(tmp_path_factory.mktemp("tp"), prepare=False)


def _digest(folder: Path) -> dict:
    return {rel: hashlib.sha256((folder / rel).read_bytes()).hexdigest() for rel in tp.tree(folder)}


def _metric_class(task_dir: Path):
    source = (task_dir / "utils" / "metric.py").read_text()
    tree = ast.parse(source)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Metrics")]
    assert len(classes) == 1, [c.name for c in classes]
    return tree, classes[0]


def _load_metric(task_dir: Path):
    spec = importlib.util.spec_from_file_location(f"tp_metric_{task_dir.name.replace('-', '_')}", task_dir / "utils" / "metric.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, cls = _metric_class(task_dir)
    return getattr(module, cls.name)()


def test_repo_and_datasets_are_found_from_the_file_not_a_fixed_path(monkeypatch, tmp_path):
    assert (tp.REPO / "Tests" / "Support" / "thirdparty_packages.py").is_file()
    monkeypatch.delenv("MLEDOJO_DATASETS", raising=False)
    assert tp.datasets_dir() == (tp.REPO.parent / "shared" / "datasets").resolve()
    assert "/work/main" not in (Path(tp.__file__).read_text())  # no fixed checkout path
    monkeypatch.setenv("MLEDOJO_DATASETS", str(tmp_path))
    assert tp.datasets_dir() == tmp_path.resolve()
    monkeypatch.setattr(tp, "EXCERPTS", tmp_path / "no-excerpts")  # neither the table nor its excerpt
    with pytest.raises(FileNotFoundError):
        tp.build("openmle", tmp_path / "out")
    assert not (tmp_path / "out" / tp.TASK_IDS["openmle"]).exists()  # a failed build leaves nothing


def test_generated_packages_avoid_the_bundled_tasks_datasets():
    used = {tp.SPECS[lay]["dataset"] for lay in GENERATED}
    assert not used & BUNDLED_DATASETS and len(used) == len(GENERATED)


@pytest.mark.parametrize("layout", tp.LAYOUTS)
def test_file_list_is_exactly_the_layout(built, layout):
    assert tp.tree(built[layout]) == sorted(EXPECTED_FILES[layout])
    assert built[layout].name == tp.TASK_IDS[layout]


@pytest.mark.parametrize("layout", GENERATED)
def test_prepared_packages_have_no_raw_and_no_info_description(built, layout):
    task = built[layout]
    assert not (task / "raw").exists() and not (task / "info" / "description.txt").exists()
    if layout in ("dojo-prepared-noboard", "openmle-noinfo"):
        assert not (task / "info").exists()
    if layout == "dojo-prepared":
        assert sorted(p.name for p in (task / "info").iterdir()) == ["private_leaderboard.csv", "public_leaderboard.csv"]


@pytest.mark.parametrize("layout", GENERATED)
def test_data_is_consistent_and_a_few_hundred_rows(built, layout):
    task, spec = built[layout], tp.SPECS[layout]
    public = task / "data" / "public"
    train, test = pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv")
    sample, answer = pd.read_csv(public / "sample_submission.csv"), tp.answers(task)
    target = spec["target"]
    assert list(answer.columns) == ["id", target] and list(sample.columns) == ["id", target]
    assert target in train.columns and target not in test.columns
    assert list(test["id"]) == list(answer["id"]) == list(sample["id"])
    assert not set(train["id"]) & set(test["id"])
    assert 200 <= len(train) + len(test) <= 1000 and len(test) >= 80
    assert answer[target].notna().all()
    # The sample is a random or constant guess, never the answers.
    same = (sample[target].astype(str) == answer[target].astype(str)).mean()
    assert same < 0.7, same


@pytest.mark.parametrize("layout", GENERATED)
def test_description_names_the_public_files_and_no_private_one(built, layout):
    text = (built[layout] / "data" / "public" / "description.txt").read_text()
    for name in tp.PUBLIC_FILES:
        assert name in text
    assert "test_answer" not in text and "private" not in text.lower()


@pytest.mark.parametrize("layout", ["openmle", "openmle-noinfo"])
def test_openmle_metric_subclasses_nothing_and_imports_no_mledojo(built, layout):
    tree, cls = _metric_class(built[layout])
    assert cls.bases == [] and cls.keywords == []
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in imports if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in imports if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n and n.split(".")[0] == "mledojo"], names
    init = next(f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
    assert [a.arg for a in init.args.args] == ["self", "value", "higher_is_better"]
    methods = {f.name: [a.arg for a in f.args.args] for f in cls.body if isinstance(f, ast.FunctionDef)}
    assert methods["evaluate"] == ["self", "y_true", "y_pred"]
    assert methods["validate_submission"] == ["self", "submission", "ground_truth"]
    # Bad input raises a plain Exception/ValueError (not an mledojo InvalidSubmissionError).
    metric = _load_metric(built[layout])
    answer = tp.answers(built[layout])
    with pytest.raises(Exception) as info:
        metric.validate_submission(answer.rename(columns={answer.columns[1]: "wrong"}), answer)
    assert type(info.value) in (Exception, ValueError)


def test_openmle_metadata_keys_and_lower_is_better(built):
    meta = json.loads((built["openmle"] / "info" / "task_metadata.json").read_text())
    assert set(meta) == METADATA_KEYS
    assert meta["higher_is_better"] is False and meta["cpu_gpu"] in ("cpu", "gpu")
    for key in METADATA_KEYS - {"higher_is_better", "modality", "cpu_gpu"}:
        assert isinstance(meta[key], (int, float)), key
    assert meta["theoretical_min"] <= meta["leaderboard_min"] < meta["leaderboard_max"]
    metric = _load_metric(built["openmle"])
    assert metric.higher_is_better is False
    answer = tp.answers(built["openmle"])
    sample = pd.read_csv(built["openmle"] / "data" / "public" / "sample_submission.csv")
    assert metric.evaluate(answer, answer) == 0.0 < metric.evaluate(answer, sample)


@pytest.mark.parametrize("layout", ["dojo-prepared", "dojo-prepared-noboard"])
def test_dojo_metric_subclasses_competition_metrics(built, layout):
    tree, cls = _metric_class(built[layout])
    assert [ast.unparse(b) for b in cls.bases] == ["CompetitionMetrics"]
    metric = _load_metric(built[layout])
    answer = tp.answers(built[layout])
    assert metric.higher_is_better is True and metric.evaluate(answer, answer) == 1.0


def test_leaderboards_are_rank_score_best_first(built):
    for board in ("public", "private"):
        frame = pd.read_csv(built["dojo-prepared"] / "info" / f"{board}_leaderboard.csv")
        assert list(frame.columns) == ["rank", "score"] and len(frame) >= 3
        assert frame["score"].is_monotonic_decreasing


@pytest.mark.parametrize("layout", GENERATED)
def test_prepare_py_is_the_code_that_made_the_data(built, layout, tmp_path):
    """Running the shipped utils/prepare.py on the same raw sample gives the shipped data."""
    spec = tp.SPECS[layout]
    raw = tmp_path / "raw"
    raw.mkdir()
    tp.sampled_rows(spec).to_csv(raw / f"{spec['dataset']}.csv", index=False)
    module = tp._import_file(built[layout] / "utils" / "prepare.py", f"tp_check_prepare_{layout.replace('-', '_')}")
    module.prepare(raw, tmp_path / "public", tmp_path / "private")
    for rel in ("public/train.csv", "public/test.csv", "public/sample_submission.csv", "private/test_answer.csv"):
        assert (tmp_path / rel).read_bytes() == (built[layout] / "data" / rel).read_bytes(), rel


def test_builds_are_deterministic(built, tmp_path):
    for layout in tp.LAYOUTS:
        again = tp.build(layout, tmp_path)
        assert _digest(again) == _digest(built[layout]), layout


@pytest.mark.parametrize("layout", GENERATED)
def test_defects_are_planted_as_asked(built, layout, tmp_path):
    clean = built[layout]
    target = tp.SPECS[layout]["target"]
    answer = tp.answers(clean)
    # (a) the answer column left in test.csv, with the true values
    a = tp.build(layout, tmp_path / "a", defect="answer_in_test")
    test = pd.read_csv(a / "data" / "public" / "test.csv")
    assert target in test.columns
    assert list(test[target].astype(str)) == list(answer[target].astype(str))
    # (b) the description names the private answers file
    b = tp.build(layout, tmp_path / "b", defect="private_in_description")
    assert "test_answer.csv" in (b / "data" / "public" / "description.txt").read_text()
    # (c) sample ids that are not the answer ids (5 of them), same row count
    c = tp.build(layout, tmp_path / "c", defect="sample_ids")
    sample = pd.read_csv(c / "data" / "public" / "sample_submission.csv")
    assert len(sample) == len(answer) and len(set(sample["id"]) - set(answer["id"])) == 5
    # Each defect touches only its own file.
    base = _digest(clean)
    for folder, changed in ((a, "data/public/test.csv"), (b, "data/public/description.txt"),
                            (c, "data/public/sample_submission.csv")):
        diff = sorted(k for k in base if _digest(folder).get(k) != base[k])
        assert diff == [changed], (folder, diff)


def test_dojo_source_defects_are_planted_in_its_sources(tmp_path):
    a = tp.build("dojo-source", tmp_path / "a", defect="answer_in_test")
    assert 'test.to_csv(public / "test.csv", index=False)' in (a / "utils" / "prepare.py").read_text()
    b = tp.build("dojo-source", tmp_path / "b", defect="private_in_description")
    assert "test_answer.csv" in (b / "info" / "description.txt").read_text()
    c = tp.build("dojo-source", tmp_path / "c", defect="sample_ids")
    assert "1000000" in (c / "utils" / "prepare.py").read_text()
    for folder in (a, b, c):
        assert tp.tree(folder) == sorted(EXPECTED_FILES["dojo-source"])
    fixture_desc = (tp.DOJO_FIXTURE / "info" / "description.txt").read_text()
    assert "test_answer" not in fixture_desc  # the committed fixture is untouched


def test_unknown_layout_or_defect_is_refused(tmp_path):
    with pytest.raises(ValueError):
        tp.build("kaggle", tmp_path)
    with pytest.raises(ValueError):
        tp.build("openmle", tmp_path, defect="leak_everything")


def test_decent_submission_beats_the_sample(built):
    for layout in GENERATED:
        metric = _load_metric(built[layout])
        answer = tp.answers(built[layout])
        decent = pd.read_csv(io.StringIO(tp.decent_submission(built[layout])))
        sample = pd.read_csv(built[layout] / "data" / "public" / "sample_submission.csv")
        metric.validate_submission(decent, answer)
        good, base = metric.evaluate(answer, decent), metric.evaluate(answer, sample)
        perfect = metric.evaluate(answer, answer)
        assert (good > base) if metric.higher_is_better else (good < base), layout
        assert good != perfect, layout


@pytest.mark.parametrize("layout", sorted(tp.SPECS))
def test_committed_excerpts_are_the_rows_sampled_from_the_shared_tables(layout, monkeypatch, tmp_path):
    """A clone without ../shared/datasets builds from Tests/Fixtures/excerpts: the same rows, so the
    same packages. Held here against the shared tables whenever they are present."""
    import pandas as pd
    spec = tp.SPECS[layout]
    excerpt = pd.read_csv(tp.EXCERPTS / f"{spec['dataset']}.csv")
    if (tp.datasets_dir() / spec["dataset"]).is_dir():
        fresh = tp.sampled_rows(spec).reset_index(drop=True)
        pd.testing.assert_frame_equal(excerpt, pd.read_csv(pd.io.common.StringIO(fresh.to_csv(index=False))))
    monkeypatch.setenv("MLEDOJO_DATASETS", str(tmp_path / "absent"))
    pd.testing.assert_frame_equal(tp.sampled_rows(spec).reset_index(drop=True), excerpt)
    assert len(excerpt) == spec["rows"]
