#!/usr/bin/env python3
"""The example agent that `make run` starts inside the akios cage.

An ordinary, unmodified program: it reads the notes in its workspace,
writes a small report next to them, prints a summary, and then checks a
few things the cage is meant to stop (each is expected to fail)."""
import json
import os
import socket
import sys


def summarise(workspace):
    words, lines, files = 0, 0, []
    for name in sorted(os.listdir(workspace)):
        path = os.path.join(workspace, name)
        if not name.endswith(".txt") or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        files.append(name)
        words += len(text.split())
        lines += text.count("\n")
    return {"files": files, "lines": lines, "words": words}


def attempt(what, fn):
    try:
        fn()
        return f"  {what}: ALLOWED (unexpected)"
    except OSError as e:
        return f"  {what}: blocked ({e.strerror})"


def main():
    workspace = os.path.join(os.getcwd(), "workspace")
    report = summarise(workspace)
    out = os.path.join(workspace, "result.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(f"hello-agent: read {len(report['files'])} file(s), "
          f"{report['words']} words; wrote workspace/result.json")
    print("the cage stopped:")
    home = os.environ.get("HOME", "/")
    checks = [
        ("reading ~/.ssh", lambda: os.listdir(os.path.join(home, ".ssh"))),
        ("writing outside the workspace",
         lambda: open("escape.txt", "w", encoding="utf-8")),
        ("reading /etc/shadow", lambda: open("/etc/shadow", "rb")),
    ]
    for what, fn in checks:
        print(attempt(what, fn))
    # Network isolation is shown without sending anything anywhere: the
    # cage's network namespace has no interface but loopback.
    nics = sorted(name for _, name in socket.if_nameindex())
    print(f"  network interfaces in the cage: {', '.join(nics)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
