"""Output folders on any pyarrow filesystem (local path, file://, s3://, gs://) with atomic writes."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from functools import cached_property

import pyarrow.fs as pafs

TMP_SUFFIX = ".tmp"
OBJECT_STORES = frozenset({"s3", "gcs", "abfs"})  # pyarrow FileSystem.type_name of stores with atomic uploads


def normalize(out_dir: str) -> str:
    """A URI stays as it is; a local path becomes absolute, so workers agree on it whatever their cwd."""
    return out_dir.rstrip("/") if "://" in out_dir else os.path.abspath(os.path.expanduser(out_dir))


@dataclass(frozen=True)
class Folder:
    """A dataset folder: `uri` is a normalized local path or a filesystem URI."""

    uri: str

    @cached_property
    def _resolved(self) -> tuple[pafs.FileSystem, str]:
        if "://" not in self.uri:
            return pafs.LocalFileSystem(), self.uri
        return pafs.FileSystem.from_uri(self.uri)

    @property
    def fs(self) -> pafs.FileSystem:
        return self._resolved[0]

    @property
    def root(self) -> str:
        return self._resolved[1]

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def path(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def display(self, rel: str = "") -> str:
        return f"{self.uri}/{rel}" if rel else self.uri

    def exists(self, rel: str) -> bool:
        return self.fs.get_file_info(self.path(rel)).type != pafs.FileType.NotFound

    def size(self, rel: str) -> int | None:
        info = self.fs.get_file_info(self.path(rel))
        return info.size if info.type == pafs.FileType.File else None

    def read(self, rel: str) -> bytes:
        with self.fs.open_input_stream(self.path(rel)) as f:
            return f.read()

    def listdir(self, rel: str) -> list[str]:
        """Base names of the files directly under `rel` (empty when it does not exist)."""
        selector = pafs.FileSelector(self.path(rel), allow_not_found=True)
        return sorted(i.base_name for i in self.fs.get_file_info(selector) if i.type == pafs.FileType.File)

    def makedirs(self, rel: str) -> None:
        self.fs.create_dir(self.path(rel), recursive=True)

    def delete(self, rel: str) -> None:
        if self.exists(rel):
            self.fs.delete_file(self.path(rel))

    def write_atomic(self, rel: str, data: bytes) -> None:
        """Write to a unique temp name beside the target, then rename: readers see all of it or nothing."""
        parent, _, name = rel.rpartition("/")
        tmp = f".{name}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}"
        tmp = f"{parent}/{tmp}" if parent else tmp
        if self.is_local:
            final, staged = self.path(rel), self.path(tmp)
            os.makedirs(os.path.dirname(final), exist_ok=True)
            try:
                with open(staged, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(staged, final)
            except BaseException:
                if os.path.exists(staged):
                    os.unlink(staged)
                raise
            return
        if self.fs.type_name in OBJECT_STORES:
            # An object becomes visible only when its upload completes: already all or nothing, and a
            # "rename" there would be a full copy.
            with self.fs.open_output_stream(self.path(rel)) as f:
                f.write(data)
            return
        with self.fs.open_output_stream(self.path(tmp)) as f:
            f.write(data)
        self.fs.move(self.path(tmp), self.path(rel))

    def remove_temp_files(self, rel: str) -> int:
        """Delete temp files a killed run left under `rel`; returns how many."""
        stale = [n for n in self.listdir(rel) if n.startswith(".") and n.endswith(TMP_SUFFIX)]
        for name in stale:
            self.fs.delete_file(self.path(f"{rel}/{name}"))
        return len(stale)
