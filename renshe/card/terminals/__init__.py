"""Scan terminals (受理终端), use scenarios (用卡场景) and the scan of an e-SSC code (扫码核验)."""
