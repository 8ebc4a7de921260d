"""One lock per phase, so that two drivers on one run directory never train or evaluate the same phase at once.

``<run>/locks/<phase id>.lock`` is a ``filelock.SoftFileLock``: the file is created exclusively (``O_EXCL``, which
network filesystems honour where ``flock`` is not to be trusted) and holds its owner's pid and host name. A lock
whose owner is provably gone (same host, no such process) is stale, and the next driver breaks it; one held on
another host is never broken, since its process cannot be probed from here. A driver that finds a phase held
skips it for now and comes back to it; when it gets the lock it first looks again whether the phase is done, so a
phase the other driver finished is indexed, not computed again.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from filelock import SoftFileLock, Timeout

LOCKS = "locks"


class PhaseLocks:
    """The phase locks of one run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.folder = run_dir / LOCKS

    def path(self, phase_id: str) -> Path:
        return self.folder / f"{phase_id}.lock"

    def try_acquire(self, phase_id: str) -> SoftFileLock | None:
        """The phase's lock, now held by this process; ``None`` when another live process holds it (a stale lock
        is broken on the way)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = SoftFileLock(self.path(phase_id), timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            return None
        return lock

    def holder(self, phase_id: str) -> str:
        """Who holds the phase's lock, as its file names them: ``pid 123 on host node7``."""
        try:
            fields = self.path(phase_id).read_text(encoding="utf-8").split("\n")
        except OSError:
            return "another process (gone now)"
        pid = fields[0] if fields and fields[0] else "?"
        host = fields[1] if len(fields) > 1 and fields[1] else "?"
        mine = host == socket.gethostname() and pid == str(os.getpid())
        return "this process" if mine else f"pid {pid} on host {host}"
