"""Data sharing (数据共享): the service catalog, consumer applications and grants, verification services."""
