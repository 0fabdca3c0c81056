"""Per-destination summaries: what the overview and the destinations list read, one row each."""
