"""The ztscan plugin contract: every hook a plugin may implement.

Plugins are found through the ``ztscan`` entry-point group. The value of an entry
point is a module (or object) holding functions decorated with
:data:`ztscan.hookspecs.hookimpl`. ztscan's own AWS provider, rules and reporters
register exactly this way, so a third-party package has the same powers.

Hooks are grouped by phase: collect (providers), evaluate (rules and control
catalogues), report (reporters). Every hook returns a list; pluggy concatenates
the lists of all plugins. A hook must not do I/O at import time, and must not
print: only reporters and the CLI write to stdout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover - imports for type checkers only
    from pathlib import Path

    from ztscan.provider import Provider
    from ztscan.reporters.base import Reporter
    from ztscan.rules.base import Rule

PROJECT = "ztscan"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- collect -----------------------------------------------------------------


@hookspec
def ztscan_providers() -> "list[Provider]":
    """Return the cloud providers this plugin adds.

    Called once when the plugin manager starts. Each provider is an object that
    follows :class:`ztscan.provider.Provider`: a unique ``name`` (``aws``), the CLI
    options of ``ztscan scan <name>``, a ``collect`` method that turns a target
    into an :class:`ztscan.model.Inventory`, and the list of API operations it
    may call. Creating the provider object must be cheap: import the cloud SDK
    inside ``collect``, not at module level, so that ``ztscan --help`` stays fast.
    Return an empty list to add nothing.
    """


# -- evaluate ----------------------------------------------------------------


@hookspec
def ztscan_rules() -> "list[Rule]":
    """Return the rules this plugin adds.

    Called once when the engine loads its rule set. Each item is a
    :class:`ztscan.rules.base.Rule`: a pure function over the inventory with the
    resource kind it evaluates and the facts it reads. Every rule id must have an
    entry (title, severity, rationale, remediation, mappings) in a rule catalogue:
    ``mappings/rules.yaml`` for built-in rules, or a file returned by
    :func:`ztscan_rule_catalogues` for a plugin's own rules. A rule id that is
    defined twice, or that has no catalogue entry, stops the run with an error.
    """


@hookspec
def ztscan_rule_catalogues() -> "list[Path]":
    """Return paths of extra rule catalogue files (same format as ``mappings/rules.yaml``).

    Called once at start, before rules are validated. A plugin that adds rules
    returns the file that holds their titles, rationale, remediation and mappings.
    """


@hookspec
def ztscan_control_catalogues() -> "list[Path]":
    """Return paths of extra control catalogue files (same format as ``mappings/catalogues/*.yaml``).

    Called once at start. Use it to ship a catalogue of an organisation's own
    policy ids or of another framework, mapped to ztscan rule ids. The files are
    validated like the built-in ones; an invalid file stops the run with an error
    that names the file and the entry.
    """


# -- report ------------------------------------------------------------------


@hookspec
def ztscan_reporters() -> "list[Reporter]":
    """Return the output formats this plugin adds.

    Called once when the CLI builds its ``--format`` choices. Each reporter has a
    unique ``name`` (the value of ``--format``), a default file suffix and a
    ``render(report) -> str`` method. A reporter must not write files itself: the
    CLI writes its output atomically.
    """
