"""Generation from the one source: stubs from `solutions/` (law 1)."""
