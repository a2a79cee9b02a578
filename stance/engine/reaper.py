"""A local Ray ends with the run that started it, even when the run is killed with SIGKILL.

`ray.init()` starts Ray's processes (GCS, raylet, agents, workers) as children of the
driver. Most follow the raylet when the driver dies, but Ray 2.60's dashboard and
runtime-env agents notice the raylet's death, call `sys.exit` and then hang in it
(measured: both still alive minutes after a `kill -9` of `stance analyze --engine ray`).
Nobody is left to stop them, so the driver starts a reaper first: a small process
that records the driver's descendants once a second and, when the driver's end of
its pipe closes (a normal end, or the driver's death), kills any of them still
running. On a normal end `ray.shutdown()` has already stopped them all.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from typing import Optional

RECORD_EVERY_S = 1.0


class Reaper:
    """The reaper process of this run; `close()` when Ray has been shut down."""

    def __init__(self) -> None:
        # its own session: a Ctrl-C or hang-up of the run's terminal must not stop it before the clean-up
        self._process: Optional[subprocess.Popen] = subprocess.Popen(
            [sys.executable, "-m", "stance.engine.reaper", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def close(self) -> None:
        """Close the pipe (the reaper then kills leftovers and exits) and wait for it."""
        if self._process is None:
            return
        self._process.stdin.close()
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process = None


def reap(driver_pid: int) -> int:
    """Record `driver_pid`'s descendants until standard input closes; then kill those still running.

    Returns how many were killed.
    """
    import psutil

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        driver = psutil.Process(driver_pid)
    except psutil.NoSuchProcess:
        return 0
    seen: dict[int, psutil.Process] = {}
    while True:
        try:
            for child in driver.children(recursive=True):
                seen.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass  # the driver is gone: its pipe is closed too, so the read below ends the loop
        readable, _, _ = select.select([sys.stdin], [], [], RECORD_EVERY_S)
        if readable and not os.read(sys.stdin.fileno(), 4096):
            break
    killed = 0
    for pid, process in seen.items():
        if pid == os.getpid():
            continue
        try:
            if process.is_running():  # psutil compares start times: a reused pid is not ours
                process.kill()
                killed += 1
        except psutil.Error:
            pass
    return killed


if __name__ == "__main__":
    reap(int(sys.argv[1]))
