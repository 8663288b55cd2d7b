"""Issuing certificates and changing their status: issue, suspend, resume, revoke, reissue."""
