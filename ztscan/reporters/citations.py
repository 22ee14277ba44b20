"""Wording shared by the CI reporters: citations, the proposed-rule label and resource labels."""

from __future__ import annotations

from ztscan.model import Finding

#: The source of the proposed citations. Every output that shows them states that they are not final.
NPRM_SOURCE = "HHS notice of proposed rulemaking of 6 January 2025 (90 FR 898), not final"


def hipaa_citation(citation: str) -> str:
    """Format a Security Rule citation in force, for example ``45 CFR 164.312(d)``."""
    return f"45 CFR {citation}"


def nprm_citation(citation: str) -> str:
    """Format a citation of the proposed rule with a "(proposed)" label, so it is not read as one in force."""
    return f"{citation} (proposed)"


def resource_label(finding: Finding) -> str:
    """Name the resource of a finding by name and id, or by id alone when they are equal."""
    if finding.resource_name and finding.resource_name != finding.resource_id:
        return f"{finding.resource_name} [{finding.resource_id}]"
    return finding.resource_id
