"""Streaming training data: manifest shards in curriculum order -> examples -> packed fixed-length sequences.

One example per row:
    clean row (no edit):  <doc> clean <end>                  loss on clean and <end>
    noisy row (edits):    <doc> noisy <sep> clean <end>      loss on the clean target and <end> only

Examples are concatenated into one token stream and cut into `seq_len` chunks (documents may straddle
chunks, as in nanoGPT). With `whole_rows` an example is never cut: one that does not fit the rest of a
chunk starts the next (the rest is padding, no target), so a noisy -> clean pair always shares one
window; a row longer than a window is skipped and counted (`Position.skipped`, the trainer logs it).
The corpus is tokenized once into token files (`ensure_tokens`, pipelines/training/tokens.py); from the
per-row prefix sums each rank computes which chunks of every step's global batch are its own (rank, rank +
world, ...) and reads only those token ranges, so the global batch does not depend on the number of ranks.
The stream's position (shard, row, token offset) is a few integers, so it is checkpointed exactly and
resumed without replaying the corpus. corpus.py holds the example layout, packing.py the reference packer
that tokenizes as it streams (`TokenizingLoader`), which this loader equals batch for batch.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.causal_lm import IGNORE_INDEX
from pipelines.training import tokens as tokens_io

# The trainer's whole data API is importable from here; corpus.py and packing.py hold the parts it is built on.
from pipelines.training.corpus import (CONTEXT, DENOISE_TARGET, FORMAT_VERSION, LM_TARGET, NOISY_CONTEXT,  # noqa: F401
                                       Corpus, DataError, Specials, count_tokens, encode, labels_of, read_rows,
                                       tokenizer_fingerprint)
from pipelines.training.packing import (MicroBatch, PackedStream, Position, Prefetched, StepBatch,  # noqa: F401
                                        TokenizingLoader)

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


class Loader(Prefetched):
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
            batch = self._next_prefetched()
        batch.wait_s = time.perf_counter() - began
        self.position = batch.position
        return batch

    def close(self) -> None:
        """Stop the prefetch thread or workers (the next __next__ restarts from the current position)."""
        self._stop_thread()
        self._it = None

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
