"""TLS settings of RDS databases, read from their DB parameter groups and DB cluster parameter groups."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ztscan_aws.calls import ApiFailure, Target

log = logging.getLogger(__name__)

DATABASE = "database"
TLS_FACTS = ("tls_required", "min_tls_version")
#: Error codes for a parameter group that does not exist.
NOT_FOUND_CODES = {"DBParameterGroupNotFound", "DBParameterGroupNotFoundFault",
                   "DBClusterParameterGroupNotFound", "DBClusterParameterGroupNotFoundFault"}
#: Values of require_secure_transport (MySQL and MariaDB) and rds.force_ssl that turn enforcement on.
TRUE_VALUES = {"1", "on", "true"}
#: First RDS for PostgreSQL major version whose engine default for rds.force_ssl is 1 (earlier versions: 0),
#: as stated in the RDS User Guide page on rotating SSL/TLS certificates for PostgreSQL.
POSTGRES_FORCE_SSL_DEFAULT_FROM = 15


def engine_family(engine: str) -> str | None:
    """Return "postgres", "mysql" or "sqlserver" for an RDS engine name, or None for an engine ztscan does not read."""
    engine = engine.lower()
    if engine in ("postgres", "aurora-postgresql"):
        return "postgres"
    if engine in ("mysql", "mariadb", "aurora-mysql", "aurora"):
        return "mysql"
    if engine.startswith("sqlserver"):
        return "sqlserver"
    return None


def tls_version_number(value: str) -> str:
    """Return "1.2" for "TLSv1.2", "tlsv1.2" or "1.2"."""
    text = value.strip()
    return text[4:] if text.lower().startswith("tlsv") else text


def _major_version(version: str) -> int | None:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def tls_facts(engine: str, engine_version: str, parameters: dict[str, str | None]) -> dict[str, Any]:
    """Return ``tls_required`` and ``min_tls_version`` from a parameter group's values.

    ``parameters`` maps parameter names to values. A parameter with no value, or one
    missing from the group, has its engine default. An unknown engine gives None for both.
    """
    family = engine_family(engine)
    if family == "postgres":
        force = parameters.get("rds.force_ssl")
        if force is None:
            major = _major_version(engine_version)
            # NOTE: the version-dependent default is documented for RDS for PostgreSQL; Aurora PostgreSQL is
            # taken to default to 0. Real parameter groups list rds.force_ssl with its value, so this applies
            # only when the value is missing.
            required = (engine.lower() == "postgres" and major is not None
                        and major >= POSTGRES_FORCE_SSL_DEFAULT_FROM)
        else:
            required = force.strip().lower() in TRUE_VALUES
        minimum = parameters.get("ssl_min_protocol_version")
        return {"tls_required": required, "min_tls_version": tls_version_number(minimum) if minimum else None}
    if family == "mysql":
        secure = parameters.get("require_secure_transport")
        required = secure is not None and secure.strip().lower() in TRUE_VALUES
        versions = [tls_version_number(v) for v in (parameters.get("tls_version") or "").split(",") if v.strip()]
        minimum = min(versions, key=_version_key, default=None)
        return {"tls_required": required, "min_tls_version": minimum}
    if family == "sqlserver":
        force = parameters.get("rds.force_ssl")
        return {"tls_required": force is not None and force.strip().lower() in TRUE_VALUES, "min_tls_version": None}
    return {"tls_required": None, "min_tls_version": None}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


class ParameterGroups:
    """Reads each DB parameter group and DB cluster parameter group of one region once.

    Many databases share a group, so the values of each group are cached, and so is
    a failed read: every database using that group gets its own CollectionError.
    """

    def __init__(self, target: Target):
        self.target = target
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], dict[str, str | None] | ApiFailure] = {}

    def values(self, operation: str, name: str) -> dict[str, str | None] | ApiFailure:
        """Return the values of group ``name`` read with ``operation``, or the failure that prevented it."""
        key = (operation, name)
        with self._lock:
            if key in self._values:
                return self._values[key]
        result = self._read(operation, name)
        with self._lock:
            self._values[key] = result
        return result

    def _read(self, operation: str, name: str) -> dict[str, str | None] | ApiFailure:
        group_parameter = "DBClusterParameterGroupName" if operation == "DescribeDBClusterParameters" \
            else "DBParameterGroupName"
        try:
            parameters = self.target.paginate("rds", operation, "Parameters", **{group_parameter: name})
        except ApiFailure as failure:
            if failure.code in NOT_FOUND_CODES and name.startswith("default."):
                # NOTE: AWS always has the default groups of every engine; moto 5.2 creates only some of them.
                # A default group cannot be changed, so its values are the engine defaults.
                log.warning("default parameter group %s not found in %s; using engine defaults", name,
                            self.target.region)
                return {}
            return ApiFailure(failure.service, failure.operation, failure.region, failure.code,
                              f"parameter group {name}: {failure.message}")
        return {p["ParameterName"]: p.get("ParameterValue") for p in parameters if "ParameterName" in p}

    def tls_facts(self, resource_id: str, engine: str, engine_version: str, operation: str,
                  name: str | None) -> dict[str, Any]:
        """Return the TLS facts of one database, or none (with a recorded error) when its group is unreadable."""
        if engine_family(engine) is None:
            return {"tls_required": None, "min_tls_version": None}
        if not name:
            # Every RDS database has a parameter group; without one the engine defaults apply.
            return tls_facts(engine, engine_version, {})
        values = self.values(operation, name)
        if isinstance(values, ApiFailure):
            self.target.record(values, DATABASE, TLS_FACTS, resource_id)
            return {}
        return tls_facts(engine, engine_version, values)
