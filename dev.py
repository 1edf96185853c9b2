#!/usr/bin/env python3
"""Set up jiuzhu in ./.venv (once, and again whenever pyproject.toml changes), then run it.

    python3 dev.py demo [ARGS]    the demo on an SQLite file (jiuzhu demo --help for ARGS)
    python3 dev.py test [ARGS]    the whole test suite, one worker per core (ARGS go to pytest;
                                  -n 0 runs it in one process)
    python3 dev.py bench [ARGS]   bench/transitions.py (see bench/README.md)
    python3 dev.py jiuzhu [ARGS]  any jiuzhu command, e.g. python3 dev.py jiuzhu --help

Needs nothing but Python 3.11+; the packages come from the package index.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".jiuzhu-installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"jiuzhu needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("dev.py: creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("dev.py: installing jiuzhu and its dependencies into .venv ...", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_fingerprint())


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist options: one worker per core, each test file whole on one worker (a file's
    module fixtures, such as the demo's year, are built once); none if ARGS choose already."""
    if any(a == "-n" or a.startswith(("-n", "--numprocesses", "--dist")) for a in args):
        return []
    if "no:xdist" in args:
        return []
    return ["-n", "auto", "--dist", "loadfile"]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "bench", "jiuzhu"}:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_environment()
    command, args = argv[0], argv[1:]
    python = str(BIN / "python")
    if command == "demo":
        cmd = [python, "-m", "jiuzhu.cli", "demo", *args]
    elif command == "test":
        cmd = [python, "-m", "pytest", *parallel(args), *args]
    elif command == "bench":
        cmd = [python, str(ROOT / "bench" / "transitions.py"), *args]
    else:
        cmd = [python, "-m", "jiuzhu.cli", *args]
    return subprocess.run(cmd, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
