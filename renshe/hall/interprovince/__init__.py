"""跨省通办: applications forwarded to and received from other provinces."""
