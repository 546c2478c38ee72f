"""Benchmarks behind ``kabar bench``."""
