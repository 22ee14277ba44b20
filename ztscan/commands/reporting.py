"""Options and steps shared by every command that ends in a report: scan, demo, evaluate.

Order of the steps after evaluation: suppressions mark findings MUTED, the
control matrix is built, the baseline comparison is added, outputs are written,
and the exit code is computed from what remains.
"""

from __future__ import annotations

import argparse
import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from ztscan.app import App
from ztscan.model import Severity
from ztscan.output import check_output_path, write_atomic
from ztscan.provider import ConfigurationError, split_list
from ztscan.report import ExitCode, Report
from ztscan.reporters.base import Reporter

log = logging.getLogger(__name__)

FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "none")


def add_report_arguments(parser: argparse.ArgumentParser, app: App, fail_on_default: str = "low") -> None:
    formats = sorted(app.reporters)
    group = parser.add_argument_group("report and exit code")
    group.add_argument("--format", default="table", choices=formats,
                       help="output format written to stdout or to --output (default: table)")
    group.add_argument("--output", metavar="FILE",
                       help="write the --format output to FILE (atomically) instead of stdout")
    group.add_argument("--export", metavar="FORMAT:FILE", action="append", default=[],
                       help="also write the report in FORMAT to FILE; repeatable, "
                       "for example --export sarif:ztscan.sarif --export junit:ztscan.xml")
    group.add_argument("--fail-on", default=fail_on_default, choices=FAIL_ON_CHOICES,
                       help="exit with 1 when a gap of this severity or higher is found; "
                       f"'none' never fails on gaps (default: {fail_on_default})")
    group.add_argument("--allow-incomplete", action="store_true",
                       help="do not exit with 3 when some data could not be collected; "
                       "ERROR findings are still reported")
    group.add_argument("--baseline", metavar="REPORT.json",
                       help="a previous JSON report: only gaps that are new since then count for --fail-on")
    group.add_argument("--suppressions", metavar="FILE",
                       help="YAML or TOML file of suppressions, each with a reason, an owner and an expiry date")
    group.add_argument("--rules", metavar="PATTERNS",
                       help="comma-separated rule ids or names to run, globs allowed (default: all rules)")
    group.add_argument("--framework", default="all", metavar="ID",
                       help="which control catalogue leads the summary: hipaa, nprm, zero-trust, the id of a "
                       "catalogue given with --controls, or all (default: all)")
    group.add_argument("--controls", metavar="FILE", action="append", default=[],
                       help="an extra control catalogue of your own, in the documented format; repeatable")
    group.add_argument("--strict", action="store_true",
                       help="re-raise exceptions from rules and plugins instead of reporting ERROR (for plugin authors)")


def parse_exports(values: list[str], app: App) -> list[tuple[str, str]]:
    exports = []
    for value in values:
        name, separator, path = value.partition(":")
        if not separator or not path:
            raise ConfigurationError(f"--export {value!r}: expected FORMAT:FILE, for example sarif:ztscan.sarif")
        app.reporter(name)
        exports.append((name, path))
    return exports


def rule_patterns(args: argparse.Namespace) -> list[str] | None:
    if not args.rules:
        return None
    return split_list(args.rules)


def fail_on(args: argparse.Namespace) -> Severity | None:
    return None if args.fail_on == "none" else Severity(args.fail_on)


@dataclass
class Prepared:
    """Report inputs checked and loaded before any collection starts, so a typo fails in seconds."""

    reporter: Reporter
    exports: list[tuple[str, str]] = field(default_factory=list)
    suppressions: Any = None
    baseline: Any = None
    #: Control catalogues (built-in, from plugins and --controls) for the matrix.
    catalogues: list[Any] = field(default_factory=list)


def prepare(app: App, args: argparse.Namespace) -> Prepared:
    """Validate output targets, rule patterns, suppressions and the baseline; raise ConfigurationError."""
    prepared = Prepared(reporter=app.reporter(args.format), exports=parse_exports(args.export, app))
    for path in [args.output, getattr(args, "save_inventory", None), *(path for _, path in prepared.exports)]:
        if path:
            check_output_path(path)
    app.select_rules(rule_patterns(args))
    if args.suppressions:
        from ztscan.suppressions import load_suppressions

        prepared.suppressions = load_suppressions(args.suppressions, known_rule_ids={rule.id for rule in app.rules})
    if args.baseline:
        from ztscan.baseline import load_baseline

        prepared.baseline = load_baseline(args.baseline)
    from ztscan.controls import select_catalogues

    prepared.catalogues = app.control_catalogues(list(args.controls))
    select_catalogues(prepared.catalogues, args.framework)
    return prepared


def finish(app: App, report: Report, args: argparse.Namespace, prepared: Prepared | None = None) -> int:
    """Apply suppressions, matrix and baseline, write every output, and return the exit code."""
    prepared = prepared or prepare(app, args)
    report.metadata.setdefault("framework", args.framework)

    if prepared.suppressions is not None:
        outcome = prepared.suppressions.apply(report.findings, datetime.date.today())
        report.metadata["suppressions"] = outcome.to_dict()
    from ztscan.matrix import build_matrix

    build_matrix(report, prepared.catalogues)
    new_gaps = None
    if prepared.baseline is not None:
        from ztscan.baseline import compare, new_gaps as baseline_new_gaps

        report.baseline = compare(report, prepared.baseline)
        new_gaps = baseline_new_gaps(report, report.baseline)

    text = prepared.reporter.render(report)
    if args.output:
        write_atomic(args.output, text)
    else:
        app.out.write(text)
        if text and not text.endswith("\n"):
            app.out.write("\n")
    for name, path in prepared.exports:
        write_atomic(path, app.reporter(name).render(report))

    code = report.exit_code(fail_on(args), allow_incomplete=args.allow_incomplete, gaps=new_gaps)
    if args.output or args.format != "table":
        app.err.write(summary_line(report, code) + "\n")
    return int(code)


def summary_line(report: Report, code: ExitCode) -> str:
    counts = report.status_counts()
    state = "incomplete" if report.incomplete else "complete"
    return (f"ztscan: scan {state}: {counts['FAIL']} failed, {counts['ERROR']} errors, "
            f"{counts['PASS']} passed, {counts['MUTED']} muted; exit code {int(code)}")
