"""The service layer: command handlers and the repository they load and save aggregates with."""
