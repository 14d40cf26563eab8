"""The workflows netorch runs deterministically, by name."""

from __future__ import annotations

from dag_fallback.definition import WorkflowDefinition
from dag_fallback.workflows.compliance_scan import COMPLIANCE_SCAN
from dag_fallback.workflows.drift_remediation import DRIFT_REMEDIATION
from dag_fallback.workflows.vlan_deploy import VLAN_DEPLOY

__all__ = ["WORKFLOWS"]

WORKFLOWS: dict[str, WorkflowDefinition] = {d.name: d for d in (VLAN_DEPLOY, DRIFT_REMEDIATION, COMPLIANCE_SCAN)}
