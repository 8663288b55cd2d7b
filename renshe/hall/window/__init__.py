"""Window applications (窗口代录) confirmed by the citizen's one-time code."""
