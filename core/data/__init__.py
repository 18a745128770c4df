"""Datasets: sources (files, folders, hub), format detection, row validation, the neutral `Example`."""
