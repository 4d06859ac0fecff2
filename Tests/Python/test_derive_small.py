"""Tests of small-scale twins: ``python -m mledojo.derive --small`` and the kinds file both sides read.

diamonds-price has no micro twin (test_derive.py: the linear model beats boosting below ~1000 training
rows, boosting wins on the parent). Its small twin is searched over 500, 1000, 2000 rows (5000 too, were
2000 not kept) and kept at the smallest size whose ladder ranks as the parent's; it must be a real task
(schema, ``mledojo.check``), drawn from the parent's rows, and pass twin-check from its files alone. A
parent with no more training rows than the kind's sizes is refused with what to do instead.
"""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "python") not in sys.path:
    sys.path.insert(0, str(REPO / "python"))

from conftest import TASKS_DIR, copy_task, run_module  # noqa: E402
from mledojo import derive, twin_check  # noqa: E402
from mledojo.prepare import prepare_task  # noqa: E402
from mledojo.resolve import schema_problems, task_schema  # noqa: E402
from mledojo.twin_kinds import KINDS, MICRO, SMALL, TEST_ROWS  # noqa: E402


@pytest.fixture(scope="module")
def diamonds(tmp_path_factory):
    parent = copy_task(TASKS_DIR / "diamonds-price", tmp_path_factory.mktemp("parents") / "diamonds-price")
    prepare_task(parent)
    return parent


@pytest.fixture(scope="module")
def small(diamonds, tmp_path_factory):
    return derive.derive_twin(diamonds, tmp_path_factory.mktemp("twins"), kind=SMALL)


def test_the_kinds_file_is_the_one_home_of_the_sizes():
    document = json.loads((REPO / "python" / "mledojo" / "twin_kinds.json").read_text())
    assert set(KINDS) == set(document["kinds"]) == {"micro", "small"}
    assert derive.SEARCH_TRAIN_ROWS == MICRO.search and derive.TRAIN_ROWS == MICRO.train_rows
    assert derive.TEST_ROWS == TEST_ROWS == (document["test_rows"]["min"], document["test_rows"]["max"])
    for kind in KINDS.values():
        assert list(kind.search) == sorted(kind.search) and all(kind.accepts(n) for n in kind.search)
    assert MICRO.train_rows[1] < SMALL.train_rows[0]  # the kinds do not overlap
    # the task schema knows every kind
    assert set(task_schema()["properties"]["derived_from"]["properties"]["kind"]["enum"]) == set(KINDS)


def test_diamonds_keeps_a_small_twin_where_no_micro_twin_does(small, diamonds):
    assert small["ok"] and small["kind"] == "small" and small["id"] == "diamonds-price-small"
    search = small["search"]
    parent_train = pd.read_csv(diamonds / "data" / "public" / "train.csv", usecols=["id"])
    assert [r["train_rows"] for r in search] == [n for n in SMALL.search if n < len(parent_train)][:len(search)]
    assert [r["keep"] for r in search] == [False] * (len(search) - 1) + [True]
    kept = search[-1]
    assert kept["tau"] >= twin_check.KEEP_TAU and kept["taus"][0] >= twin_check.KEEP_TAU
    assert small["train_rows"] == kept["train_rows"] < len(parent_train)


def test_the_small_twin_is_a_task_drawn_from_its_parent(small, diamonds):
    twin = Path(small["path"])
    manifest = json.loads((twin / "task.json").read_text())
    schema = task_schema()
    assert schema_problems(manifest, schema) == []
    assert schema_problems(manifest, {**schema["$defs"]["publishable"], "$defs": schema["$defs"]}) == []
    derived_from = manifest["derived_from"]
    assert derived_from["task"] == "diamonds-price" and derived_from["kind"] == "small"
    assert manifest["title"].endswith("(small twin)") and "--small" in manifest["dataset"]["loader"]
    assert (twin / "description.txt").read_text().startswith("# Small-scale twin of diamonds-price")
    assert (twin / "prepare.py").read_text().startswith(
        '"""Prepare diamonds-price-small: a small-scale twin of diamonds-price (written by ``python -m mledojo.derive --small``).')
    train = pd.read_csv(twin / "data" / "public" / "train.csv")
    test = pd.read_csv(twin / "data" / "public" / "test.csv")
    parent_train = pd.read_csv(diamonds / "data" / "public" / "train.csv")
    parent_test = pd.read_csv(diamonds / "data" / "public" / "test.csv", usecols=["id"])
    assert len(train) == derived_from["train_rows"] and len(test) == derived_from["test_rows"] == TEST_ROWS[1]
    assert set(train["id"]) <= set(parent_train["id"]) and set(test["id"]) <= set(parent_test["id"])
    merged = train.merge(parent_train, on="id", suffixes=("", "_parent"))
    assert len(merged) == len(train)
    for column in train.columns[1:]:
        assert merged[column].astype(str).equals(merged[f"{column}_parent"].astype(str)), column
    result = run_module("mledojo.check", "--json", str(twin))
    assert result.returncode == 0, result.stdout[-2000:]
    # twin-check, from the twin's files alone, agrees with derive's search
    report = twin_check.check_twin(twin)
    assert report["keep"], report


def test_a_parent_no_larger_than_the_small_sizes_is_refused(tmp_path):
    parent = copy_task(TASKS_DIR / "penguins-species", tmp_path / "penguins-species")
    with pytest.raises(derive.DeriveError, match="derive a micro twin, or pin --train-rows 250 to 257"):
        derive.derive_twin(parent, tmp_path / "out", kind=SMALL)
    with pytest.raises(derive.DeriveError, match="--train-rows 300 is at least the parent's 258"):
        derive.derive_twin(parent, tmp_path / "out", train_rows=300, kind=SMALL)
    assert not (tmp_path / "out" / "penguins-species-small").exists()


@pytest.mark.parametrize("arguments, message", [
    ((), "one of the arguments --micro --small is required"),
    (("--micro", "--small"), "not allowed with argument"),
    (("--small", "--train-rows", "100"), "--train-rows must be 250 to 5000 for a small twin"),
    (("--micro", "--train-rows", "300"), "--train-rows must be 50 to 200 for a micro twin"),
])
def test_the_kind_is_required_and_its_sizes_enforced(arguments, message):
    result = run_module("mledojo.derive", *arguments, "tasks/penguins-species")
    assert result.returncode == 2 and message in result.stderr, result.stderr
