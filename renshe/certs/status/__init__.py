"""Counters and W3C bitstring status lists (证照状态列表)."""
