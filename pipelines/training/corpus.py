"""The corpus as the trainer reads it: manifest shards, rows, the example layout and its token counts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import torch

from model.causal_lm import IGNORE_INDEX
from pipelines.dataset import manifest as manifest_io
from pipelines.dataset.storage import Folder, normalize
from pipelines.dataset.trust import check_corpus
from pipelines.errors import InputError
from pipelines.progress import progress
from pipelines.training.specials import special_ids


FORMAT_VERSION = 1  # bump when the example layout changes: token counts cached under the old one go stale

# Token roles (one byte per token): what a position is and whether it is a target.
CONTEXT, LM_TARGET, DENOISE_TARGET, NOISY_CONTEXT = 0, 1, 2, 3

READ_COLUMNS = ("shard", "progress", "noise_level", "clean_text", "noisy_text", "edits")


class DataError(InputError):
    """The corpus does not fit the run (length, order, progress); the message says what to change."""


# ---- the corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """A dataset folder and its manifest's shards in the order the trainer consumes them."""

    folder: Folder
    manifest: manifest_io.Manifest
    shards: tuple[manifest_io.ShardEntry, ...]

    @classmethod
    def open(cls, data: str | Path) -> Corpus:
        """Open a folder written by `pipelines.generate` (local path or pyarrow filesystem URI)."""
        uri = normalize(str(data))
        mf = manifest_io.load(uri)
        check_corpus(Folder(uri), mf)  # each shard is the one its manifest lists, or a one-line refusal naming it
        return cls(Folder(uri), mf, tuple(mf.in_progress_order()))

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.shards)

    def read(self, shard: int, start_row: int = 0, columns: Sequence[str] = READ_COLUMNS,
             batch_rows: int = 256) -> Iterator[pa.RecordBatch]:
        """Record batches of shard `shard` (index in progress order) from `start_row`, skipping whole row groups."""
        entry = self.shards[shard]
        with self.folder.fs.open_input_file(self.folder.path(entry.path)) as f:
            pf = pq.ParquetFile(f)
            first, skip = 0, start_row
            while first < pf.num_row_groups and skip >= pf.metadata.row_group(first).num_rows:
                skip -= pf.metadata.row_group(first).num_rows
                first += 1
            groups = list(range(first, pf.num_row_groups))
            if not groups:
                return
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=groups, columns=list(columns)):
                if skip:
                    cut = min(skip, batch.num_rows)
                    batch, skip = batch.slice(cut), skip - cut
                if batch.num_rows:
                    yield batch


def read_rows(corpus: Corpus, shard: int, columns: Sequence[str], limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Rows as dicts (small samples only: the tokenizer's training text, tests)."""
    n = 0
    for batch in corpus.read(shard, columns=columns):
        for row in batch.to_pylist():
            if limit is not None and n >= limit:
                return
            n += 1
            yield row


# ---- examples --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Specials:
    """The ids the example layout uses."""

    bos: int
    sep: int
    eos: int
    pad: int

    @classmethod
    def of(cls, tok: Any) -> Specials:
        return cls(**special_ids(tok))


@dataclass
class Examples:
    """A batch of rows turned into examples: ids and roles per row, plus the row fields the trainer checks."""

    ids: list[np.ndarray]
    roles: list[np.ndarray]
    progress: np.ndarray
    noise: np.ndarray
    shard: np.ndarray


def encode(tok: Any, specials: Specials, batch: pa.RecordBatch) -> Examples:
    """Tokenize a record batch into examples (one fast-tokenizer call per text column)."""
    backend = tok.backend_tokenizer
    clean = batch.column("clean_text").to_pylist()
    noisy_mask = pc.greater(pc.list_value_length(batch.column("edits")), 0).to_numpy(zero_copy_only=False)
    noisy_rows = np.flatnonzero(noisy_mask)
    clean_ids = [e.ids for e in backend.encode_batch(clean, add_special_tokens=False)]
    noisy_text = batch.column("noisy_text")
    noisy_ids = [e.ids for e in backend.encode_batch([noisy_text[int(i)].as_py() for i in noisy_rows], add_special_tokens=False)]
    noisy_of = dict(zip(noisy_rows.tolist(), noisy_ids))
    ids, roles = [], []
    for i, c in enumerate(clean_ids):
        n = noisy_of.get(i)
        if n is None:
            ids.append(np.array([specials.bos, *c, specials.eos], dtype=np.int64))
            r = np.full(len(c) + 2, LM_TARGET, dtype=np.uint8)
            r[0] = CONTEXT
        else:
            ids.append(np.array([specials.bos, *n, specials.sep, *c, specials.eos], dtype=np.int64))
            r = np.full(len(n) + len(c) + 3, DENOISE_TARGET, dtype=np.uint8)
            r[: len(n) + 2] = NOISY_CONTEXT
        roles.append(r)
    return Examples(
        ids=ids,
        roles=roles,
        progress=batch.column("progress").to_numpy(zero_copy_only=False).astype(np.float64),
        noise=batch.column("noise_level").to_numpy(zero_copy_only=False).astype(np.float32),
        shard=batch.column("shard").to_numpy(zero_copy_only=False),
    )


def labels_of(ids: torch.Tensor, roles: torch.Tensor) -> torch.Tensor:
    """transformers-style labels (aligned with input_ids, shifted inside the model): -100 where no target."""
    target = (roles == LM_TARGET) | (roles == DENOISE_TARGET)
    return torch.where(target, ids, torch.full_like(ids, IGNORE_INDEX))


# ---- token counts ----------------------------------------------------------------------------------


def tokenizer_fingerprint(tok: Any) -> str:
    """Hash of the tokenizer's full definition: counts made with another tokenizer do not apply."""
    return hashlib.sha256(tok.backend_tokenizer.to_str().encode()).hexdigest()[:16]


TOKEN_COUNTS = "token_counts.json"


def count_tokens(data: str | Path, tok: Any, cache_dir: str | Path | None = None) -> dict[str, Any]:
    """Tokens per shard in the example layout; cached by (shard sha256, tokenizer, format) in token_counts.json."""
    corpus = Corpus.open(data)
    specials = Specials.of(tok)
    fp = tokenizer_fingerprint(tok)
    cache = Folder(normalize(cache_dir)) if cache_dir else None  # local or object storage
    cached: dict[str, Any] = {}
    if cache and cache.is_file(TOKEN_COUNTS):
        old = json.loads(cache.read_text(TOKEN_COUNTS))
        if old.get("tokenizer") == fp and old.get("format") == FORMAT_VERSION:
            cached = old.get("shards", {})
    shards = {}
    counting = any(cached.get(e.path, {}).get("sha256") != e.sha256 for e in corpus.shards)  # cache hits: no lines
    for i, entry in enumerate(progress(corpus.shards, desc="tokens counted", unit="shard", enabled=counting)):
        hit = cached.get(entry.path)
        if hit and hit["sha256"] == entry.sha256:
            shards[entry.path] = hit
            continue
        tokens = denoise = 0
        for batch in corpus.read(i):
            ex = encode(tok, specials, batch)
            tokens += sum(len(x) for x in ex.ids)
            denoise += sum(int((r == NOISY_CONTEXT).any()) for r in ex.roles)
        shards[entry.path] = {"sha256": entry.sha256, "rows": entry.rows, "tokens": tokens, "denoise_rows": denoise}
    out = {"format": FORMAT_VERSION, "tokenizer": fp, "total": sum(s["tokens"] for s in shards.values()), "shards": shards}
    if cache and shards != cached:
        try:
            cache.write_text(TOKEN_COUNTS, json.dumps(out, indent=1) + "\n")
        except OSError:
            pass  # a read-only tokenizer folder only costs a recount next time
    return out


