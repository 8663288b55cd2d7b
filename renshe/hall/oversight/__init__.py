"""超期督办: the watch list, notices and escalation, on-time statistics."""
