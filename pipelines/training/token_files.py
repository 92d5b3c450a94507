"""Tokenize the corpus once, on Ray: one task per shard writes DATA/tokens/<tokenizer>/<shard>.tok.

The tokenizer job's second half (`python -m pipelines.tokenizer data=DATA`). A task skips a shard whose
current token file is already there, so a killed run resumes; a file's bytes depend only on its shard
and the tokenizer, so any number of workers writes the same files and the same tokens.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.dataset.config import RayConfig
from pipelines.training.loading import Corpus, write_shard, write_tokens
from pipelines.training.tokenizer import load_tokenizer
from pipelines.training.tokens import folder_of


def tokenize_shard(data_uri: str, tok_dir: str, shard: int) -> dict[str, Any]:
    """The Ray task: one shard's token file (the tokenizer loaded from its folder in the worker)."""
    return write_shard(Corpus.open(data_uri), shard, load_tokenizer(tok_dir))


def tokenize_on_ray(data: str, tok_dir: str | Path, ray: RayConfig, in_flight: int | None = None,
                    say: Callable[[str], Any] = print) -> dict[str, Any]:
    """All shards' token files, at most `in_flight` tasks at once (default: the cluster's CPUs), then tokens.json."""
    import ray as ray_api

    from pipelines.dataset import ray_runtime
    from pipelines.training.loading import tokenizer_fingerprint

    corpus = Corpus.open(data)
    tok = load_tokenizer(tok_dir)
    began = time.perf_counter()
    started = ray_runtime.start(ray)
    try:
        task = ray_api.remote(num_cpus=1, max_retries=2)(tokenize_shard)
        limit = in_flight or ray_runtime.cluster_cpus()
        pending: dict[Any, int] = {}
        records: list[dict[str, Any] | None] = [None] * len(corpus.shards)
        todo = list(range(len(corpus.shards)))
        while todo or pending:
            while todo and len(pending) < limit:
                i = todo.pop(0)
                pending[task.options(name=f"tokens-{i:05d}").remote(corpus.folder.uri, str(tok_dir), i)] = i
            done, _ = ray_api.wait(list(pending), num_returns=1)
            for ref in done:
                records[pending.pop(ref)] = ray_api.get(ref)
    finally:
        if started:
            ray_api.shutdown()
    out = write_tokens(corpus, tok, records)  # type: ignore[arg-type]
    say(f"tokens: {corpus.folder.display(folder_of(tokenizer_fingerprint(tok)))}: {len(records)} files, "
        f"{out['total']:,} tokens, {time.perf_counter() - began:.1f}s on Ray")
    return out
