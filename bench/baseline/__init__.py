"""A bare DRF endpoint for the benchmark runner's intake baseline (bench settings only)."""
