"""The AWS provider: options, the collection plan, and the worker pool that runs it."""

from __future__ import annotations

import argparse
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Mapping

from ztscan.model import GLOBAL, CollectionError, Inventory, ScopeRecord, ScopeState
from ztscan.provider import ApiOperation, CollectContext, split_list

log = logging.getLogger(__name__)

#: Kinds collected per region; recorded as not collected when the region list cannot be read.
REGIONAL_KINDS = ("network", "network.firewall", "compute.instance", "storage.volume",
                  "storage.encryption_default", "database", "crypto.key", "audit.trail",
                  "network.load_balancer", "network.subnet", "network.gateway")


@dataclass(frozen=True)
class Task:
    """One collector run in one scope: the service it reads, the kinds it produces, the function."""

    service: str
    kinds: tuple[str, ...]
    run: Callable[[], None]
    region: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _split_regions(value: str) -> list[str]:
    regions = split_list(value)
    if not regions:
        raise argparse.ArgumentTypeError("expected a comma-separated list of region names, such as us-east-1,eu-west-1")
    return regions


class AwsProvider:
    """Collects an AWS account with boto3."""

    name = "aws"
    extra = "aws"
    description = "Amazon Web Services account (boto3; credentials from the standard AWS chain)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--profile", default=None,
                            help="named profile from the AWS config files (default: the standard credential chain)")
        parser.add_argument("--regions", type=_split_regions, default=None,
                            help="comma-separated regions to scan (default: every enabled region)")

    def operations(self) -> list[ApiOperation]:
        from ztscan_aws.operations import declared_operations

        return declared_operations()

    def permission_policy(self) -> dict[str, Any]:
        """Return an IAM policy document that allows exactly the actions a scan uses, all of them reads."""
        return {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "ZtscanReadOnly",
                "Effect": "Allow",
                "Action": sorted({operation.permission for operation in self.operations()}),
                "Resource": "*",
            }],
        }

    def collect(self, options: Mapping[str, Any], context: CollectContext) -> Inventory:
        """Collect the account reachable with the credentials in ``options``.

        ``options`` keys: ``profile`` and ``regions`` (the CLI options), and optionally
        ``session`` (a ready boto3 session, used instead of the credential chain),
        ``endpoint_url`` (one endpoint for every service, such as a moto server) and
        ``max_attempts`` (attempts per request, the first included).

        Raise ConfigurationError for missing or expired credentials, an unknown
        profile, or an unknown region name; every other failure is recorded in the
        inventory's errors.
        """
        from ztscan_aws.calls import Collection
        from ztscan_aws.regions import plan_regions
        from ztscan_aws.session import caller_identity, open_session

        started = _now()
        session = open_session(options, context.max_workers, context)
        identity = caller_identity(session)
        inventory = Inventory(started_at=started)
        collection = Collection(session, context, identity, inventory)
        try:
            home = collection.target(GLOBAL)
            plan = plan_regions(home, options.get("regions"))
            inventory.scopes.extend(plan.skipped)
            if plan.listing_failure is not None and not options.get("regions"):
                for kind in REGIONAL_KINDS:
                    home.record(plan.listing_failure, kind)
            _run_tasks(collection, _plan_tasks(collection, plan.scan))
        finally:
            collection.close()
        inventory.scopes.insert(0, ScopeRecord(home.scope, ScopeState.SCANNED))
        for region in plan.scan:
            inventory.scopes.append(ScopeRecord(home.in_region(region).scope, ScopeState.SCANNED))
        inventory.finished_at = _now()
        inventory.metadata.update({
            "provider": "aws", "account": identity.account, "partition": identity.partition,
            "regions": list(plan.scan), "skipped_regions": [r.scope.region for r in plan.skipped],
        })
        log.info("AWS collection of %s finished: %d resources, %d errors, %d regions",
                 identity.account, len(inventory.resources), len(inventory.errors), len(plan.scan))
        return inventory


def _plan_tasks(collection: Any, regions: list[str]) -> list[Task]:
    from ztscan_aws import cloudtrail, ec2, elbv2, firewall, iam, kms, rds, s3, vpc

    home = collection.target(GLOBAL)
    tasks = [
        Task("iam", ("account",), partial(iam.collect_account, home), GLOBAL),
        Task("iam", ("identity.password_policy",), partial(iam.collect_password_policy, home), GLOBAL),
        Task("iam", ("identity.user", "identity.root"), partial(iam.collect_users_and_root, home), GLOBAL),
        Task("s3", ("storage.bucket",), partial(s3.collect_buckets, home, set(regions)), GLOBAL),
    ]
    for region in regions:
        target = collection.target(region)
        tasks += [
            Task("ec2", ("network",), partial(ec2.collect_networks, target), region),
            Task("ec2", ("network.subnet",), partial(vpc.collect_subnets, target), region),
            Task("ec2", ("network.gateway",), partial(vpc.collect_gateways, target), region),
            Task("ec2", ("network.firewall",), partial(firewall.collect_security_groups, target), region),
            Task("ec2", ("compute.instance",), partial(ec2.collect_instances, target), region),
            Task("ec2", ("storage.volume",), partial(ec2.collect_volumes, target), region),
            Task("ec2", ("storage.encryption_default",), partial(ec2.collect_encryption_default, target), region),
            Task("rds", ("database",), partial(rds.collect_databases, target), region),
            Task("kms", ("crypto.key",), partial(kms.collect_keys, target), region),
            Task("cloudtrail", ("audit.trail",), partial(cloudtrail.collect_trails, target), region),
            Task("elbv2", ("network.load_balancer",), partial(elbv2.collect_load_balancers, target), region),
        ]
    return tasks


def _run_tasks(collection: Any, tasks: list[Task]) -> None:
    """Run every task in one bounded pool; re-raise a crash in strict mode, else record it."""
    with ThreadPoolExecutor(max_workers=max(1, collection.context.max_workers),
                            thread_name_prefix="ztscan-aws") as pool:
        futures = [pool.submit(_run_task, collection, task) for task in tasks]
        for future in futures:
            future.result()


def _run_task(collection: Any, task: Task) -> None:
    from ztscan_aws.calls import DEADLINE_CODE

    scope = collection.target(task.region).scope
    if collection.context.expired():
        for kind in task.kinds:
            collection.record(CollectionError(scope, task.service, "collect", DEADLINE_CODE,
                                              "the scan deadline passed before this collector started", kind))
        return
    try:
        task.run()
    except Exception as exc:  # a collector bug: recorded as missing data for its kinds, never hidden
        if collection.context.strict:
            raise
        log.exception("AWS collector for %s in %s crashed", ", ".join(task.kinds), scope.label())
        for kind in task.kinds:
            collection.record(CollectionError(scope, task.service, "collect", type(exc).__name__,
                                              f"collector crashed: {exc}", kind))
