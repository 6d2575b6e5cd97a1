"""A command's own CPU time and peak RSS, for the tests and benchmarks that bound them.

A small launcher process starts the command and reports its usage (wait4): a child forked straight
from pytest or a benchmark would count that process's memory as its own until it runs the command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss], out)
"""


def launched(command: list[str], cwd: Path, prefix: tuple[str, ...] = ()) -> tuple[int, float, float, str, str]:
    """(exit status, CPU s, peak RSS MB, stdout, stderr) of ``command``; ``prefix`` runs the
    launcher under another command (taskset)."""
    with tempfile.TemporaryDirectory() as scratch:
        usage = Path(scratch) / "usage.json"
        result = subprocess.run(
            [*prefix, sys.executable, "-c", LAUNCHER, str(usage), *command], cwd=cwd, capture_output=True, text=True
        )
        status, cpu, peak_kb = json.loads(usage.read_text()) if usage.exists() else (result.returncode, 0.0, 0)
    return status, cpu, peak_kb / 1024, result.stdout, result.stderr
