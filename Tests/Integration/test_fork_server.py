"""The fork server under bursts (serve --worker-start fork-server, the default): sessions opened and
closed faster than workers can be forked must not leave a queue of forks nobody wants ahead of the next
session's worker (each reset asks for a worker; a close before its turn makes the fork server skip it).
"""

from __future__ import annotations

import time

TASK = "penguins-species"


def test_a_burst_of_closed_sessions_does_not_delay_the_next_worker(server_factory, tmp_path):
    srv = server_factory(workdir=tmp_path / "burst", extra_args=["--spare-sessions", "0"])
    with srv.client() as client:
        client.reset(TASK).execute_code("print(1)")  # the fork server is up and warm
        started = time.monotonic()
        for _ in range(2000):  # ~3 ms each: faster than the fork server forks and confines workers
            client.reset(TASK).close()
        burst = time.monotonic() - started
        started = time.monotonic()
        observation = client.reset(TASK).execute_code("print(1)")
        waited = time.monotonic() - started
    assert observation["result"]["execution"]["status"] == "SUCCESS"
    # Without the skip, the 600 queued forks take ~15-20 s here; with it, a fork or two.
    print("BURST", burst, waited)
    assert waited < 8.0, (burst, waited)
