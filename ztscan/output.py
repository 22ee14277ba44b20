"""Write outputs atomically, so a failed or interrupted run never leaves a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ztscan.provider import ConfigurationError


def check_output_path(path: str | os.PathLike[str]) -> None:
    """Raise ConfigurationError when ``path`` cannot be an output file, before any work is done."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigurationError(f"cannot write {target}: directory {directory} does not exist; create it first")
    if target.is_dir():
        raise ConfigurationError(f"cannot write {target}: it is a directory; give a file name, "
                                 f"for example {target / 'ztscan-report.json'}")
    if not os.access(directory, os.W_OK):
        raise ConfigurationError(f"cannot write {target}: directory {directory} is not writable")


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename."""
    target = Path(path)
    check_output_path(target)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException as exc:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise ConfigurationError(f"cannot write {target}: {exc.strerror or exc}") from None
        raise
