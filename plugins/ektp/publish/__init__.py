"""Resolve, reconcile and publish whole date partitions of the coverage tables."""
