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
import json
import queue
import threading
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
    for i, entry in enumerate(corpus.shards):
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


class Loader:
    """Step batches for one data-parallel rank, prefetched on a background thread (tokenizing overlaps compute)."""

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


def one_pass_steps(total_tokens: int, seq_len: int, batch_size: int) -> int:
    """Optimizer steps in one pass over the corpus (the partial last chunk and batch are dropped)."""
    return (total_tokens // seq_len) // batch_size


def whole_rows_steps(data: str | Path, tok: Any, seq_len: int, batch_size: int) -> dict[str, int]:
    """Steps, chunks and skipped rows of one pass packed with whole_rows (padding makes it longer than tokens / seq_len)."""
    stream = PackedStream(Corpus.open(data), tok, seq_len, whole_rows=True)
    chunks, after = 0, Position()
    for _, after in stream:
        chunks += 1
    return {"steps": chunks // batch_size, "chunks": chunks, "skipped_rows": after.skipped}
