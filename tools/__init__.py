"""The tools are scripts; ``tools.data`` also holds modules they share."""
