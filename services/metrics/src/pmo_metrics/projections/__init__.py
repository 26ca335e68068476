"""Read models projected from the other contexts' events (consumed from Kafka)."""
