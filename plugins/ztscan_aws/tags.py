"""Tags of buckets and load balancers from the Resource Groups Tagging API, one listing per region.

No rule reads tags, but the asset inventory and the network map use them (owner,
ePHI highlighting). ``tag:GetResources`` returns the tags of every tagged
resource of the listed types in a region in pages of up to 100, which replaces
one GetBucketTagging per bucket and one ELBv2 DescribeTags per 20 load
balancers. RDS instances and clusters are not listed here: DescribeDBInstances
and DescribeDBClusters already return their tags.

The bucket collector, which runs account-wide, reads the listing of each
bucket's region, the region where GetResources lists a bucket.
"""

from __future__ import annotations

from ztscan_aws.calls import ApiFailure, Target

#: Resource types whose tags this listing provides.
RESOURCE_TYPES = ("s3:bucket", "elasticloadbalancing:loadbalancer")
#: The largest page GetResources returns.
PAGE_SIZE = 100


def _list_tags(target: Target) -> dict[str, dict[str, str]]:
    # NOTE: moto 5.2.5 lists every bucket of the account in every region, so the tests cannot show
    # that AWS lists a bucket in its own region only. A bucket missing from that listing stays untagged.
    mappings = target.paginate("resourcegroupstaggingapi", "GetResources", "ResourceTagMappingList",
                               ResourceTypeFilters=list(RESOURCE_TYPES), PaginationConfig={"PageSize": PAGE_SIZE})
    return {m["ResourceARN"]: {t["Key"]: t.get("Value", "") for t in m.get("Tags", []) or []} for m in mappings}


def region_tags(target: Target, kind: str) -> dict[str, dict[str, str]] | None:
    """Return the tags of the region's buckets and load balancers by ARN; None when the listing failed.

    The listing runs once per region for every collector. A failure is recorded
    once per region and ``kind`` under the pseudo-fact "tags": tags are no rule
    fact, so the report lists the failure without turning any rule into ERROR.
    """
    try:
        return target.shared("tags", lambda: _list_tags(target))
    except ApiFailure as failure:
        if target.collection.first(("tags-failure", target.region, kind)):
            target.record(failure, kind, ("tags",))
        return None


def tags_of(tags: dict[str, dict[str, str]] | None, arn: str) -> dict[str, str]:
    """Return the tags of ``arn``; an untagged resource is absent from the listing."""
    return dict((tags or {}).get(arn, {}))
