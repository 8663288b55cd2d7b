"""Issuing authorities (发证机关) and their keys: Ed25519 for signatures, SM2 with the electronic seal."""
