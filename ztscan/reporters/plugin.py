"""Registers the built-in reporters through the ``ztscan`` entry-point group."""

from __future__ import annotations

from ztscan.hookspecs import hookimpl


@hookimpl
def ztscan_reporters():
    from ztscan.reporters import csv_report, json_report, junit, sarif, table

    return [
        table.TableReporter(),
        json_report.JsonReporter(),
        sarif.SarifReporter(),
        junit.JunitReporter(),
        csv_report.CsvReporter(),
    ]
