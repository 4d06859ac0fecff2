"""Two edges of the generator's assertions: a split whose train.csv names the target differently from
the answers (no labels to compare, so shared feature rows are reported, not failed), and count answers
graded by a shared-library metric (not class labels, so test_classes_in_train is not asked)."""

from pathlib import Path

import pandas as pd

from mledojo.check import Report
from mledojo.check_assertions import check_split_disjoint, check_test_classes


def result(rep, name):
    (found,) = [c for c in rep.checks if c["name"] == name]
    return found


def test_shared_feature_rows_without_comparable_labels_are_reported_not_failed():
    train = pd.DataFrame({"id": [1, 2, 3], "age": [30, 41, 52], "income": [10, 20, 30], "Status": ["good", "bad", "good"]})
    test = pd.DataFrame({"id": [4, 5], "age": [30, 60], "income": [10, 70]})
    answer = pd.DataFrame({"id": [4, 5], "bad": [0.2, 0.9]})  # a probability, named unlike train's Status
    rep = Report(Path("."))
    check_split_disjoint(rep, train, test, answer, Path("train.csv"), Path("test.csv"))
    found = result(rep, "split_disjoint")
    assert found["ok"] and "1 share a train row's feature values" in found["detail"]
    # With the label in train under the answers' name, the same copy (same label) fails.
    labelled_train = train.rename(columns={"Status": "bad"}).assign(bad=[0.2, 0.5, 0.1])
    rep = Report(Path("."))
    check_split_disjoint(rep, labelled_train, test, answer, Path("train.csv"), Path("test.csv"))
    assert not result(rep, "split_disjoint")["ok"]


class CountMetric:
    kind = "count"


class LabelMetric:
    kind = "label"


def test_count_answers_are_not_asked_for_classes_in_train():
    train = pd.DataFrame({"id": [1, 2, 3], "visits": [0, 1, 2]})
    answer = pd.DataFrame({"id": [4, 5], "visits": [3, 7]})  # counts train never saw: fine for a count task
    rep = Report(Path("."))
    check_test_classes(rep, train, answer, CountMetric())
    assert result(rep, "test_classes_in_train")["ok"]
    rep = Report(Path("."))
    check_test_classes(rep, train, answer, LabelMetric())
    assert not result(rep, "test_classes_in_train")["ok"]
    rep = Report(Path("."))
    check_test_classes(rep, train, answer)  # no metric kind: small integer sets read as classes, as before
    assert not result(rep, "test_classes_in_train")["ok"]
