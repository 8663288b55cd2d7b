"""一件事: one form for several items and their joint progress."""
