"""mcp_servers package."""
