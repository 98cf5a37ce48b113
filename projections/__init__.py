"""Read models built from the event log: one class per read model."""
