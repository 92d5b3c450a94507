"""Placeholder until the financial domain lands."""
