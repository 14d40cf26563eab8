"""netlab package."""
