"""Check every shard a reader is about to stream against its manifest before the first row is read.

What is checked per shard, and why it is enough: the file's size and its Parquet footer (a few KiB read,
not the shard): the footer must name the manifest's config hash, the shard's index and its row count.
A shard copied in from another seed or another held-out set carries another config hash; a shard moved to
another index names its own; a truncated file has no footer or another size. A bit flip inside a page is
caught where it is read (Parquet page checksums, written for every page) and by `pipelines.verify`, which
hashes every byte (sha256) — hashing whole shards on every open would read the corpus twice.
"""

from __future__ import annotations

from pipelines.dataset.manifest import Manifest, ShardEntry
from pipelines.dataset.schema import METADATA_KEY
from pipelines.dataset.storage import Folder
from pipelines.errors import Refused


class ShardError(ValueError):
    """What is wrong with a shard's footer."""


class UntrustedShard(Refused):
    """A shard that is not the one its manifest describes (foreign, moved, truncated): exit 3."""


def check_shard(folder: Folder, manifest: Manifest, entry: ShardEntry) -> None:
    """Raise UntrustedShard naming the shard unless its size and footer match the manifest."""
    where = folder.display(entry.path)
    size = folder.size(entry.path)
    if size is None:
        raise UntrustedShard(f"{where}: missing (the manifest lists it); regenerate the dataset or restore the file")
    try:
        meta = _footer(folder, entry.path)
    except Exception as err:  # noqa: BLE001 - whatever the parser says, the shard is not what the manifest lists
        if size != entry.bytes:
            raise UntrustedShard(f"{where}: {size} bytes, the manifest says {entry.bytes} (truncated or replaced); "
                                 "regenerate it (`python -m pipelines.generate` with its config)") from None
        raise UntrustedShard(f"{where}: unreadable footer ({str(err).splitlines()[0]}); regenerate it") from None
    if meta.get("config_hash") != manifest.config_hash:
        raise UntrustedShard(f"{where}: made by config {meta.get('config_hash')}, not this dataset's "
                             f"{manifest.config_hash} (copied in from another dataset?); regenerate it")
    if meta.get("shard") != entry.index or meta.get("rows") != entry.rows:
        raise UntrustedShard(f"{where}: its footer says shard {meta.get('shard')} with {meta.get('rows')} rows, "
                             f"the manifest shard {entry.index} with {entry.rows}; regenerate it")
    if size != entry.bytes:
        raise UntrustedShard(f"{where}: {size} bytes, the manifest says {entry.bytes} (replaced); regenerate it")


def check_corpus(folder: Folder, manifest: Manifest) -> None:
    """Check every shard of the manifest (see check_shard); the first bad one is refused by name."""
    for entry in manifest.shards:
        check_shard(folder, manifest, entry)


def _footer(folder: Folder, rel: str) -> dict:
    """The shard's footer description, read through a random-access handle (the footer only, not the pages)."""
    import json

    import pyarrow.parquet as pq

    with folder.fs.open_input_file(folder.path(rel)) as f:
        pf = pq.ParquetFile(f)
        meta = pf.schema_arrow.metadata or {}
        if METADATA_KEY not in meta:
            raise ShardError("no curriculum_forge metadata in the footer")
        described = json.loads(meta[METADATA_KEY])
        if pf.metadata.num_rows != described.get("rows"):
            raise ShardError(f"{pf.metadata.num_rows} rows in the file, {described.get('rows')} in its footer")
        return described
