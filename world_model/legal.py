"""Placeholder until the legal domain lands."""
