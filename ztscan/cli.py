"""Command-line entry point: ``ztscan`` and ``python -m ztscan``."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import logging
import sys
from typing import Sequence, TextIO

from ztscan import __version__
from ztscan.app import App
from ztscan.provider import ConfigurationError
from ztscan.redaction import redact
from ztscan.report import ExitCode

#: Command modules under ztscan/commands/, each with register(subparsers) and run(args, app) -> int.
COMMAND_MODULES = ("scan", "demo", "collect", "evaluate", "diff", "inventory", "rules", "controls", "permissions", "plugins", "merge")

EPILOG = """\
exit codes:
  0  the scan is complete and found no gap at or above --fail-on
  1  at least one gap (FAIL) at or above --fail-on
  2  usage or configuration error (bad option, unreadable input, missing credentials)
  3  the scan is incomplete: a rule could not be evaluated somewhere (ERROR findings)
     because its data could not be collected or it crashed (takes precedence over 1
     unless --allow-incomplete is given)
"""


def build_parser(app: App) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ztscan",
        description="Check cloud estates against zero-trust practice and the HIPAA Security Rule, "
        "including the controls of the proposed 2025 HIPAA Security Rule update.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ztscan {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log progress to stderr (-v for info, -vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"ztscan.commands.{name}")
        # Commands that build options from the installed plugins (scan) take the app too.
        if len(inspect.signature(module.register).parameters) >= 2:
            module.register(subparsers, app)
        else:
            module.register(subparsers)
    return parser


class RedactingFilter(logging.Filter):
    """Replace credentials in log records (from ztscan or the SDKs) before any handler writes them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def configure_logging(verbosity: int, stream: TextIO) -> None:
    if verbosity <= 0:
        level = logging.WARNING
    elif verbosity == 1:
        level = logging.INFO
    else:
        level = logging.DEBUG
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("ztscan: %(levelname)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger("ztscan")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # Third-party plugin packages log under their own names; SDK loggers stay quiet unless -vv.
    for name in ("ztscan_aws", "ztscan_azure", "ztscan_gcp"):
        logging.getLogger(name).handlers[:] = [handler]
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).propagate = False
    # SDK debug logs can print request headers, so they go through the same redacting handler.
    sdk_level = logging.DEBUG if verbosity >= 3 else logging.WARNING
    for name in ("botocore", "boto3", "urllib3", "azure", "google", "werkzeug"):
        sdk_logger = logging.getLogger(name)
        sdk_logger.setLevel(sdk_level)
        sdk_logger.handlers[:] = [handler]
        sdk_logger.propagate = False


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    # Plugin loading can already log warnings (a broken plugin), so logging is set up
    # before it, then again once -v is known.
    configure_logging(0, err)
    try:
        app = App.create(out=out, err=err)
        parser = build_parser(app)
        try:
            # argparse prints help, version and usage errors itself; send them to our streams.
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                args = parser.parse_args(argv)
        except SystemExit as exit_:
            return int(exit_.code or 0)
        configure_logging(args.verbose, err)
        app.strict = bool(getattr(args, "strict", False))
        return int(args.handler(args, app))
    except ConfigurationError as exc:
        print(f"ztscan: error: {redact(str(exc))}", file=err)
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        print("ztscan: interrupted", file=err)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
