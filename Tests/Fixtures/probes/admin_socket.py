# Agent-side probe, run inside a session's sandbox by the admin endpoint's tests (Swift and Python):
# can agent code see the admin socket at PATH (a line defining it is put above this text) or its
# folder, connect to it, or get a reply over ZeroMQ? Prints one JSON line.
import json
import os
import socket

out = {"socket": os.path.exists(PATH), "folder": os.path.exists(os.path.dirname(PATH))}  # noqa: F821
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(PATH)  # noqa: F821
    out["connect"] = "connected"
except OSError as error:
    out["connect"] = type(error).__name__
import zmq  # noqa: E402

ctx = zmq.Context()
z = ctx.socket(zmq.DEALER)
z.setsockopt(zmq.LINGER, 0)
z.connect("ipc://" + PATH)  # noqa: F821
z.send_multipart([b"", json.dumps({"v": 1, "id": "a", "action": "health"}).encode()])
out["zmq_reply"] = z.poll(2000) != 0
print(json.dumps(out))
