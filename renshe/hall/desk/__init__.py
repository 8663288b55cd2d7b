"""The pages that bring the hall's sub-features together (application detail, queue, the hall)."""
