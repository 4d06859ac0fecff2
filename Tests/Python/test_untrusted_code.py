"""Tasks whose code an LLM wrote (task.json ``generated.designer == "llm"``): the resolver says so
(``untrusted_code``), and the trusted grader refuses them before importing any of their code, while
``mledojo.grader --untrusted`` (what the server starts inside the sandbox) serves them."""

import json

import jsonschema
import pytest

from conftest import REPO, Grader
from mledojo.resolve import discover, resolve, untrusted_code
from mledojo.taskdir import TaskError

SCHEMA = json.loads((REPO / "protocol/schemas/resolved_task.json").read_text())
TASK_SCHEMA = json.loads((REPO / "protocol/schemas/task.json").read_text())


def make_task(root, name, generated=None):
    """A small prepared task whose metric.py, when imported, leaves a mark beside itself."""
    folder = root / name
    (folder / "data/public").mkdir(parents=True)
    (folder / "data/private").mkdir(parents=True)
    manifest = {"id": name, "title": name, "metric": {"name": "accuracy", "higher_is_better": True}}
    if generated is not None:
        manifest["generated"] = generated
    (folder / "task.json").write_text(json.dumps(manifest))
    (folder / "description.txt").write_text("Predict y.\n")
    (folder / "metric.py").write_text(
        "from pathlib import Path\n"
        "Path(__file__).with_name('imported.mark').write_text('x')\n"
        "from mledojo.metrics.base import CompetitionMetrics\n"
        "class MarkMetrics(CompetitionMetrics):\n"
        "    def __init__(self, value='y', higher_is_better=True):\n"
        "        super().__init__(higher_is_better)\n"
        "    def validate_submission(self, submission, ground_truth):\n"
        "        return 'ok'\n"
        "    def evaluate(self, y_true, y_pred):\n"
        "        return float((y_true['y'].values == y_pred['y'].values).mean())\n")
    (folder / "data/private/test_answer.csv").write_text("id,y\n1,0\n2,1\n3,1\n4,0\n")
    (folder / "data/public/sample_submission.csv").write_text("id,y\n1,0\n2,0\n3,0\n4,0\n")
    return folder


LLM = {"designer": "llm", "run_id": "gen_1", "model": "some-model"}


def test_the_manifest_field_is_in_the_schema():
    doc = {"id": "t", "title": "t", "metric": {"name": "m", "higher_is_better": True}}
    validator = jsonschema.Draft202012Validator(TASK_SCHEMA)
    for generated in (LLM, {"designer": "builtin", "run_id": "gen_2", "model": None}):
        validator.validate(dict(doc, generated=generated))
    for bad in ({"designer": "human"}, {"run_id": "gen_3"}, "llm"):
        assert list(validator.iter_errors(dict(doc, generated=bad)))


@pytest.mark.parametrize("generated,expected", [
    (None, False), ({"designer": "builtin", "run_id": "gen_2", "model": None}, False), (LLM, True)])
def test_the_resolver_reports_untrusted_code(tmp_path, generated, expected):
    folder = make_task(tmp_path, "task-a", generated)
    assert untrusted_code(folder) is expected
    resolved = resolve(folder)
    jsonschema.Draft202012Validator(SCHEMA).validate(resolved)
    assert resolved["untrusted_code"] is expected


def test_an_unreadable_manifest_counts_as_untrusted(tmp_path):
    folder = make_task(tmp_path, "task-b")
    (folder / "task.json").write_text("{not json")
    assert untrusted_code(folder) is True
    (folder / "task.json").write_text(json.dumps({"id": "task-b", "generated": {"designer": 7}}))
    assert untrusted_code(folder) is True
    (folder / "task.json").unlink()
    assert untrusted_code(folder) is False


def test_run_untrusted_false_refuses_before_importing_the_metric(tmp_path):
    llm = make_task(tmp_path, "llm-task", LLM)
    plain = make_task(tmp_path, "plain-task")
    with pytest.raises(TaskError) as refused:
        resolve(llm, run_untrusted=False)
    assert refused.value.error_type == "UntrustedCodeError"
    assert not (llm / "imported.mark").exists()
    found = {e["dir"].rsplit("/", 1)[-1]: e for e in discover(tmp_path, run_untrusted=False)}
    assert found["llm-task"]["ok"] is False and found["llm-task"]["error_type"] == "UntrustedCodeError"
    assert found["plain-task"]["ok"] is True and found["plain-task"]["task"]["untrusted_code"] is False
    assert not (llm / "imported.mark").exists() and (plain / "imported.mark").exists()


def test_the_trusted_grader_refuses_and_the_untrusted_one_serves(tmp_path):
    llm = make_task(tmp_path, "llm-task", LLM)
    answers = llm / "data/private/test_answer.csv"
    trusted = Grader()
    try:
        for reply in (trusted.send("resolve", task_dir=str(llm)), trusted.send("describe", task_dir=str(llm)),
                      trusted.grade(llm, answers)):
            assert reply["ok"] is False and reply["error_type"] == "UntrustedCodeError", reply
        tasks = trusted.send("discover", root=str(tmp_path))["tasks"]
        assert [t["error_type"] for t in tasks] == ["UntrustedCodeError"]
        assert not (llm / "imported.mark").exists()
    finally:
        trusted.close()
    sandboxed = Grader("--untrusted")
    try:
        assert sandboxed.send("resolve", task_dir=str(llm))["task"]["untrusted_code"] is True
        reply = sandboxed.grade(llm, answers)
        assert reply["ok"] and reply["valid"] and reply["scores"]["full"] == 1.0
    finally:
        sandboxed.close()
