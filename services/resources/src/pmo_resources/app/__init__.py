"""Command handlers of the resources context."""
