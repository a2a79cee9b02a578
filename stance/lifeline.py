"""Child processes that end with their parent, even when the parent is killed with SIGKILL.

A worker that waits for work on a queue or pipe it also holds open (a
ProcessPoolExecutor worker holds both ends of its call queue) never reads
end-of-file when its parent dies, so after a `kill -9` of a run it would sleep
on as an orphan, holding its memory, and so would multiprocessing's resource
tracker, which waits for every holder of its pipe to exit. Each worker calls
`exit_with_parent` as it starts: on Linux the kernel sends it SIGKILL when the
parent dies (PR_SET_PDEATHSIG), and everywhere a daemon thread checks the
parent's pid once a second and ends the process when it has changed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Optional

CHECK_EVERY_S = 1.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _kernel_signal_on_parent_death() -> None:
    """Ask Linux to SIGKILL this process when its parent thread exits (elsewhere: nothing)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _watch(parent_pid: int) -> None:
    import time

    while True:
        if os.getppid() != parent_pid:  # re-parented: the parent is gone
            os._exit(1)  # no clean-up to run: whatever this process held belonged to the dead run
        time.sleep(CHECK_EVERY_S)


def exit_with_parent(parent_pid: Optional[int] = None) -> None:
    """End this process when its parent dies; call it first thing in a child process.

    `parent_pid`: the parent's pid as the parent saw it (pass `os.getpid()` from the parent),
    so a parent that died before this call is noticed too; default: the current parent.

    The kernel's signal also stops a child stuck in C code that holds the GIL (a regular
    expression on a hostile article), where the checking thread cannot run. It fires when the
    parent *thread* that started the child exits; stance starts its workers from the thread
    that runs the whole job, so that is the job's end, when the workers are stopped anyway.
    """
    expected = os.getppid() if parent_pid is None else parent_pid
    if os.getppid() != expected:
        os._exit(1)
    _kernel_signal_on_parent_death()
    threading.Thread(target=_watch, args=(expected,), name="stance-lifeline", daemon=True).start()
