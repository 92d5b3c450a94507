"""Token files: the corpus tokenized once, one file per shard beside the shards, read by token range.

DATA/tokens/<tokenizer fingerprint>/<shard stem>.tok holds a shard's examples in the trainer's layout
(pipelines.training.loading.encode): a small header, a per-row index, then the token ids of all rows
back to back and one role byte per token. Why a raw array and not Parquet list<uint16>: a rank reads
only its own token ranges, and a flat array at a known byte offset is one memory-map slice on local disk
and one ranged GET on object storage, with no page to decode (Megatron's indexed dataset, nanoGPT's
memmap); Parquet would decode whole pages per range. The index holds row starts (prefix sums of token
counts), the first target position, noisy flag, noise level, progress and shard of every row, so which
chunks are a rank's and the global batch's target counts are computed without reading other ranks' tokens.

tokens.json in that folder records the format, the tokenizer fingerprint and, per shard, the source
shard's sha256 and the token file's size and sha256: written files depend only on the shard and the
tokenizer, so any number of workers writes the same bytes, and a rerun skips shards already done.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from pipelines.dataset.storage import Folder
from pipelines.errors import InputError

TOKENS_FORMAT = 1
MAGIC = b"CFTOKEN1"
TOKENS_MANIFEST = "tokens.json"
INDEX_FIELDS = (("starts", "<i8"), ("split", "<i4"), ("noisy", "u1"), ("noise", "<f4"), ("progress", "<f8"), ("shard", "<i4"))


def folder_of(fingerprint: str) -> str:
    """Where a tokenizer's token files live inside the data folder."""
    return f"tokens/{fingerprint}"


def file_of(shard_path: str) -> str:
    return shard_path.rsplit("/", 1)[-1].rsplit(".", 1)[0] + ".tok"


def id_dtype(vocab: int) -> str:
    return "<u2" if vocab <= 1 << 16 else "<u4"


# ---- writing ---------------------------------------------------------------------------------------


def pack(ids: list[np.ndarray], roles: list[np.ndarray], split: list[int], noisy: list[bool], noise: np.ndarray,
         progress: np.ndarray, shard: np.ndarray, vocab: int, header: dict[str, Any]) -> bytes:
    """A token file's bytes: magic, header length, JSON header (sorted keys), index sections, ids, roles."""
    lengths = np.array([len(x) for x in ids], np.int64)
    index = {
        "starts": np.concatenate([[0], np.cumsum(lengths)]).astype("<i8"),
        "split": np.array(split, "<i4"),
        "noisy": np.array(noisy, "u1"),
        "noise": np.asarray(noise).astype("<f4"),
        "progress": np.asarray(progress).astype("<f8"),
        "shard": np.asarray(shard).astype("<i4"),
    }
    dtype = id_dtype(vocab)
    body = [index[name].tobytes() for name, _ in INDEX_FIELDS]
    body.append((np.concatenate(ids) if ids else np.zeros(0)).astype(dtype).tobytes())
    body.append((np.concatenate(roles) if roles else np.zeros(0)).astype("u1").tobytes())
    head = header | {"format": TOKENS_FORMAT, "rows": len(lengths), "tokens": int(lengths.sum()), "dtype": dtype}
    blob = json.dumps(head, sort_keys=True).encode()
    blob += b" " * (-(len(MAGIC) + 4 + len(blob)) % 64)  # sections start 64-byte aligned
    return MAGIC + struct.pack("<I", len(blob)) + blob + b"".join(body)


def is_current(folder: Folder, rel: str, source_sha256: str) -> bool:
    """An intact token file of this format made from this source shard is already there (a rerun skips it)."""
    if not folder.exists(rel):
        return False
    try:
        head = TokenFile(folder, rel).header
    except (InputError, ValueError):
        return False
    lay_end = TokenFile(folder, rel).layout["roles"]
    return (head.get("source_sha256") == source_sha256 and head.get("format") == TOKENS_FORMAT
            and folder.size(rel) == lay_end[0] + lay_end[2])


def record_of(folder: Folder, rel: str, source_sha256: str) -> dict[str, Any]:
    """The manifest's line for one token file."""
    data = folder.read(rel)
    head = TokenFile.parse_header(data[:4096], rel)
    return {"file": rel.rsplit("/", 1)[-1], "source_sha256": source_sha256, "rows": head["rows"],
            "tokens": head["tokens"], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def write_manifest(folder: Folder, fingerprint: str, records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """tokens.json: what the folder holds and for which tokenizer (sorted keys: identical whoever writes it)."""
    out = {"format": TOKENS_FORMAT, "tokenizer": fingerprint, "total": sum(r["tokens"] for r in records.values()),
           "shards": dict(sorted(records.items()))}
    folder.write_atomic(f"{folder_of(fingerprint)}/{TOKENS_MANIFEST}", (json.dumps(out, indent=1, sort_keys=True) + "\n").encode())
    return out


# ---- reading ---------------------------------------------------------------------------------------


class TokenFile:
    """One shard's token file: header and index read once; ids and roles by token range (memmap or ranged reads)."""

    def __init__(self, folder: Folder, rel: str) -> None:
        self.folder, self.rel = folder, rel
        self._is_local = folder.is_local

    @staticmethod
    def parse_header(head: bytes, rel: str) -> dict[str, Any]:
        if head[: len(MAGIC)] != MAGIC:
            raise InputError(f"{rel}: not a token file (remake it with `python -m pipelines.tokenizer data=DATA`)")
        n = struct.unpack("<I", head[len(MAGIC) : len(MAGIC) + 4])[0]
        out = json.loads(head[len(MAGIC) + 4 : len(MAGIC) + 4 + n])
        out["_data_start"] = len(MAGIC) + 4 + n
        return out

    @cached_property
    def _handle(self) -> Any:
        if self.folder.is_local:
            return np.memmap(self.folder.path(self.rel), dtype=np.uint8, mode="r")
        return self.folder.fs.open_input_file(self.folder.path(self.rel))

    def _bytes(self, offset: int, n: int) -> memoryview | np.ndarray:
        if n <= 0:
            return np.zeros(0, np.uint8)
        if self.folder.is_local:
            return self._handle[offset : offset + n]
        return self._handle.read_at(n, offset)

    @cached_property
    def header(self) -> dict[str, Any]:
        size = self.folder.size(self.rel) or 0
        return self.parse_header(bytes(self._bytes(0, min(4096, size))), self.rel)

    @cached_property
    def layout(self) -> dict[str, tuple[int, str, int]]:
        """Section name -> (byte offset, dtype, count)."""
        h = self.header
        rows, tokens = h["rows"], h["tokens"]
        out, at = {}, h["_data_start"]
        for name, dtype in INDEX_FIELDS:
            count = rows + 1 if name == "starts" else rows
            out[name] = (at, dtype, count)
            at += np.dtype(dtype).itemsize * count
        out["ids"] = (at, h["dtype"], tokens)
        at += np.dtype(h["dtype"]).itemsize * tokens
        out["roles"] = (at, "u1", tokens)
        return out

    @cached_property
    def index(self) -> dict[str, np.ndarray]:
        """The per-row index, read in one request."""
        lay = self.layout
        first, last = lay["starts"][0], lay["ids"][0]
        raw = np.frombuffer(bytes(self._bytes(first, last - first)), np.uint8)
        out = {}
        for name, _ in INDEX_FIELDS:
            at, dtype, count = lay[name]
            out[name] = raw[at - first : at - first + np.dtype(dtype).itemsize * count].view(dtype)
        return out

    @cached_property
    def _local_views(self) -> tuple[np.ndarray, np.ndarray]:
        """Local disk: the ids and roles sections as plain array views of the memory map (slicing is a view)."""
        raw = self._handle.view(np.ndarray)
        at, dtype, n = self.layout["ids"]
        rat = self.layout["roles"][0]
        return raw[at : at + n * np.dtype(dtype).itemsize].view(dtype), raw[rat : rat + n]

    def read(self, lo: int, hi: int, roles: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Ids (as stored) and, when asked, roles of tokens [lo, hi) of this shard."""
        if self._is_local:
            ids_view, roles_view = self._local_views
            return ids_view[lo:hi], roles_view[lo:hi] if roles else None
        at, dtype, _ = self.layout["ids"]
        size = np.dtype(dtype).itemsize
        ids = np.frombuffer(self._bytes(at + lo * size, (hi - lo) * size), dtype)
        if not roles:
            return ids, None
        rat = self.layout["roles"][0]
        return ids, np.frombuffer(self._bytes(rat + lo, hi - lo), np.uint8)

    def close(self) -> None:
        if "_handle" in self.__dict__ and not self.folder.is_local:
            self._handle.close()
        self.__dict__.pop("_handle", None)
        self.__dict__.pop("_local_views", None)


@dataclass
class TokenSet:
    """The token files of a corpus for one tokenizer, as one stream: a global row index and per-shard files."""

    files: list[TokenFile]
    starts: np.ndarray  # [rows + 1] global token offset of every row (one pass)
    split: np.ndarray  # [rows] first target position inside the row
    noisy: np.ndarray  # [rows] bool
    noise: np.ndarray  # [rows] float32
    progress: np.ndarray  # [rows] float64
    shard: np.ndarray  # [rows] the shard column of every row (checked against the manifest's order)
    shard_row0: np.ndarray  # [shards + 1] global index of each shard's first row
    shard_tok0: np.ndarray  # [shards + 1] global offset of each shard's first token

    @property
    def rows(self) -> int:
        return len(self.split)

    @property
    def tokens(self) -> int:
        return int(self.starts[-1])

    def read(self, lo: int, hi: int, with_roles: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Ids (int64) and roles (unset unless `with_roles`) of global tokens [lo, hi) of one pass (may span shards)."""
        ids, roles = np.empty(hi - lo, np.int64), np.empty(hi - lo, np.uint8)
        s = int(np.searchsorted(self.shard_tok0, lo, "right")) - 1
        at = lo
        while at < hi:
            while self.shard_tok0[s + 1] <= at:
                s += 1
            end = min(hi, int(self.shard_tok0[s + 1]))
            base = int(self.shard_tok0[s])
            i, r = self.files[s].read(at - base, end - base, with_roles)
            ids[at - lo : end - lo] = i
            if r is not None:
                roles[at - lo : end - lo] = r
            at = end
        return ids, roles

    def close(self) -> None:
        for f in self.files:
            f.close()


def open_tokens(folder: Folder, shards: Any, fingerprint: str) -> TokenSet | None:
    """The token files of these manifest shards for this tokenizer; None when some are missing or stale.

    Refuses (InputError) a folder whose record names another tokenizer or format.
    """
    base = folder_of(fingerprint)
    if not folder.exists(f"{base}/{TOKENS_MANIFEST}"):
        return None
    mf = json.loads(folder.read(f"{base}/{TOKENS_MANIFEST}"))
    where = folder.display(f"{base}/{TOKENS_MANIFEST}")
    if mf.get("tokenizer") != fingerprint:
        raise InputError(f"{where}: token files made by tokenizer {mf.get('tokenizer')}, not this run's {fingerprint}; "
                         f"delete {folder.display(base)} or remake them with `python -m pipelines.tokenizer data=DATA`")
    if mf.get("format") != TOKENS_FORMAT:
        raise InputError(f"{where}: token file format {mf.get('format')}, this trainer reads {TOKENS_FORMAT}; "
                         f"delete {folder.display(base)} and rerun")
    recs = mf.get("shards", {})
    if any(e.path not in recs or recs[e.path]["source_sha256"] != e.sha256 for e in shards):
        return None
    return assemble([TokenFile(folder, f"{base}/{recs[e.path]['file']}") for e in shards])


def assemble(files: list[TokenFile]) -> TokenSet:
    """One global index over the shards' indexes (progress order)."""
    parts = [f.index for f in files]
    lengths = [np.diff(p["starts"]) for p in parts]
    row_counts = np.array([len(x) for x in lengths], np.int64)
    tok_counts = np.array([int(x.sum()) for x in lengths], np.int64)
    flat = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    starts = np.concatenate([[0], np.cumsum(flat)]).astype(np.int64)

    def cat(name: str, dtype: Any) -> np.ndarray:
        return np.concatenate([p[name] for p in parts]).astype(dtype) if parts else np.zeros(0, dtype)

    return TokenSet(files, starts, cat("split", np.int64), cat("noisy", bool), cat("noise", np.float32),
                    cat("progress", np.float64), cat("shard", np.int64),
                    np.concatenate([[0], np.cumsum(row_counts)]).astype(np.int64),
                    np.concatenate([[0], np.cumsum(tok_counts)]).astype(np.int64))
