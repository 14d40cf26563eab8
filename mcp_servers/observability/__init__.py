"""The Observability block: live state, compliance, alerts and metrics."""
