"""Anonymous responses and their answers."""
