"""User-facing errors.

Anything raised as an ``XstiltsError`` is a problem with the user's input (config, data, model id), and the
command line prints its message without a traceback. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class XstiltsError(Exception):
    """A problem the user can fix; the message says what and where."""


class ConfigError(XstiltsError):
    """An experiment file or override that cannot be used."""


class DataFormatError(XstiltsError):
    """A data file that does not match its official format; names the file and, where it has one, the line."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


class ModelLoadError(XstiltsError):
    """A model id or directory that cannot be loaded."""


# EX_TEMPFAIL (sysexits.h): "temporary failure, the user is invited to retry": run again (or requeue) to resume.
REQUEUE_EXIT = 75


class Preempted(Exception):
    """A training phase asked to stop (SIGTERM or SIGUSR1, what SLURM sends before a preemption or the time limit)
    that wrote a checkpoint at its next step boundary and stopped; running the same command again resumes it.
    Not an ``XstiltsError``: nothing is wrong with the input, and the command line exits ``REQUEUE_EXIT``."""

    def __init__(self, signal_name: str, step: int, workdir: str) -> None:
        super().__init__(f"{signal_name} received: checkpoint written at step {step} in {workdir}")
        self.signal_name = signal_name
        self.step = step
