"""pmo_gateway."""
