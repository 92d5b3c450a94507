"""What the evaluate job is made of: held-out cases, metrics, report."""
