"""Streaming training data: manifest shards in curriculum order -> examples -> packed fixed-length sequences.

One example per row:
    clean row (no edit):  <doc> clean <end>                  loss on clean and <end>
    noisy row (edits):    <doc> noisy <sep> clean <end>      loss on the clean target and <end> only

Examples are concatenated into one token stream and cut into `seq_len` chunks (documents may straddle
chunks, as in nanoGPT). With `whole_rows` an example is never cut: one that does not fit the rest of a
chunk starts the next (the rest is padding, no target), so a noisy -> clean pair always shares one
window; a row longer than a window is skipped and counted (`Position.skipped`, the trainer logs it).
Every rank reads the same stream and keeps chunks rank, rank + world, ...
of each step's global batch, so the global batch does not depend on the number of ranks: one process
and N ranks with the same global batch see the same data. The stream's position (shard, row, token
offset) is a few integers, so it is checkpointed exactly and resumed without replaying the corpus.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
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
from pipelines.training import tokens as tokens_io
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


# ---- packing ---------------------------------------------------------------------------------------


@dataclass
class Position:
    """Where the next chunk starts: token `offset` of row `row` of shard `shard` (progress order), in pass `epoch`."""

    epoch: int = 0
    shard: int = 0
    row: int = 0
    offset: int = 0
    chunks: int = 0  # chunks emitted so far, over all ranks
    skipped: int = 0  # rows skipped so far for being longer than a window (whole_rows packing only)

    def state_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class Chunk:
    """seq_len tokens of the stream, their roles, and the noise level and progress of the rows they come from."""

    ids: np.ndarray
    roles: np.ndarray
    noise: np.ndarray
    progress: float  # progress of the row holding the last token
    epoch: int


@dataclass
class _Pending:
    """A row's example, partly consumed; `pos` is that row's position."""

    ids: np.ndarray
    roles: np.ndarray
    noise: float
    progress: float
    shard: int
    row: int
    epoch: int
    used: int = 0


class PackedStream:
    """Chunks of `seq_len` tokens from a position onwards; checks that rows arrive in curriculum order."""

    def __init__(self, corpus: Corpus, tok: Any, seq_len: int, cycle: bool = False, start: Position | None = None,
                 whole_rows: bool = False) -> None:
        self.corpus, self.tok, self.seq_len, self.cycle, self.whole_rows = corpus, tok, seq_len, cycle, whole_rows
        self.specials = Specials.of(tok)
        self.start = start or Position()

    def _rows(self, pos: Position) -> Iterator[_Pending]:
        """Examples from `pos` on, epoch after epoch when cycling; the first one already `offset` tokens in."""
        epoch, shard, row, offset = pos.epoch, pos.shard, pos.row, pos.offset
        last = -1.0
        while True:
            while shard < len(self.corpus.shards):
                entry = self.corpus.shards[shard]
                lo, hi = entry.progress
                for batch in self.corpus.read(shard, row):
                    ex = encode(self.tok, self.specials, batch)
                    for k in range(len(ex.ids)):
                        p = float(ex.progress[k])
                        if int(ex.shard[k]) != entry.index or not (lo - 1e-6 <= p < hi + 1e-6) or p < last - 1e-6:
                            raise DataError(
                                f"{entry.path} row {row}: progress {p:.6f} (shard {int(ex.shard[k])}) does not belong at this "
                                f"point of the curriculum (shard {entry.index} covers [{lo:g}, {hi:g}), previous row {last:.6f}); "
                                "the corpus is out of order or was edited after its manifest was written"
                            )
                        last = p
                        yield _Pending(ex.ids[k], ex.roles[k], float(ex.noise[k]), p, shard, row, epoch, used=offset)
                        row, offset = row + 1, 0
                shard, row = shard + 1, 0
            if not self.cycle:
                return
            epoch, shard, row, last = epoch + 1, 0, 0, -1.0

    def __iter__(self) -> Iterator[tuple[Chunk, Position]]:
        """(chunk, position of the chunk after it); stops at the end of the corpus unless cycling."""
        if self.whole_rows:
            yield from self._whole()
            return
        t = self.seq_len
        chunks = self.start.chunks
        pending: list[_Pending] = []
        have = 0
        for ex in self._rows(self.start):
            pending.append(ex)
            have += len(ex.ids) - ex.used
            while have >= t:
                ids, roles, noise = np.empty(t, np.int64), np.empty(t, np.uint8), np.empty(t, np.float32)
                filled = 0
                while filled < t:
                    head = pending[0]
                    take = min(t - filled, len(head.ids) - head.used)
                    sl = slice(head.used, head.used + take)
                    ids[filled : filled + take] = head.ids[sl]
                    roles[filled : filled + take] = head.roles[sl]
                    noise[filled : filled + take] = head.noise
                    filled += take
                    head.used += take
                    last = head
                    if head.used == len(head.ids):
                        pending.pop(0)
                have -= t
                chunks += 1
                nxt = pending[0] if pending else None
                if nxt is not None:
                    after = Position(nxt.epoch, nxt.shard, nxt.row, nxt.used, chunks)
                else:  # the chunk ended exactly at a row's end: the next chunk starts at the next row
                    after = Position(last.epoch, last.shard, last.row + 1, 0, chunks)
                yield Chunk(ids, roles, noise, last.progress, last.epoch), after

    def _whole(self) -> Iterator[tuple[Chunk, Position]]:
        """Chunks of whole examples, padded at the end; a row longer than seq_len is skipped and counted."""
        t, pad = self.seq_len, self.specials.pad
        chunks, skipped = self.start.chunks, self.start.skipped
        ids, roles, noise = np.full(t, pad, np.int64), np.full(t, CONTEXT, np.uint8), np.zeros(t, np.float32)
        filled, last = 0, None
        for ex in self._rows(self.start):
            n = len(ex.ids)
            if n > t:
                skipped += 1
                continue
            if filled + n > t:  # the chunk is done: emit it padded; this row starts the next one
                chunks += 1
                yield Chunk(ids, roles, noise, last.progress, last.epoch), Position(ex.epoch, ex.shard, ex.row, 0, chunks, skipped)
                ids, roles, noise = np.full(t, pad, np.int64), np.full(t, CONTEXT, np.uint8), np.zeros(t, np.float32)
                filled = 0
            ids[filled : filled + n], roles[filled : filled + n], noise[filled : filled + n] = ex.ids, ex.roles, ex.noise
            filled, last = filled + n, ex
            if filled == t:
                chunks += 1
                yield Chunk(ids, roles, noise, last.progress, last.epoch), Position(last.epoch, last.shard, last.row + 1, 0, chunks, skipped)
                ids, roles, noise = np.full(t, pad, np.int64), np.full(t, CONTEXT, np.uint8), np.zeros(t, np.float32)
                filled = 0


# ---- step batches ----------------------------------------------------------------------------------


@dataclass
class MicroBatch:
    input_ids: torch.Tensor  # [b, T] int64
    labels: torch.Tensor  # [b, T] int64, -100 = no loss
    roles: torch.Tensor  # [b, T] uint8


@dataclass
class StepBatch:
    """This rank's micro-batches of one optimizer step, with facts about the whole global batch."""

    micro: list[MicroBatch]
    position: Position  # where the next step's data starts (the checkpointed data position)
    progress: float  # curriculum progress of the last row in the global batch
    epoch: int
    noise_level: float  # token-weighted mean noise level of the rows in the global batch
    examples: int  # documents starting in the global batch
    denoise_examples: int  # denoising examples (their separator) in the global batch
    targets: dict[str, int] = field(default_factory=dict)  # global target counts: lm, denoise, depth{k}
    wait_s: float = 0.0  # seconds the training loop waited for this batch (set by Loader.__next__)

    def pin_memory(self) -> StepBatch:
        """Page-locked copies for fast, asynchronous host -> GPU copies (torch's DataLoader calls this)."""
        self.micro = [MicroBatch(m.input_ids.pin_memory(), m.labels.pin_memory(), m.roles.pin_memory()) for m in self.micro]
        return self


class TokenizingLoader:
    """The reference loader: every rank tokenizes the whole stream and keeps its chunks (benchmarks and tests only)."""

    def __init__(self, corpus: Corpus, tok: Any, seq_len: int, batch_size: int, micro_batch_size: int,
                 rank: int = 0, world: int = 1, cycle: bool = False, mtp_depth: int = 0, prefetch: int = 2,
                 whole_rows: bool = False) -> None:
        if batch_size % (micro_batch_size * world):
            raise ValueError(f"batch_size {batch_size} is not a multiple of micro_batch_size {micro_batch_size} x world {world}")
        self.corpus, self.tok, self.seq_len, self.cycle = corpus, tok, seq_len, cycle
        self.batch_size, self.micro_batch_size, self.rank, self.world = batch_size, micro_batch_size, rank, world
        self.mtp_depth, self.prefetch, self.whole_rows = mtp_depth, prefetch, whole_rows
        self.sep = Specials.of(tok).sep
        self.bos = Specials.of(tok).bos
        self.position = Position()
        self._queue: queue.Queue | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def grad_accum(self) -> int:
        return self.batch_size // (self.micro_batch_size * self.world)

    def state_dict(self) -> dict[str, int]:
        """The position after the last step batch handed out."""
        return self.position.state_dict()

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.close()
        self.position = Position(**state)

    def _batches(self, start: Position) -> Iterator[StepBatch]:
        stream = iter(PackedStream(self.corpus, self.tok, self.seq_len, self.cycle, start, self.whole_rows))
        while True:
            chunks = []
            for _ in range(self.batch_size):
                try:
                    chunks.append(next(stream))
                except StopIteration:
                    return
            yield self._assemble(chunks)

    def _assemble(self, chunks: list[tuple[Chunk, Position]]) -> StepBatch:
        ids = np.stack([c.ids for c, _ in chunks])
        roles = np.stack([c.roles for c, _ in chunks])
        noise = np.stack([c.noise for c, _ in chunks])
        is_target = (roles == LM_TARGET) | (roles == DENOISE_TARGET)
        targets = {
            "lm": int((roles[:, 1:] == LM_TARGET).sum()),
            "denoise": int((roles[:, 1:] == DENOISE_TARGET).sum()),
        }
        for k in range(self.mtp_depth + 1):  # depth 0 is the main next-token loss
            targets[f"depth{k}"] = int(is_target[:, 1 + k :].sum())
        mine = slice(self.rank, None, self.world)
        t_ids, t_roles = torch.from_numpy(ids[mine]), torch.from_numpy(roles[mine])
        micro = []
        for i in range(0, t_ids.shape[0], self.micro_batch_size):
            mids, mroles = t_ids[i : i + self.micro_batch_size], t_roles[i : i + self.micro_batch_size]
            micro.append(MicroBatch(mids, labels_of(mids, mroles), mroles))
        last_chunk, after = chunks[-1]
        return StepBatch(
            micro=micro,
            position=after,
            progress=last_chunk.progress,
            epoch=last_chunk.epoch,
            noise_level=float(noise.mean()),
            examples=int((ids == self.bos).sum()),
            denoise_examples=int((ids == self.sep).sum()),
            targets=targets,
        )

    def _produce(self, start: Position, out: queue.Queue, stop: threading.Event) -> None:
        try:
            for batch in self._batches(start):
                while not stop.is_set():
                    try:
                        out.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(StopIteration())
        except BaseException as err:  # noqa: BLE001 - handed to the consumer, raised there
            out.put(err)

    def __iter__(self) -> Loader:
        return self

    def __next__(self) -> StepBatch:
        if self.prefetch <= 0:
            if self._thread is None and self._queue is None:
                self._queue = iter(self._batches(self.position))  # type: ignore[assignment]
            batch = next(self._queue)  # type: ignore[call-overload]
        else:
            if self._thread is None:
                self._stop = threading.Event()
                self._queue = queue.Queue(maxsize=self.prefetch)
                self._thread = threading.Thread(target=self._produce, args=(self.position, self._queue, self._stop), daemon=True)
                self._thread.start()
            item = self._queue.get()
            if isinstance(item, StopIteration):
                raise StopIteration
            if isinstance(item, BaseException):
                raise item
            batch = item
        self.position = batch.position
        return batch

    def close(self) -> None:
        """Stop the prefetch thread (the next __next__ restarts from the current position)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
        self._thread, self._queue = None, None


# ---- token files: the corpus tokenized once --------------------------------------------------------


def encode_shard(corpus: Corpus, shard: int, tok: Any) -> bytes:
    """Shard `shard` (progress order) in the example layout, as a token file (pipelines.training.tokens)."""
    specials = Specials.of(tok)
    entry = corpus.shards[shard]
    ids: list[np.ndarray] = []
    roles: list[np.ndarray] = []
    split: list[int] = []
    noisy: list[bool] = []
    noise, progress, rowshard = [np.zeros(0, np.float32)], [np.zeros(0)], [np.zeros(0, np.int64)]
    for batch in corpus.read(shard):
        ex = encode(tok, specials, batch)
        ids += ex.ids
        roles += ex.roles
        for r in ex.roles:
            is_noisy = bool(r[0] == NOISY_CONTEXT)
            noisy.append(is_noisy)
            split.append(int(np.count_nonzero(r == NOISY_CONTEXT)) if is_noisy else 1)
        noise.append(ex.noise)
        progress.append(ex.progress)
        rowshard.append(ex.shard)
    header = {"layout": FORMAT_VERSION, "source": entry.path, "source_sha256": entry.sha256}
    return tokens_io.pack(ids, roles, split, noisy, np.concatenate(noise), np.concatenate(progress),
                          np.concatenate(rowshard), len(tok), header)


def write_shard(corpus: Corpus, shard: int, tok: Any) -> dict[str, Any]:
    """Write one shard's token file unless a current one is there (resumable); returns its manifest record."""
    entry = corpus.shards[shard]
    rel = f"{tokens_io.folder_of(tokenizer_fingerprint(tok))}/{tokens_io.file_of(entry.path)}"
    if not tokens_io.is_current(corpus.folder, rel, entry.sha256):
        corpus.folder.write_atomic(rel, encode_shard(corpus, shard, tok))
    return tokens_io.record_of(corpus.folder, rel, entry.sha256)


def write_tokens(corpus: Corpus, tok: Any, records: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """All shards' token files (in this process unless `records` were made elsewhere) and tokens.json."""
    if records is None:
        records = [write_shard(corpus, i, tok) for i in range(len(corpus.shards))]
    return tokens_io.write_manifest(corpus.folder, tokenizer_fingerprint(tok),
                                    {e.path: r for e, r in zip(corpus.shards, records)})


def open_tokens(corpus: Corpus, tok: Any) -> tokens_io.TokenSet | None:
    """The corpus's token files for this tokenizer, checked for curriculum order; None when missing or stale."""
    ts = tokens_io.open_tokens(corpus.folder, corpus.shards, tokenizer_fingerprint(tok))
    if ts is not None:
        check_order(corpus, ts)
    return ts


def ensure_tokens(corpus: Corpus, tok: Any, say: Any = print) -> tokens_io.TokenSet:
    """The token files, made here first (in this process) when missing or stale, saying so."""
    ts = open_tokens(corpus, tok)
    if ts is None:
        where = corpus.folder.display(tokens_io.folder_of(tokenizer_fingerprint(tok)))
        say(f"train: {where} has no current token files for this tokenizer; tokenizing the corpus once now, in this "
            f"process (`python -m pipelines.tokenizer data={corpus.folder.uri}` does it on Ray)")
        write_tokens(corpus, tok)
        ts = open_tokens(corpus, tok)
        if ts is None:
            raise DataError(f"{where}: token files still incomplete after writing them; is the folder writable?")
    return ts


def check_order(corpus: Corpus, ts: tokens_io.TokenSet) -> None:
    """Every row's progress lies in its shard's manifest range and never goes back (as PackedStream checks)."""
    last = -1.0
    for s, entry in enumerate(corpus.shards):
        lo, hi = entry.progress
        a, b = int(ts.shard_row0[s]), int(ts.shard_row0[s + 1])
        prog, col = ts.progress[a:b], ts.shard[a:b]
        back = np.diff(np.concatenate([[last], prog])) < -1e-6
        bad = (col != entry.index) | (prog < lo - 1e-6) | (prog >= hi + 1e-6) | back
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DataError(f"{entry.path} row {k}: progress {prog[k]:.6f} (shard {int(col[k])}) does not belong at this "
                            f"point of the curriculum (shard {entry.index} covers [{lo:g}, {hi:g})); the corpus is out "
                            "of order or was edited after its manifest was written")
        if b > a:
            last = float(prog[-1])


# ---- each rank reads its share -----------------------------------------------------------------------


class Stream:
    """The packed stream as arithmetic on the token index: chunk boundaries, global facts, positions.

    Cumulative counts at any global token x of the endless (cycled) stream come from per-row prefix sums,
    so the facts of a whole global batch cost O(batch) index lookups and no token of another rank is read.
    """

    def __init__(self, ts: tokens_io.TokenSet) -> None:
        self.ts = ts
        lens = np.diff(ts.starts)
        self.lens, self.N, self.R = lens, ts.tokens, ts.rows
        tgt = lens - ts.split
        self.cum_lm = np.concatenate([[0], np.cumsum(np.where(ts.noisy, 0, tgt))])
        self.cum_dn = np.concatenate([[0], np.cumsum(np.where(ts.noisy, tgt, 0))])
        self.cum_noise = np.concatenate([[0.0], np.cumsum(lens * ts.noise.astype(np.float64))])
        self.cum_sep = np.concatenate([[0], np.cumsum(ts.noisy.astype(np.int64))])

    def _at(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(epoch, row, offset in row) of global tokens x."""
        e, local = np.divmod(x, self.N)
        r = np.searchsorted(self.ts.starts, local, "right") - 1
        return e, r, local - self.ts.starts[r]

    def cum(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Counts before global token x: lm and denoise targets, noise mass, row starts, separators."""
        x = np.asarray(x, np.int64)
        e, r, w = self._at(x)
        ts = self.ts
        past = np.maximum(w - ts.split[r], 0)
        return {
            "lm": e * self.cum_lm[-1] + self.cum_lm[r] + np.where(ts.noisy[r], 0, past),
            "denoise": e * self.cum_dn[-1] + self.cum_dn[r] + np.where(ts.noisy[r], past, 0),
            "noise": e * self.cum_noise[-1] + self.cum_noise[r] + w * ts.noise[r].astype(np.float64),
            "rows": e * self.R + r + (w > 0),
            "sep": e * self.cum_sep[-1] + self.cum_sep[r] + (ts.noisy[r] & (w >= ts.split[r])),
        }

    def position(self, x: int, chunks: int, skipped: int = 0) -> Position:
        """The position of global token x."""
        e, r, w = (int(v[0]) for v in self._at(np.array([x], np.int64)))
        return self.row_position(e, r, w, chunks, skipped)

    def positions(self, xs: np.ndarray, chunks: np.ndarray) -> list[Position]:
        """Positions of many global tokens at once."""
        e, r, w = self._at(np.asarray(xs, np.int64))
        s = np.minimum(np.searchsorted(self.ts.shard_row0, r, "right") - 1, len(self.ts.files) - 1)
        row = r - self.ts.shard_row0[s]
        return [Position(*v, 0) for v in zip(e.tolist(), s.tolist(), row.tolist(), w.tolist(), np.asarray(chunks).tolist())]

    def row_position(self, epoch: int, r: int, offset: int, chunks: int, skipped: int) -> Position:
        s = min(int(np.searchsorted(self.ts.shard_row0, r, "right")) - 1, len(self.ts.files) - 1)
        return Position(epoch, s, r - int(self.ts.shard_row0[s]), offset, chunks, skipped)

    def token_of(self, p: Position) -> int:
        """The global token a position points at (a row index past a shard's end is the next shard's start)."""
        r = int(self.ts.shard_row0[p.shard]) + p.row
        return p.epoch * self.N + int(self.ts.starts[r]) + p.offset

    def roles(self, lo: int, hi: int) -> np.ndarray:
        """Roles of global tokens [lo, hi) from the index alone (a row is context up to `split`, target after)."""
        out = np.empty(hi - lo, np.uint8)
        x = lo
        while x < hi:
            e, local = divmod(x, self.N)
            r = int(np.searchsorted(self.ts.starts, local, "right")) - 1
            row_lo = e * self.N + int(self.ts.starts[r])
            end = min(hi, row_lo + int(self.lens[r]))
            cut = min(max(row_lo + int(self.ts.split[r]), x), end)
            ctx, tgt = (NOISY_CONTEXT, DENOISE_TARGET) if self.ts.noisy[r] else (CONTEXT, LM_TARGET)
            out[x - lo : cut - lo], out[cut - lo : end - lo] = ctx, tgt
            x = end
        return out

    def read(self, lo: int, hi: int, with_roles: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Ids and roles of global tokens [lo, hi), across epoch ends (roles from the index unless `with_roles`)."""
        if lo // self.N == (hi - 1) // self.N:
            base = lo // self.N * self.N
            ids, roles = self.ts.read(lo - base, hi - base, with_roles)
            return ids, roles if with_roles else self.roles(lo, hi)
        ids, roles = [], []
        at = lo
        while at < hi:
            base = at // self.N * self.N
            end = min(hi, base + self.N)
            i, r = self.ts.read(at - base, end - base, with_roles)
            r = r if with_roles else self.roles(at, end)
            ids.append(i)
            roles.append(r)
            at = end
        return np.concatenate(ids), np.concatenate(roles)


@dataclass
class _Plan:
    """One step's global chunks: facts for all of them, token segments for this rank's."""

    facts: dict[str, Any]
    mine: list[list[tuple[int, int, int]]]  # per chunk of this rank: (global token lo, hi, chunk offset)
    position: Position


class Loader:
    """Step batches for one data-parallel rank, read from the token files: each rank reads only its chunks.

    Chunk c of the stream is tokens [cT, (c+1)T) (or whole rows with `whole_rows`); step s is chunks
    sB .. sB+B-1 and rank r keeps r, r + world, ... of them, as a one-process run would hand them out.
    Batches are made ahead on a thread (`prefetch`) or in worker processes (`workers`, a torch
    DataLoader, pinned memory when `pin_memory`).
    """

    def __init__(self, corpus: Corpus, tok: Any, seq_len: int, batch_size: int, micro_batch_size: int,
                 rank: int = 0, world: int = 1, cycle: bool = False, mtp_depth: int = 0, prefetch: int = 2,
                 whole_rows: bool = False, workers: int = 0, pin_memory: bool = False, say: Any = print) -> None:
        if batch_size % (micro_batch_size * world):
            raise ValueError(f"batch_size {batch_size} is not a multiple of micro_batch_size {micro_batch_size} x world {world}")
        self.corpus, self.seq_len, self.cycle = corpus, seq_len, cycle
        self.batch_size, self.micro_batch_size, self.rank, self.world = batch_size, micro_batch_size, rank, world
        self.mtp_depth, self.prefetch, self.whole_rows = mtp_depth, prefetch, whole_rows
        self.workers, self.pin_memory = workers, pin_memory
        sp = Specials.of(tok)
        self.pad = sp.pad
        self.tokens = ensure_tokens(corpus, tok, say)
        self.fingerprint = tokenizer_fingerprint(tok)
        self.position = Position()
        self._it: Iterator[StepBatch] | None = None
        self._queue: queue.Queue | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def grad_accum(self) -> int:
        return self.batch_size // (self.micro_batch_size * self.world)

    def state_dict(self) -> dict[str, int]:
        """The position after the last step batch handed out."""
        return self.position.state_dict()

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.close()
        self.position = Position(**state)

    # -- planning: which chunks, their facts (index only) --

    def _plans(self, start: Position) -> Iterator[_Plan]:
        stream = Stream(self.tokens)
        if stream.N == 0:
            return
        yield from (self._whole_plans(stream, start) if self.whole_rows else self._cut_plans(stream, start))

    def _cut_plans(self, stream: Stream, start: Position) -> Iterator[_Plan]:
        """Fixed-length chunks; facts planned for a block of steps at once (a few index lookups per step)."""
        t, b = self.seq_len, self.batch_size
        g = stream.token_of(start)
        limit = None if self.cycle else (start.epoch + 1) * stream.N
        chunks = start.chunks
        block = max(1, 8192 // b)  # steps planned per vectorized pass
        while True:
            k = block if limit is None else min(block, (limit - g) // (b * t))
            if k <= 0:
                return
            a = g + t * np.arange(k * b, dtype=np.int64).reshape(k, b)
            ends = a + t
            at_end, at_first = stream.cum(ends), stream.cum(a[:, 0])
            last_at_end = {key: v[:, -1] for key, v in at_end.items()}
            tgt_end = at_end["lm"] + at_end["denoise"]
            after1 = stream.cum(a + 1)
            lm = (at_end["lm"] - after1["lm"]).sum(1)
            dn = (at_end["denoise"] - after1["denoise"]).sum(1)
            depth = [(tgt_end - after1["lm"] - after1["denoise"]).sum(1)]
            for d in range(1, self.mtp_depth + 1):
                c = stream.cum(a + 1 + d)
                depth.append((tgt_end - c["lm"] - c["denoise"]).sum(1))
            e_last, r_last, _ = stream._at(ends[:, -1] - 1)
            noise = (last_at_end["noise"] - at_first["noise"]) / (b * t)
            examples = last_at_end["rows"] - at_first["rows"]
            seps = last_at_end["sep"] - at_first["sep"]
            after = stream.positions(ends[:, -1], chunks + b * np.arange(1, k + 1))
            mine_a = a[:, self.rank :: self.world]
            for i in range(k):
                targets = {"lm": int(lm[i]), "denoise": int(dn[i]), **{f"depth{d}": int(depth[d][i]) for d in range(len(depth))}}
                facts = {"progress": float(stream.ts.progress[r_last[i]]), "epoch": int(e_last[i]),
                         "noise_level": float(noise[i]), "examples": int(examples[i]), "denoise_examples": int(seps[i]),
                         "targets": targets}
                yield _Plan(facts, [[(lo, lo + t, 0)] for lo in mine_a[i].tolist()], after[i])
            g, chunks = g + k * b * t, chunks + k * b

    def _row_chunks(self, stream: Stream, start: Position) -> Iterator[tuple[list[tuple[int, int]], Position]]:
        """Whole-row packing on row lengths alone: (rows (epoch, row) of a chunk, position after it)."""
        t, lens, n_rows = self.seq_len, stream.lens.tolist(), stream.R
        epoch, r = start.epoch, int(stream.ts.shard_row0[start.shard]) + start.row
        chunks, skipped = start.chunks, start.skipped
        rows: list[tuple[int, int]] = []
        filled = 0
        while True:
            if r >= n_rows:
                if not self.cycle:
                    return
                epoch, r = epoch + 1, 0
            n = lens[r]
            if n > t:
                skipped += 1
                r += 1
                continue
            if filled + n > t:
                chunks += 1
                yield rows, stream.row_position(epoch, r, 0, chunks, skipped)
                rows, filled = [], 0
            rows.append((epoch, r))
            filled += n
            r += 1
            if filled == t:
                chunks += 1
                e_last, r_last = rows[-1]
                yield rows, stream.row_position(e_last, r_last + 1, 0, chunks, skipped)
                rows, filled = [], 0

    def _whole_plans(self, stream: Stream, start: Position) -> Iterator[_Plan]:
        ts, t = stream.ts, self.seq_len
        source = self._row_chunks(stream, start)
        while True:
            group = list(itertools.islice(source, self.batch_size))
            if len(group) < self.batch_size:
                return
            targets = {"lm": 0, "denoise": 0, **{f"depth{k}": 0 for k in range(self.mtp_depth + 1)}}
            noise = 0.0
            examples = denoise_examples = 0
            for rows, _ in group:
                idx = np.array([r for _, r in rows])
                tgt = stream.lens[idx] - ts.split[idx]
                noisy = ts.noisy[idx]
                targets["lm"] += int(tgt[~noisy].sum())
                targets["denoise"] += int(tgt[noisy].sum())
                noise += float((stream.lens[idx] * ts.noise[idx].astype(np.float64)).sum())
                examples += len(idx)
                denoise_examples += int(noisy.sum())
                for k in range(self.mtp_depth + 1):
                    targets[f"depth{k}"] += int(tgt.sum()) - _targets_before(stream, idx, 1 + k)
            e_last, r_last = group[-1][0][-1]
            facts = {"progress": float(ts.progress[r_last]), "epoch": e_last, "noise_level": noise / (self.batch_size * t),
                     "examples": examples, "denoise_examples": denoise_examples, "targets": targets}
            mine = []
            for rows, _ in group[self.rank :: self.world]:
                segs, at = [], 0
                for e, r in rows:
                    lo = e * stream.N + int(ts.starts[r])
                    segs.append((lo, lo + int(stream.lens[r]), at))
                    at += int(stream.lens[r])
                mine.append(segs)
            yield _Plan(facts, mine, group[-1][1])

    # -- reading: this rank's tokens only --

    def _batch(self, stream: Stream, plan: _Plan) -> StepBatch:
        t = self.seq_len
        ids = np.full((len(plan.mine), t), self.pad, np.int64)
        roles = np.full((len(plan.mine), t), CONTEXT, np.uint8)
        spans: list[list[Any]] = []  # [lo, hi, members]: adjacent pieces read as one range
        for i, segs in enumerate(plan.mine):
            for lo, hi, at in segs:
                if spans and spans[-1][1] == lo:
                    spans[-1][1] = hi
                    spans[-1][2].append((lo, hi, i, at))
                else:
                    spans.append([lo, hi, [(lo, hi, i, at)]])
        local = stream.ts.files[0].folder.is_local if stream.ts.files else True
        # local disk: ids and roles are two memmap slices; object storage: ids only (roles from the index),
        # the ranges fetched concurrently
        fetch = lambda span: stream.read(span[0], span[1], with_roles=local)  # noqa: E731
        got = map(fetch, spans) if local or len(spans) == 1 else self._pool().map(fetch, spans)
        for (lo0, _, members), (sid, srole) in zip(spans, got):
            for lo, hi, i, at in members:
                ids[i, at : at + hi - lo], roles[i, at : at + hi - lo] = sid[lo - lo0 : hi - lo0], srole[lo - lo0 : hi - lo0]
        labels = np.where((roles == LM_TARGET) | (roles == DENOISE_TARGET), ids, IGNORE_INDEX)  # as labels_of, once
        t_ids, t_labels, t_roles = torch.from_numpy(ids), torch.from_numpy(labels), torch.from_numpy(roles)
        m = self.micro_batch_size
        micro = [MicroBatch(t_ids[i : i + m], t_labels[i : i + m], t_roles[i : i + m]) for i in range(0, len(ids), m)]
        f = plan.facts
        batch = StepBatch(micro=micro, position=plan.position, progress=f["progress"], epoch=f["epoch"],
                         noise_level=f["noise_level"], examples=f["examples"], denoise_examples=f["denoise_examples"],
                         targets=f["targets"])
        return batch.pin_memory() if self.pin_memory and self.workers <= 0 else batch

    def batches(self, start: Position, every: int = 1, first: int = 0) -> Iterator[StepBatch]:
        """Step batches from `start`: steps first, first + every, ... (a worker process's share)."""
        stream = Stream(self.tokens)
        for k, plan in enumerate(self._plans(start)):
            if k % every == first:
                yield self._batch(stream, plan)

    def _pool(self) -> Any:
        if getattr(self, "_threads", None) is None:
            from concurrent.futures import ThreadPoolExecutor

            self._threads = ThreadPoolExecutor(16, thread_name_prefix="token-reads")
        return self._threads

    # -- handing out --

    def _produce(self, start: Position, out: queue.Queue, stop: threading.Event) -> None:
        try:
            for batch in self._source(start):
                while not stop.is_set():
                    try:
                        out.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(StopIteration())
        except BaseException as err:  # noqa: BLE001 - handed to the consumer, raised there
            out.put(err)

    def _source(self, start: Position) -> Iterator[StepBatch]:
        if self.workers <= 0:
            return self.batches(start)
        from torch.utils.data import DataLoader

        data = _WorkerBatches(self, start)
        return iter(DataLoader(data, batch_size=None, num_workers=self.workers, pin_memory=self.pin_memory,
                               prefetch_factor=max(1, self.prefetch), persistent_workers=False,
                               collate_fn=_identity))

    def __iter__(self) -> Loader:
        return self

    def __next__(self) -> StepBatch:
        began = time.perf_counter()
        if self.prefetch <= 0 or self.workers > 0:
            if self._it is None:
                self._it = self._source(self.position)
            batch = next(self._it)
        else:
            if self._thread is None:
                self._stop = threading.Event()
                self._queue = queue.Queue(maxsize=self.prefetch)
                self._thread = threading.Thread(target=self._produce, args=(self.position, self._queue, self._stop), daemon=True)
                self._thread.start()
            item = self._queue.get()
            if isinstance(item, StopIteration):
                raise StopIteration
            if isinstance(item, BaseException):
                raise item
            batch = item
        batch.wait_s = time.perf_counter() - began
        self.position = batch.position
        return batch

    def close(self) -> None:
        """Stop the prefetch thread or workers (the next __next__ restarts from the current position)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
        self._thread, self._queue, self._it = None, None, None

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process needs: no thread, queue or open file handles (reopened there)."""
        state = self.__dict__.copy()
        state.update(_it=None, _queue=None, _thread=None, _stop=None, _threads=None)
        state["tokens"] = tokens_io.assemble([tokens_io.TokenFile(f.folder, f.rel) for f in self.tokens.files])
        return state


class _WorkerBatches(torch.utils.data.IterableDataset):
    """A DataLoader dataset: worker w of W makes steps w, w + W, ... (the DataLoader hands them out in order)."""

    def __init__(self, loader: Loader, start: Position) -> None:
        self.loader, self.start = loader, start

    def __iter__(self) -> Iterator[StepBatch]:
        info = torch.utils.data.get_worker_info()
        every, first = (info.num_workers, info.id) if info else (1, 0)
        return self.loader.batches(self.start, every, first)


def _identity(x: Any) -> Any:
    return x


def _targets_before(stream: Stream, rows: np.ndarray, q: int) -> int:
    """Targets among the first q positions of a chunk made of these whole rows."""
    out, pos = 0, 0
    for r in rows.tolist():
        if pos >= q:
            break
        n = min(int(stream.lens[r]), q - pos)
        out += max(0, n - int(stream.ts.split[r]))
        pos += int(stream.lens[r])
    return out


def one_pass_steps(total_tokens: int, seq_len: int, batch_size: int) -> int:
    """Optimizer steps in one pass over the corpus (the partial last chunk and batch are dropped)."""
    return (total_tokens // seq_len) // batch_size


def whole_rows_steps(data: str | Path, tok: Any, seq_len: int, batch_size: int) -> dict[str, int]:
    """Steps, chunks and skipped rows of one pass packed with whole_rows (padding makes it longer than tokens / seq_len)."""
    loader = Loader(Corpus.open(data), tok, seq_len, batch_size, batch_size, prefetch=0, whole_rows=True)
    chunks, after = 0, Position()
    for _, after in loader._row_chunks(Stream(loader.tokens), Position()):  # row lengths only: no token read
        chunks += 1
    return {"steps": chunks // batch_size, "chunks": chunks, "skipped_rows": after.skipped}
