#!/usr/bin/env python3
"""A loopback HTTP server speaking the OpenAI chat-completions wire format with scripted replies,
for the agent's tests (Swift and pytest).

    scripted_llm_server.py --script SCRIPT.json --port-file FILE [--log FILE]

SCRIPT.json is a list of entries, served in order, one per POST to .../chat/completions:
  {"content": "...", "usage": {"prompt_tokens": 10, "completion_tokens": 5} | null,
   "status": 200, "body": "<raw body, instead of a completion>", "headers": {"Retry-After": "0"},
   "delay_s": 0.0}
JSON mode and function calling are scripted too:
  {"json": {...}}  the content is this value as JSON text (what a JSON-mode reply looks like);
  {"tool_calls": [{"name": "execute_code", "arguments": {...} | "<raw JSON text>"}, ...],
   "content": null}  the message carries these calls (ids added, finish_reason "tool_calls").
A script may instead be ``{"routes": {"KEY": [entries...], ...}}``: each request takes the next entry of
the first route whose KEY occurs in the first line of its first system message (one queue per agent
role, e.g. "Designer"), so several agents can share one server in any order. When the script runs out, ``{"repeat_last": true}`` as the last entry repeats it; otherwise every
later request gets a ``finish`` action in the request's format (a tool call when the request offers
tools, a JSON object when it asks for response_format json_object, else a fenced block). Each request (path, headers, JSON body) is appended to
--log as one JSON line. The bound port is written to --port-file once the server listens.
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FINISH = 'Reasoning: done.\n```json\n{"action": "finish", "params": {}}\n```'


def finish_entry(request):
    """The default entry once the script runs out: finish, in the format the request asks for."""
    request = request or {}
    if request.get("tools"):
        return {"tool_calls": [{"name": "finish", "arguments": {}}], "content": None}
    if (request.get("response_format") or {}).get("type") == "json_object":
        return {"json": {"action": "finish", "params": {}}}
    return {"content": FINISH}


def message_of(entry):
    """The assistant message and finish_reason an entry scripts."""
    content = json.dumps(entry["json"]) if "json" in entry else entry.get("content", "")
    message = {"role": "assistant", "content": content}
    if "tool_calls" not in entry:
        return message, "stop"
    calls = []
    for index, call in enumerate(entry["tool_calls"]):
        arguments = call.get("arguments", {})
        calls.append({"id": f"call_{index}", "type": "function",
                      "function": {"name": call["name"],
                                   "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}})
    message["tool_calls"] = calls
    return message, "tool_calls"


def first_system_line(request):
    for message in (request or {}).get("messages") or []:
        if message.get("role") == "system":
            return (message.get("content") or "").split("\n", 1)[0]
    return ""


class RoutedScript:
    """One queue of entries per route key, chosen by the request's system prompt."""

    def __init__(self, routes):
        self.routes = {key: Script(entries) for key, entries in routes.items()}

    def next(self, request=None):
        line = first_system_line(request)
        for key, script in self.routes.items():
            if key in line:
                return script.next(request)
        return finish_entry(request)


class Script:
    def __init__(self, entries):
        self.repeat_last = bool(entries) and entries[-1] == {"repeat_last": True}
        self.entries = entries[:-1] if self.repeat_last else entries
        self.index = 0
        self.lock = threading.Lock()

    def next(self, request=None):
        with self.lock:
            if self.index < len(self.entries):
                entry = self.entries[self.index]
                self.index += 1
                return entry
            if self.repeat_last and self.entries:
                return self.entries[-1]
            return finish_entry(request)


def make_handler(script, log_path):
    log_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if log_path:
                with log_lock, open(log_path, "a") as log:
                    log.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()), "body": body}) + "\n")
            entry = script.next(body if isinstance(body, dict) else None)
            if entry.get("delay_s"):
                time.sleep(entry["delay_s"])
            status = entry.get("status", 200)
            if "body" in entry:
                payload = entry["body"].encode()
            else:
                usage = entry.get("usage", {"prompt_tokens": 100, "completion_tokens": 20})
                message, finish_reason = message_of(entry)
                completion = {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                    "model": (body or {}).get("model", "scripted"),
                    "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                }
                if usage is not None:
                    usage = dict(usage)
                    usage.setdefault("total_tokens", usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0))
                    completion["usage"] = usage
                payload = json.dumps(completion).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in entry.get("headers", {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

    Handler.disable_nagle_algorithm = True
    return Handler


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    with open(args.script) as f:
        loaded = json.load(f)
    script = RoutedScript(loaded["routes"]) if isinstance(loaded, dict) else Script(loaded)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(script, args.log))
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
