"""Cross-province transfer (转移接续) of the enterprise employee pension between province nodes."""
