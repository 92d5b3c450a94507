"""What the train job is made of: loading, step, checkpoint, parallelism, metrics."""
