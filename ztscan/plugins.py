"""Plugin discovery and registration through the ``ztscan`` entry-point group."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Iterable

import pluggy

from ztscan import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ztscan"


@dataclass(frozen=True)
class PluginStatus:
    """How one entry point fared when ztscan loaded it."""

    name: str
    distribution: str
    version: str
    value: str
    loaded: bool
    error: str = ""


class PluginManager:
    """Wraps a pluggy manager and remembers which entry points failed to load."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.statuses: list[PluginStatus] = []

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def register(self, plugin: object, name: str) -> None:
        self.pm.register(plugin, name=name)

    def load_entry_points(self, entry_points: Iterable[metadata.EntryPoint] | None = None) -> None:
        """Import and register every entry point of the group.

        A plugin that fails to import or register is recorded with its error, and
        the others still load.
        """
        if entry_points is None:
            entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
        for entry_point in sorted(entry_points, key=lambda ep: ep.name):
            distribution = getattr(entry_point, "dist", None)
            dist_name = distribution.name if distribution is not None else "unknown"
            dist_version = distribution.version if distribution is not None else ""
            if self.pm.has_plugin(entry_point.name):
                # The same distribution can be seen twice (for example an editable install
                # next to a source checkout on sys.path); the first one wins.
                continue
            try:
                plugin = entry_point.load()
                self.pm.register(plugin, name=entry_point.name)
            except Exception as exc:  # a broken third-party plugin must not stop the scan
                error = f"{type(exc).__name__}: {exc}"
                log.warning("plugin %s (%s) failed to load: %s", entry_point.name, dist_name, error)
                self.statuses.append(
                    PluginStatus(entry_point.name, dist_name, dist_version, entry_point.value, False, error)
                )
                continue
            self.statuses.append(PluginStatus(entry_point.name, dist_name, dist_version, entry_point.value, True))

    def failed(self) -> list[PluginStatus]:
        return [status for status in self.statuses if not status.loaded]


def load_plugins() -> PluginManager:
    """Return a plugin manager with every installed ztscan plugin registered."""
    manager = PluginManager()
    manager.load_entry_points()
    return manager
