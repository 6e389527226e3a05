"""Landed files into the warehouse: plan what to load, read and validate it, store every row's fate."""
