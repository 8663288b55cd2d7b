"""Near-real-time reporting (联网数据准实时上报): the outbox relay to NATS JetStream and the ministry hub."""
