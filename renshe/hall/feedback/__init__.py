"""问题反馈: tickets about rules, data and faults, assigned down the divisions."""
