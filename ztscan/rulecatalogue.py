"""Load and validate rule catalogues: the text and mappings of every rule, kept as data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import jsonschema
import yaml

from ztscan.model import Severity
from ztscan.provider import ConfigurationError

BUILTIN_RULES_FILE = "rules.yaml"


@dataclass(frozen=True)
class RuleMeta:
    """Human-readable metadata of a rule: title, rationale, remediation, severity and compliance mappings."""

    id: str
    name: str
    title: str
    severity: Severity
    pillar: str
    rationale: str
    remediation: Mapping[str, str]
    hipaa: tuple[str, ...]
    nprm: tuple[str, ...]
    coverage: str = "partial"
    references: tuple[str, ...] = ()
    source: str = ""

    def remediation_for(self, provider: str) -> str:
        return self.remediation.get(provider) or self.remediation["default"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "severity": self.severity.value,
            "pillar": self.pillar,
            "rationale": self.rationale,
            "remediation": dict(self.remediation),
            "hipaa": list(self.hipaa),
            "nprm": list(self.nprm),
            "coverage": self.coverage,
            "references": list(self.references),
        }


@dataclass
class RuleCatalogue:
    rules: dict[str, RuleMeta] = field(default_factory=dict)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def __getitem__(self, rule_id: str) -> RuleMeta:
        return self.rules[rule_id]

    def add(self, meta: RuleMeta) -> None:
        if meta.id in self.rules:
            raise ConfigurationError(
                f"{meta.source}: rule {meta.id} is already defined in {self.rules[meta.id].source}; "
                "give the rule a unique id"
            )
        self.rules[meta.id] = meta


def mappings_path(*parts: str) -> Any:
    """Return a Traversable for a file shipped under ``mappings/`` (installed as ztscan.mappings).

    When ztscan is imported from a source checkout that is not installed (the
    repository root on sys.path), the package is not importable under that name
    and the checkout's own mappings/ directory is used.
    """
    try:
        node = resources.files("ztscan.mappings")
    except ModuleNotFoundError:
        node = Path(__file__).resolve().parent.parent / "mappings"
    for part in parts:
        node = node.joinpath(part)
    return node


def _schema() -> dict[str, Any]:
    return json.loads(mappings_path("schemas", "rules.schema.json").read_text(encoding="utf-8"))


#: Largest YAML configuration file (suppressions, catalogues, tenants) read, in characters:
#: about 25,000 suppression entries. PyYAML's pure-Python parser is slow (a 7 MB suppression
#: file took 46 s on a 2-core test machine), so a much larger file would stall the run.
MAX_YAML_CHARS = 2_000_000


#: Loader for the mapping files shipped inside the package: libyaml's safe loader when PyYAML
#: was built with it (about ten times faster on the built-in files, measured in
#: docs/benchmarks.md), the pure-Python one otherwise. User files keep ``yaml.SafeLoader``:
#: libyaml's composer recurses in C, so a deeply nested hostile file could exhaust the C stack
#: instead of raising the RecursionError that read_yaml reports.
BUILTIN_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str, source: str, loader: type[Any] = yaml.SafeLoader) -> Any:
    """Parse YAML safely, naming the file and line in the error.

    ``loader`` may be a subclass of ``yaml.SafeLoader`` that resolves fewer types, or
    BUILTIN_LOADER for the files shipped with ztscan.
    Files larger than MAX_YAML_CHARS and documents nested deeper than Python's
    recursion limit raise ConfigurationError.
    """
    if len(text) > MAX_YAML_CHARS:
        raise ConfigurationError(
            f"{source}: the file has {len(text):,} characters, more than the limit of {MAX_YAML_CHARS:,} "
            "for a ztscan YAML file; split it or remove unused entries")
    try:
        return yaml.load(text, Loader=loader)
    except RecursionError:
        raise ConfigurationError(f"{source}: invalid YAML: the document is nested too deeply; "
                                 "flatten its lists and mappings") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigurationError(f"{source}: invalid YAML{where}: {problem}") from None


def schema_error_message(source: str, error: jsonschema.ValidationError) -> str:
    """Describe a schema violation by file, entry path and problem."""
    path = "/".join(str(part) for part in error.absolute_path) or "(top level)"
    return f"{source}: entry {path}: {error.message}"


def parse_rule_catalogue(data: Any, source: str) -> list[RuleMeta]:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = schema_error_message(source, errors[0])
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ConfigurationError(f"{first}{more}; fix the entry and run again")
    metas = []
    for rule_id, entry in data["rules"].items():
        metas.append(
            RuleMeta(
                id=rule_id,
                name=entry["name"],
                title=entry["title"],
                severity=Severity(entry["severity"]),
                pillar=entry["pillar"],
                rationale=entry["rationale"].strip(),
                remediation={key: value.strip() for key, value in entry["remediation"].items()},
                hipaa=tuple(entry["hipaa"]),
                nprm=tuple(entry["nprm"]),
                coverage=entry.get("coverage", "partial"),
                references=tuple(entry.get("references", ())),
                source=source,
            )
        )
    return metas


def load_rule_catalogue(extra_files: Iterable[Path] = ()) -> RuleCatalogue:
    """Load the built-in rule catalogue plus any extra files from plugins."""
    catalogue = RuleCatalogue()
    builtin = mappings_path(BUILTIN_RULES_FILE)
    for meta in parse_rule_catalogue(read_yaml(builtin.read_text(encoding="utf-8"), "mappings/rules.yaml",
                                                     loader=BUILTIN_LOADER),
                                     "mappings/rules.yaml"):
        catalogue.add(meta)
    for path in extra_files:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"{path}: cannot read rule catalogue: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigurationError(f"{path}: rule catalogue is not UTF-8 text; save it as UTF-8 YAML") from None
        for meta in parse_rule_catalogue(read_yaml(text, str(path)), str(path)):
            catalogue.add(meta)
    return catalogue
