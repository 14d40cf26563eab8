"""The Source of Truth block: intent (devices, interfaces, VLANs, services, intended config)."""
