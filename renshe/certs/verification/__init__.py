"""Verification of certificates (核验): online, through links, and the verification log."""
