"""Resilience: scenarios, screening, cooling, worst case, metrics."""
