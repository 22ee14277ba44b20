"""Provider-neutral resource kinds and the facts each one carries.

This table is the contract between provider collectors and rules: a collector
sets only the facts declared here (a sweep test checks it), and a rule reads only
declared facts. A fact a collector could not gather is left out of the resource,
so that reading it raises :class:`ztscan.model.MissingFact` (see ztscan.model).

Times are ISO 8601 strings in UTC (``2026-01-31T12:00:00+00:00``). Port ranges
are inclusive ``[low, high]`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindSpec:
    name: str
    description: str
    facts: dict[str, str]


#: A normalized firewall rule, used in the ``rules`` fact of ``network.firewall``:
#:   direction   "ingress" | "egress"
#:   action      "allow" | "deny"
#:   protocol    "tcp" | "udp" | "icmp" | "icmpv6" | "all" | an IANA protocol number as a string
#:   ports       list of [low, high] pairs, or None for every port (protocol "all", or no port filter)
#:   sources     list of CIDR strings or service tags ("Internet", "*", "Any", "VirtualNetwork");
#:               for egress rules, the destinations
#:   source_refs list of other groups, tags or service accounts that are allowed (never the internet)
#:   priority    int (lower wins), or None where the platform has no priority (AWS security groups)
#:   enabled     bool
#:   builtin     bool: a platform default rule (Azure NSG default rules, GCP implied rules)
#:   targets     None when the rule applies to every member, else a list of tags or service accounts
#:   name        the rule's own name or id, for messages
FIREWALL_RULE_FIELDS = (
    "direction", "action", "protocol", "ports", "sources", "source_refs",
    "priority", "enabled", "builtin", "targets", "name",
)

KINDS: dict[str, KindSpec] = {}


def _kind(name: str, description: str, **facts: str) -> None:
    KINDS[name] = KindSpec(name, description, facts)


_kind(
    "account", "An AWS account, Azure subscription or GCP project as a whole (region global).",
    display_name="human-readable name of the account",
    public_grants="list of 'role:member' grants to everyone (GCP allUsers, allAuthenticatedUsers) "
                  "in the account's own IAM policy",
)
_kind(
    "identity.root", "The AWS account root user (AWS only).",
    mfa_enabled="bool: the root user has an MFA device",
    hardware_mfa="bool or None: the MFA device is hardware; None when unknown to the API used",
    access_keys_present="bool: the root user has at least one access key",
)
_kind(
    "identity.password_policy", "The account's password policy for console users.",
    present="bool: a password policy is set (False means the platform default applies)",
    min_length="int or None",
    require_uppercase="bool", require_lowercase="bool", require_numbers="bool", require_symbols="bool",
    max_age_days="int or None: password expiry in days",
    reuse_prevention="int or None: number of previous passwords remembered",
)
_kind(
    "identity.user", "A human user identity (IAM user, Entra ID user, Google account).",
    console_access="bool: the user can sign in interactively (has a console password)",
    mfa_enabled="bool: at least one MFA method is registered or enforced for the user",
    password_last_used="ISO time or None: last interactive sign-in",
    password_last_changed="ISO time or None",
    created="ISO time or None",
    access_keys="list of {id, active: bool, created: ISO time, last_used: ISO time or None}",
    admin_rights="bool: the user holds full administrator rights ('*' on '*' or an owner role)",
    admin_via_direct_policy="bool: those rights come from a policy attached to the user itself",
    admin_policies="list of policy or role names granting full administrator rights",
    credentials_managed_externally=(
        "str, optional: set when the identity's password, MFA and sign-in activity are managed outside "
        "this cloud and cannot be read (a Google account seen from a GCP project); the value is the reason. "
        "Absent means the cloud manages them. The password, MFA and unused-credential rules then report "
        "NOT_APPLICABLE with this reason instead of guessing"
    ),
)
_kind(
    "identity.service_account", "A workload identity (GCP service account, Azure service principal).",
    user_managed_keys="list of {id, created: ISO time, expires: ISO time or None}",
    admin_rights="bool: holds full administrator rights",
    disabled="bool",
)
_kind(
    "identity.tenant_policy", "Tenant-wide authentication policy (Entra ID, Cloud Identity).",
    mfa_required_all_users="bool or None: MFA is enforced for every user; None when not readable",
    mfa_required_admins="bool or None: MFA is enforced for administrators",
    mfa_assessable="bool: the credential could read the MFA configuration at all",
    mfa_reason="str: why MFA could not be assessed, when mfa_assessable is False",
    security_defaults="bool or None",
)
_kind(
    "network", "A virtual network (VPC, VNet, GCP VPC network).",
    is_default="bool: created by the platform by default (default VPC, GCP auto-mode default network)",
    flow_logs_enabled="bool: traffic flow logs are on for the whole network",
    cidrs="list of CIDR strings",
    peerings="list of peered network ids",
)
_kind(
    "network.subnet", "A subnet or subnetwork.",
    network_id="str", cidr="str", flow_logs_enabled="bool or None", private_google_access="bool or None",
    public="bool or None: routes to an internet gateway",
)
_kind(
    "network.gateway", "A gateway between a network and elsewhere: internet, NAT, VPN or transit gateway.",
    gateway_type="'internet' | 'egress-only' | 'nat' | 'vpn' | 'transit' | another provider term",
    network_ids="list of network ids the gateway is attached to",
)
_kind(
    "network.firewall", "A set of traffic rules: AWS security group, Azure NSG, the firewall rules of a GCP network.",
    rules="list of normalized firewall rules (see FIREWALL_RULE_FIELDS)",
    is_default_group="bool: the platform's default group (AWS default security group)",
    network_id="str or None",
    attached_to="list of resource ids that use this group (instances, interfaces, subnets)",
)
_kind(
    "network.load_balancer", "An application or network load balancer.",
    scheme="'internet-facing' | 'internal'",
    network_id="str or None: the network the load balancer sits in",
    firewall_ids="list of network.firewall ids that apply; empty where the platform attaches none",
    listeners="list of {port: int, protocol: 'HTTP'|'HTTPS'|'TCP'|'TLS'|..., redirects_to_https: bool}",
)
_kind(
    "network.public_ip", "A public IP address resource (Azure public IP, GCP address, AWS Elastic IP).",
    address="str or None", attached_to="str or None",
)
_kind(
    "compute.instance", "A virtual machine.",
    public_ips="list of public IP addresses (empty when none)",
    metadata_token_required="bool or None: AWS IMDSv2 required; None where the platform has no such setting",
    firewall_ids="list of network.firewall ids that apply",
    network_id="str or None",
    subnet_id="str or None",
    os_login="bool or None", serial_port_enabled="bool or None", shielded_vm="bool or None",
    default_service_account_full_scope="bool or None",
    encryption_at_host="bool or None",
)
_kind(
    "storage.volume", "A block storage volume (EBS volume, managed disk, persistent disk).",
    encrypted="bool: encrypted at rest",
    key_type="'provider' | 'customer' | None when not encrypted",
    attached_to="list of instance ids",
)
_kind(
    "storage.encryption_default", "A per-region switch that encrypts new volumes by default (AWS EBS).",
    enabled="bool",
)
_kind(
    "storage.bucket", "An object store container (S3 bucket, Azure storage account, GCS bucket).",
    encrypted="bool: objects are encrypted at rest by default",
    encryption="str or None: the scheme, for example SSE-S3, SSE-KMS, DSSE-KMS, Microsoft.Storage",
    key_type="'provider' | 'customer' | None",
    tls_enforced="bool: requests without TLS are denied",
    min_tls_version="str or None: minimum TLS version such as '1.2'; None where the platform has no setting",
    public_access_blocked="bool: public access is blocked at bucket or account level",
    public="bool or None: a policy, ACL or binding grants access to everyone",
    versioning="bool",
    access_logging="bool",
    network_default_deny="bool or None",
    uniform_access="bool or None: only the bucket-wide policy grants access, object ACLs are off "
                   "(GCS uniform bucket-level access)",
)
_kind(
    "database", "A managed database instance or cluster (RDS, Aurora, Azure SQL, Cloud SQL).",
    engine="str",
    storage_encrypted="bool",
    publicly_accessible="bool",
    backup_retention_days="int or None: None when backups are managed elsewhere (an Aurora member instance)",
    cluster_id="str or None: the cluster this instance belongs to",
    tls_required="bool or None",
    min_tls_version="str or None",
    auditing_enabled="bool or None",
    network_id="str or None: the network the database sits in; None when it has no network placement",
    firewall_ids="list of network.firewall ids that apply",
)
_kind(
    "crypto.key", "An encryption key (KMS key, Key Vault key, Cloud KMS key).",
    managed_by="'customer' | 'provider'",
    rotation_supported="bool: the platform can rotate this key automatically",
    rotation_enabled="bool",
    rotation_period_days="int or None",
    state="str: Enabled, Disabled, PendingDeletion and so on",
)
_kind(
    "crypto.vault", "A key container with its own protection settings (Azure Key Vault).",
    soft_delete="bool", purge_protection="bool",
)
_kind(
    "audit.trail", "An audit log configuration (CloudTrail trail, Activity Log diagnostic setting, GCP audit config).",
    multi_region="bool: covers every region of the account",
    logging="bool: currently delivering events",
    log_validation="bool or None: log file integrity validation is on; None where the platform has no such feature",
    management_events="bool or None: records management (control plane) events",
    data_access_events="bool or None",
)
_kind(
    "backup.plan", "A backup policy or vault.",
    resources="list of protected resource ids", retention_days="int or None",
)


def fact_names(kind: str) -> frozenset[str]:
    """Return the facts declared for ``kind``; raise KeyError for an unknown kind."""
    return frozenset(KINDS[kind].facts)
