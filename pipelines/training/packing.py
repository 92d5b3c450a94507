"""Packing at train time (the reference path): examples tokenized as they stream, cut into fixed-length chunks.

Kept beside the token-file Loader as the reference it must equal batch for batch (tests, benchmarks/loader.py).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch


from pipelines.training.corpus import CONTEXT, DENOISE_TARGET, LM_TARGET, Corpus, DataError, Specials, encode, labels_of

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


class Prefetched:
    """What both loaders share: the global-batch arithmetic, an exact position, and a prefetch thread over `_source`."""

    batch_size: int
    micro_batch_size: int
    world: int
    prefetch: int
    position: Position
    _queue: queue.Queue | None
    _stop: threading.Event
    _thread: threading.Thread | None

    def _source(self, start: Position) -> Iterator[StepBatch]:
        raise NotImplementedError

    @property
    def grad_accum(self) -> int:
        return self.batch_size // (self.micro_batch_size * self.world)

    def state_dict(self) -> dict[str, int]:
        """The position after the last step batch handed out."""
        return self.position.state_dict()

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.close()
        self.position = Position(**state)

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

    def _next_prefetched(self) -> StepBatch:
        """The next batch from the prefetch thread, started at the current position on first use."""
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
        return item

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
        self._thread, self._queue = None, None

    def close(self) -> None:
        """Stop the prefetch thread (the next __next__ restarts from the current position)."""
        self._stop_thread()


class TokenizingLoader(Prefetched):
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

    def _source(self, start: Position) -> Iterator[StepBatch]:
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

    def __iter__(self) -> TokenizingLoader:
        return self

    def __next__(self) -> StepBatch:
        if self.prefetch <= 0:
            if self._thread is None and self._queue is None:
                self._queue = iter(self._source(self.position))  # type: ignore[assignment]
            batch = next(self._queue)  # type: ignore[call-overload]
        else:
            batch = self._next_prefetched()
        self.position = batch.position
        return batch



