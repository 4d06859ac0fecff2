"""Every reply the suite has seen validates against protocol/schemas (JSON Schema 2020-12).

Runs last (alphabetical order), so it checks the replies recorded by the other test files too;
run alone, it produces its own sample of every action and of the error replies.
"""

from __future__ import annotations

import json

import pytest
from itest_support import INFO_TYPES, RECORDED, REPO
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = REPO / "protocol" / "schemas"
BASE = "https://mledojo.local/protocol/v1/"
RESULT_SCHEMA = {
    "health": "health.result.json", "list_tasks": "list_tasks.result.json",
    "reset": "reset.result.json", "request_info": "request_info.result.json",
    "validate_code": "validate_code.result.json", "execute_code": "execute_code.result.json",
    "evaluate": "evaluate.result.json", "get_history": "get_history.result.json",
    "close": "close.result.json", "cancel": "cancel.result.json",
    "register_task": "register_task.result.json",
}


def load():
    docs = {p.name: json.loads(p.read_text()) for p in sorted(SCHEMAS.glob("*.json"))}
    registry = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in docs.values())
    return docs, registry


DOCS, REGISTRY = load()


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(DOCS[name], registry=REGISTRY, format_checker=FormatChecker())


def problems(name: str, instance) -> list:
    return [f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in validator(name).iter_errors(instance)]


def check(action, reply) -> list:
    errs = problems("reply.json", reply)
    if reply.get("ok") is True and action in RESULT_SCHEMA:
        errs += problems(RESULT_SCHEMA[action], reply["result"])
    if action == "get_history" and reply.get("ok"):  # the stored replies must be valid too
        for st in reply["result"]["steps"]:
            errs += [f"history seq {st.get('seq')}: {e}" for e in check(st.get("action"), st.get("reply", {}))]
    return errs


def test_schema_files_are_valid():
    assert set(RESULT_SCHEMA.values()) | {"request.json", "reply.json", "error.json", "observation.json"} <= set(DOCS)
    for name, doc in DOCS.items():
        Draft202012Validator.check_schema(doc)
        assert doc["$id"] == BASE + name, name


def test_request_schema_matches_the_client():
    v = validator("request.json")
    good = [{"v": 1, "id": "1", "action": "health", "params": {}},
            {"v": 1, "id": "2", "action": "reset", "params": {"task": "t", "budget": {"max_steps": 3}}},
            {"v": 1, "id": "3", "action": "request_info", "session": "s", "params": {"info_type": "all"}},
            {"v": 1, "id": "4", "action": "evaluate", "session": "s", "params": {"path": "a/b.csv"}},
            {"id": "5", "action": "close", "session": "s"}]
    bad = [{"v": 2, "id": "1", "action": "health"}, {"id": 1, "action": "health"},
           {"id": "1", "action": "request_info", "params": {"info_type": "all"}},
           {"id": "1", "action": "request_info", "session": "s", "params": {"info_type": "nope"}},
           {"id": "1", "action": "evaluate", "session": "s", "params": {"path": "../x"}},
           {"id": "1", "action": "evaluate", "session": "s", "params": {"path": "x", "submission": "y"}},
           {"id": "1", "action": "reset", "params": {"task": "t", "budget": {"max_steps": 0}}}]
    for req in good:
        assert v.is_valid(req), req
    for req in bad:
        assert not v.is_valid(req), req


def test_every_action_reply_validates(client, ready_task):
    """Produce one reply of each kind, then validate everything recorded so far."""
    client.health()
    client.list_tasks()
    s = client.reset(ready_task["id"], budget={"max_steps": 30, "exec_timeout_s": 60})
    for info_type in INFO_TYPES:
        s.request_info(info_type)
    s.validate_code("open('submission.csv', 'w').write('a,b\\n')\n")
    s.execute_code("print('hi')\n")
    s.execute_code("import sys\nprint('boom', file=sys.stderr)\nsys.exit(2)\n")
    s.execute_code("def f(:\n")
    s.evaluate(submission="x,y\n1,2\n")
    s.evaluate(path="missing.csv")
    s.cancel()
    client.call("request_info", session=s.id, info_type="bogus")
    client.call("reset", task="no-such-task")
    client.call("nope")
    client.send_raw(b"{not json")
    s.get_history()
    s.close()
    s.close()
    client.call("request_info", session=s.id, info_type="name")
    s.get_history()

    seen = {a for a, _ in RECORDED}
    assert set(RESULT_SCHEMA) <= seen, set(RESULT_SCHEMA) - seen
    errors = []
    for action, reply in RECORDED:
        errors += [f"[{action}] {e}" for e in check(action, reply)]
    assert not errors, "\n".join(errors[:40]) + f"\n({len(errors)} problems in {len(RECORDED)} replies)"


@pytest.mark.parametrize("reply", [
    {"v": 1, "id": "x", "ok": True},
    {"v": 1, "id": "x", "ok": False, "error": {"code": "WHATEVER", "message": "m"}},
    {"v": 1, "id": "x", "ok": True, "result": {}, "error": {"code": "BUSY", "message": ""}},
    {"id": "x", "ok": True, "result": {}},
])
def test_reply_schema_rejects_malformed(reply):
    assert not validator("reply.json").is_valid(reply)
