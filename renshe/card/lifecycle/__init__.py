"""The physical card's lifecycle: application (申领), issue, activation, loss, release, cancellation, replacement."""
