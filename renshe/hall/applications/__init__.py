"""Applications (办件): creating them, materials, the workflow, and what callers see."""
