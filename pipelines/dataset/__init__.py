"""What the generate, verify and summary jobs share: plan, rows, shards, manifest, card, storage, Ray runtime."""
