"""Sessions made ahead of their reset (issue 12, point 4: a session ready to run soon after reset).
After a task's first reset the server makes one more session of it, worker warm; the next reset of the
task adopts it, so its first run does not wait for the worker's start. With `--spare-sessions 0`
every reset waits for its worker: ~1 s launched through bubblewrap, a few tens of ms forked from the
fork server. Spares are not sessions until taken: health counts only what clients opened.
"""

from __future__ import annotations

import time

TASK = "penguins-species"


def first_run_seconds(client) -> float:
    """reset → the first execute_code reply, in seconds; the session is closed after."""
    started = time.monotonic()
    session = client.reset(TASK)
    observation = session.execute_code("print(1)")
    seconds = time.monotonic() - started
    assert observation["result"]["execution"]["status"] == "SUCCESS", observation
    session.close()
    return seconds


def test_a_spare_makes_the_next_reset_of_a_task_ready_at_once(server_factory, tmp_path):
    srv = server_factory(workdir=tmp_path / "spares")
    with srv.client() as client:
        cold = first_run_seconds(client)  # the task's first reset: nothing made ahead
        time.sleep(4)  # the spare's worker imports meanwhile
        warm = first_run_seconds(client)
        assert client.health()["sessions"]["open"] == 0  # the new spare is no session
    # Wide margins: the warm path skips the imports (~1 s here), the cold one does not.
    assert warm < cold / 3, (cold, warm)


def test_without_spares_launched_workers_make_every_reset_wait(server_factory, tmp_path):
    srv = server_factory(workdir=tmp_path / "none", extra_args=["--spare-sessions", "0", "--worker-start", "bubblewrap"])
    with srv.client() as client:
        cold = first_run_seconds(client)
        time.sleep(4)
        again = first_run_seconds(client)
    assert again > cold / 3, (cold, again)


def test_without_spares_forked_workers_are_ready_at_once_after_the_first(server_factory, tmp_path):
    """The fork server (the default worker start) imports once; every later worker is a fork of it."""
    srv = server_factory(workdir=tmp_path / "forked", extra_args=["--spare-sessions", "0"])
    with srv.client() as client:
        cold = first_run_seconds(client)  # the fork server's imports
        again = [first_run_seconds(client) for _ in range(3)]
    assert sorted(again)[1] < cold / 3, (cold, again)
