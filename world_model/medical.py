"""Placeholder until the medical domain lands."""
