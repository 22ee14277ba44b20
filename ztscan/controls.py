"""Control catalogues (HIPAA in force, the proposed 2025 rule, zero-trust pillars, user files) and the control matrix.

Loading
-------
:func:`load_catalogues` reads the built-in catalogues under ``mappings/catalogues/``
and any extra files (``--controls FILE`` and the ``ztscan_control_catalogues``
hook), validates each against ``mappings/schemas/catalogue.schema.json``, then
checks them together with the rule catalogue: duplicate catalogue or control
ids, unknown parents, unknown rule ids, citations in ``mappings/rules.yaml``
that no catalogue defines, ``replaces``/``extends`` links that are not
citations in force, and assessable controls that no rule backs and that do not
say why (``not_covered``). Every problem raises
:class:`ztscan.provider.ConfigurationError` naming the file, the entry and the fix.

Built-in catalogues link to rules through a field of ``mappings/rules.yaml``
(``rule_field``: ``hipaa``, ``nprm`` or ``pillar``); a control may also list
rule ids itself (``rules:``), which is how user catalogues map their controls.

The control matrix computed from these catalogues, and its exact layout, are
in :mod:`ztscan.matrix`; :func:`build_matrix` is re-exported here.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import jsonschema

from ztscan.matrix import ControlStatus, build_matrix
from ztscan.provider import ConfigurationError
from ztscan.rulecatalogue import BUILTIN_LOADER, RuleCatalogue, RuleMeta, load_rule_catalogue, mappings_path, read_yaml

log = logging.getLogger(__name__)

#: Built-in catalogue files under mappings/catalogues/, in matrix order.
BUILTIN_CATALOGUES = ("hipaa.yaml", "nprm.yaml", "zero-trust.yaml")
#: The catalogue that contains the citations in force, which ``replaces`` and ``extends`` point at.
IN_FORCE_CATALOGUE = "hipaa"
PROPOSED_LABEL = "PROPOSED"


@dataclass(frozen=True)
class Control:
    """One control of a catalogue. ``rules`` contains every rule id mapped to it, resolved at load time."""

    id: str
    name: str
    type: str
    assessable: bool
    description: str = ""
    requires: str = ""
    note: str = ""
    evidence: tuple[str, ...] = ()
    parent: str | None = None
    listed_rules: tuple[str, ...] = ()
    not_covered: str | None = None
    proposed: bool = False
    replaces: tuple[str, ...] = ()
    extends: tuple[str, ...] = ()
    new_requirement: bool = False
    rules: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return PROPOSED_LABEL if self.proposed else ""


@dataclass
class Catalogue:
    id: str
    title: str
    status: str
    source_file: str
    controls: list[Control] = field(default_factory=list)
    proposed: bool = False
    label: str = ""
    timeline: str = ""
    source: str = ""
    url: str = ""
    rule_field: str | None = None
    description: str = ""

    def get(self, control_id: str) -> Control | None:
        return next((control for control in self.controls if control.id == control_id), None)

    def ids(self) -> set[str]:
        return {control.id for control in self.controls}

    def header(self) -> dict[str, Any]:
        """Return the catalogue's descriptive fields, as they appear in the matrix and ``ztscan controls``."""
        return {"id": self.id, "title": self.title, "status": self.status, "proposed": self.proposed,
                "label": self.label, "timeline": self.timeline, "source": self.source, "url": self.url}


# -- parsing one file ---------------------------------------------------------


def _schema() -> dict[str, Any]:
    return json.loads(mappings_path("schemas", "catalogue.schema.json").read_text(encoding="utf-8"))


_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "true or false",
               "integer": "an integer"}


def _fix_for(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return "add the missing field"
    if error.validator == "additionalProperties":
        return "remove or rename the unknown field (see docs/catalogues.md)"
    if error.validator == "type" and not error.absolute_path:
        return "the file must be a YAML mapping with the keys version, catalogue and controls"
    if error.validator == "type":
        return f"change the value to {_TYPE_NAMES.get(str(error.validator_value), error.validator_value)}"
    if error.validator in ("enum", "const"):
        return "use one of the allowed values"
    return "fix the entry as docs/catalogues.md describes"


def _describe_entry(data: Any, path: Sequence[Any]) -> str:
    """Name a schema error's entry, adding the control id when the path goes through one."""
    text = "/".join(str(part) for part in path) or "(top level)"
    if len(path) >= 2 and path[0] == "controls" and isinstance(path[1], int):
        try:
            control_id = data["controls"][path[1]].get("id")
        except (AttributeError, IndexError, KeyError, TypeError):
            control_id = None
        if isinstance(control_id, str):
            text += f" (control {control_id})"
    return text


def parse_catalogue(data: Any, source: str) -> Catalogue:
    """Validate parsed YAML against the catalogue schema and build a :class:`Catalogue`."""
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(part) for part in e.absolute_path])
    if errors:
        error = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        entry = _describe_entry(data, list(error.absolute_path))
        raise ConfigurationError(f"{source}: entry {entry}: {error.message}; {_fix_for(error)}{more}")

    header = data["catalogue"]
    proposed = bool(header.get("proposed", False))
    catalogue = Catalogue(
        id=header["id"], title=header["title"], status=header["status"], source_file=source,
        proposed=proposed, label=header.get("label", PROPOSED_LABEL if proposed else ""),
        timeline=header.get("timeline", "").strip(), source=header.get("source", ""),
        url=header.get("url", ""), rule_field=header.get("rule_field"),
        description=header.get("description", "").strip(),
    )
    seen: dict[str, int] = {}
    for index, entry in enumerate(data["controls"]):
        control_id = entry["id"]
        if control_id in seen:
            raise ConfigurationError(
                f"{source}: entry controls/{index} (control {control_id}): duplicate control id, "
                f"already defined at controls/{seen[control_id]}; give each control a unique id"
            )
        seen[control_id] = index
        catalogue.controls.append(Control(
            id=control_id, name=entry["name"], type=entry["type"], assessable=entry["assessable"],
            description=entry.get("description", "").strip(), requires=entry.get("requires", "").strip(),
            note=entry.get("note", "").strip(), evidence=tuple(entry.get("evidence", ())),
            parent=entry.get("parent"), listed_rules=tuple(entry.get("rules", ())),
            not_covered=entry.get("not_covered"), proposed=proposed or bool(entry.get("proposed", False)),
            replaces=tuple(entry.get("replaces", ())), extends=tuple(entry.get("extends", ())),
            new_requirement=bool(entry.get("new_requirement", False)),
        ))
    for index, control in enumerate(catalogue.controls):
        if control.parent is not None and control.parent not in seen:
            raise ConfigurationError(
                f"{source}: entry controls/{index} (control {control.id}): parent {control.parent!r} is not a "
                "control of this catalogue; use the id of an existing control or remove 'parent'"
            )
    return catalogue


def read_catalogue(path: Path | str) -> Catalogue:
    """Read and validate one user or plugin catalogue file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read control catalogue: {exc.strerror}; "
                                 "check the path given to --controls") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path}: control catalogue is not UTF-8 text; save it as UTF-8 YAML") from None
    catalogue = parse_catalogue(read_yaml(text, str(path)), str(path))
    if catalogue.rule_field is not None:
        raise ConfigurationError(
            f"{path}: entry catalogue/rule_field: only the built-in catalogues link through mappings/rules.yaml; "
            "remove 'rule_field' and list rule ids per control with 'rules:'"
        )
    return catalogue


def read_builtin_catalogues() -> list[Catalogue]:
    catalogues = []
    for name in BUILTIN_CATALOGUES:
        source = f"mappings/catalogues/{name}"
        text = mappings_path("catalogues", name).read_text(encoding="utf-8")
        catalogues.append(parse_catalogue(read_yaml(text, source, loader=BUILTIN_LOADER), source))
    return catalogues


# -- cross-validation ---------------------------------------------------------


def _rule_values(meta: RuleMeta, rule_field: str) -> tuple[str, ...]:
    value = getattr(meta, rule_field)
    return (value,) if isinstance(value, str) else tuple(value)


def _cross_check(catalogues: list[Catalogue], rules: Mapping[str, RuleMeta]) -> list[str]:
    """Return every inconsistency between the catalogues and the rule catalogue, each naming file, entry and fix."""
    problems: list[str] = []
    owners: dict[str, Catalogue] = {}
    for catalogue in catalogues:
        if catalogue.id in owners:
            problems.append(f"{catalogue.source_file}: entry catalogue/id: catalogue id {catalogue.id!r} is already "
                            f"used by {owners[catalogue.id].source_file}; choose another id")
        owners.setdefault(catalogue.id, catalogue)

    by_field = {catalogue.rule_field: catalogue for catalogue in catalogues if catalogue.rule_field}
    for rule_id, meta in sorted(rules.items()):
        for rule_field, catalogue in by_field.items():
            known = catalogue.ids()
            for citation in _rule_values(meta, rule_field):
                if citation not in known:
                    problems.append(
                        f"{meta.source or 'mappings/rules.yaml'}: entry rules/{rule_id}/{rule_field}: {citation!r} is "
                        f"not a control of catalogue {catalogue.id} ({catalogue.source_file}); use one of its "
                        "control ids or add the control to the catalogue"
                    )

    in_force = owners.get(IN_FORCE_CATALOGUE)
    for catalogue in catalogues:
        for index, control in enumerate(catalogue.controls):
            where = f"{catalogue.source_file}: entry controls/{index} (control {control.id})"
            for rule_id in control.listed_rules:
                if rule_id not in rules:
                    problems.append(f"{where}: unknown rule id {rule_id!r}; run 'ztscan rules' to list the rule ids")
            for link in ("replaces", "extends"):
                for citation in getattr(control, link):
                    if in_force is not None and citation not in in_force.ids():
                        problems.append(f"{where}: {link} {citation!r} is not a citation in force in "
                                        f"{in_force.source_file}; use one of its control ids")
            if catalogue.rule_field and control.proposed and not (control.replaces or control.extends):
                problems.append(f"{where}: a proposed control needs 'replaces' or 'extends' naming the citation "
                                "in force it changes; add one")
    return problems


def _resolve_rules(catalogue: Catalogue, rules: Mapping[str, RuleMeta]) -> None:
    mapped: dict[str, list[str]] = defaultdict(list)
    if catalogue.rule_field:
        for rule_id, meta in sorted(rules.items()):
            for citation in _rule_values(meta, catalogue.rule_field):
                mapped[citation].append(rule_id)
    resolved = []
    for control in catalogue.controls:
        rule_ids = sorted(set(mapped.get(control.id, [])) | set(control.listed_rules))
        resolved.append(replace(control, rules=tuple(rule_ids)))
    catalogue.controls = resolved


def _uncovered(catalogue: Catalogue) -> list[str]:
    problems = []
    for index, control in enumerate(catalogue.controls):
        if control.assessable and not control.rules and not control.not_covered:
            problems.append(
                f"{catalogue.source_file}: entry controls/{index} (control {control.id}): assessable control has no "
                "rule; map a rule to it, set 'assessable: false' with 'evidence', or add 'not_covered' with the reason"
            )
        elif control.assessable and control.rules and control.not_covered:
            log.warning("%s: control %s sets not_covered but rules %s map to it; remove 'not_covered'",
                        catalogue.source_file, control.id, ", ".join(control.rules))
    return problems


def load_catalogues(extra_paths: Iterable[Path | str] = (),
                    rule_catalogue: RuleCatalogue | Mapping[str, RuleMeta] | None = None) -> list[Catalogue]:
    """Load the built-in catalogues and the extra files, validated against each other and the rules.

    ``rule_catalogue`` is a :class:`RuleCatalogue` or a mapping of rule ids to
    their entries; when None, the built-in rule catalogue is loaded. Raise
    :class:`ConfigurationError` listing every problem found.
    """
    if rule_catalogue is None:
        rule_catalogue = load_rule_catalogue()
    rules: Mapping[str, RuleMeta] = (rule_catalogue.rules if isinstance(rule_catalogue, RuleCatalogue)
                                     else rule_catalogue)
    catalogues = read_builtin_catalogues()
    catalogues.extend(read_catalogue(path) for path in extra_paths)
    problems = _cross_check(catalogues, rules)
    for catalogue in catalogues:
        _resolve_rules(catalogue, rules)
        problems.extend(_uncovered(catalogue))
    if len(problems) == 1:
        raise ConfigurationError(problems[0])
    if problems:
        listed = "\n  ".join(problems)
        raise ConfigurationError(f"{len(problems)} problems in the control catalogues:\n  {listed}")
    log.debug("loaded %d control catalogues with %d controls", len(catalogues),
              sum(len(catalogue.controls) for catalogue in catalogues))
    return catalogues


def select_catalogues(catalogues: list[Catalogue], framework: str) -> list[Catalogue]:
    """Return the catalogues named by ``--framework`` (a catalogue id, or ``all``)."""
    if framework == "all":
        return list(catalogues)
    chosen = [catalogue for catalogue in catalogues if catalogue.id == framework]
    if not chosen:
        known = ", ".join(["all", *(catalogue.id for catalogue in catalogues)])
        raise ConfigurationError(f"--framework: unknown framework {framework!r}; choose one of: {known}")
    return chosen

__all__ = ["Catalogue", "Control", "ControlStatus", "build_matrix", "load_catalogues",
           "read_builtin_catalogues", "read_catalogue", "select_catalogues"]
