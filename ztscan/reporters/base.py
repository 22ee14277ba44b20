"""The interface of an output format."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ztscan.report import Report


@runtime_checkable
class Reporter(Protocol):
    """One output format, returned from the ``ztscan_reporters`` hook."""

    #: The value of ``--format``.
    name: str
    #: Default file suffix, with the dot (``.sarif``).
    suffix: str
    #: One line for ``--help``.
    description: str

    def render(self, report: Report) -> str:
        """Return the whole output as text; the CLI writes it to stdout or atomically to a file."""
