"""dag_fallback package."""
