"""`mledojo tasks derive --micro` and `mledojo tasks twin-check` through the real CLI: a twin of
penguins-species is derived, verified (its baseline written by execution validation), published into a
running server's tasks folder and registered there at once; twin-check keeps it; an LLM-written parent
is refused."""

from __future__ import annotations

import json
import shutil
import subprocess

from itest_support import BIN, REPO


def test_derive_publishes_registers_and_twin_check_keeps(server_factory, tmp_path):
    tasks_dir = tmp_path / "tasks"
    tasks_dir.mkdir()
    srv = server_factory(workdir=tmp_path, tasks=tasks_dir)
    parent = shutil.copytree(REPO / "tasks" / "penguins-species", tmp_path / "parents" / "penguins-species",
                             ignore=shutil.ignore_patterns("data", "__pycache__"))
    run = subprocess.run([str(BIN), "tasks", "derive", "--micro", "--train-rows", "120", "--out", str(tasks_dir),
                          "--rejected", str(tmp_path / "rejected"), "--register", f"ipc://{srv.db.parent / 'admin.sock'}",
                          "--json", str(parent)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    twin = json.loads(run.stdout)["twins"][0]
    assert twin["ok"] and twin["id"] == "penguins-species-micro"
    assert [s["stage"] for s in twin["stages"]] == ["assertions_post", "review", "execution_validation"]
    folder = tasks_dir / "penguins-species-micro"
    manifest = json.loads((folder / "task.json").read_text())
    derived_from = manifest["derived_from"]
    assert {k: derived_from[k] for k in ("task", "kind", "seed", "train_rows", "test_rows", "seeds")} == {
        "task": "penguins-species", "kind": "micro", "seed": 0, "train_rows": 120, "test_rows": 86, "seeds": [0, 1, 2]}
    # --train-rows pins the size: that size alone is tried, and it keeps the parent's ranking
    assert [(r["train_rows"], r["keep"]) for r in derived_from["search"]] == [(120, True)]
    assert "baseline agent in execution validation" in manifest["reference_scores"]["how"]
    with srv.client() as client:
        listed = {t["id"]: t for t in client.list_tasks()}
    assert listed["penguins-species-micro"]["ready"] is True

    check = subprocess.run([str(BIN), "tasks", "twin-check", "--json", str(folder)], cwd=REPO, capture_output=True,
                           text=True, timeout=300)
    report = json.loads(check.stdout)["twins"][0]
    assert check.returncode == (0 if report["keep"] else 1)
    assert [s["name"] for s in report["solutions"]] == ["sample", "constant", "linear", "boosted", "strong"]

    llm = shutil.copytree(parent, tmp_path / "llm" / "penguins-species")
    doc = json.loads((llm / "task.json").read_text())
    doc["generated"] = {"designer": "llm", "run_id": "gen_x", "model": "m"}
    (llm / "task.json").write_text(json.dumps(doc))
    refused = subprocess.run([str(BIN), "tasks", "derive", "--micro", "--out", str(tmp_path / "other"), str(llm)],
                             cwd=REPO, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "written by an LLM" in refused.stdout
    assert not (tmp_path / "other" / "penguins-species-micro").exists()


def test_derive_small_publishes_a_twin_where_no_micro_twin_keeps(tmp_path):
    """diamonds-price has no micro twin; `--small` derives, verifies and publishes one. penguins-species (258 training
    rows) has no small twin: refused, with what to do instead; the other parent is still published (exit 1)."""
    tasks_dir = tmp_path / "tasks"
    parents = [shutil.copytree(REPO / "tasks" / name, tmp_path / "parents" / name,
                               ignore=shutil.ignore_patterns("data", "__pycache__"))
               for name in ("diamonds-price", "penguins-species")]
    run = subprocess.run([str(BIN), "tasks", "derive", "--small", "--train-rows", "2000", "--out", str(tasks_dir),
                          "--rejected", str(tmp_path / "rejected"), "--json", *map(str, parents)],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    diamonds, penguins = json.loads(run.stdout)["twins"]
    assert diamonds["ok"] and diamonds["id"] == "diamonds-price-small", diamonds
    assert [s["outcome"] for s in diamonds["stages"]] == ["passed"] * 3
    manifest = json.loads((tasks_dir / "diamonds-price-small" / "task.json").read_text())
    assert {k: manifest["derived_from"][k] for k in ("task", "kind", "train_rows")} == {
        "task": "diamonds-price", "kind": "small", "train_rows": 2000}
    assert not penguins["ok"] and "derive a micro twin" in penguins["errors"][0]
    assert not (tasks_dir / "penguins-species-small").exists()

    # the kind is required, and its sizes are the kinds file's
    for arguments, message in ((["tasks", "derive", str(parents[1])], "name the kind of twin: --micro or --small"),
                               (["tasks", "derive", "--small", "--train-rows", "100", str(parents[1])],
                                "--train-rows must be 250 to 5000 for a small twin")):
        refused = subprocess.run([str(BIN), *arguments], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and message in refused.stderr, refused.stderr
