"""One-network service hall (一网通办)."""
