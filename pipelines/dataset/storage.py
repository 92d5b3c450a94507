"""The one storage layer of every job: folders on any pyarrow filesystem (local path, file://, s3://, gs://).

Every path a job reads or writes (data, out_dir, tokenizer, export, metrics, held-out sets, the
checkpoints' root) goes through `Folder`, after `check` has validated its URI in one line. Writes are
atomic: local files by rename, object-store files by upload to a temp key + server-side copy (so a
killed upload never leaves an object under the final name). docs/pipeline.md, "Storage", says why
pyarrow.fs and how the guarantees hold.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyarrow.fs as pafs

from pipelines.errors import InputError

TMP_SUFFIX = ".tmp"
OBJECT_STORES = frozenset({"s3", "gcs", "abfs"})  # pyarrow FileSystem.type_name of stores with atomic uploads
SCHEMES = ("file", "s3", "gs", "gcs", "hdfs", "viewfs", "abfs", "abfss")  # what pyarrow.fs.FileSystem.from_uri opens
URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_uri(path: str | os.PathLike) -> bool:
    """A filesystem URI (scheme://...) rather than a local path."""
    return bool(URI.match(str(path)))


def normalize(out_dir: str | os.PathLike) -> str:
    """A URI stays as it is; a local path becomes absolute, so workers agree on it whatever their cwd."""
    out_dir = str(out_dir)
    return out_dir.rstrip("/") if is_uri(out_dir) else os.path.abspath(os.path.expanduser(out_dir))


def join(base: str | os.PathLike, *parts: str) -> str:
    """`base/part/...` for a local path or a URI (Path() would turn s3://b into s3:/b)."""
    return "/".join([normalize(base), *(p.strip("/") for p in parts if p)])


def check(uri: str | os.PathLike, key: str) -> str:
    """Validate a path or URI before any work (scheme, bucket, credentials); returns it normalized.

    Raises InputError (exit 2) with one line naming `key` and the fix.
    """
    uri = normalize(uri)
    m = URI.match(uri)
    if not m:
        return uri
    scheme = m.group(1).lower()
    if scheme not in SCHEMES:
        raise InputError(f"{key}={uri}: unknown scheme {scheme}://; use a local path or one of "
                         f"{', '.join(s + '://' for s in SCHEMES)}")
    if scheme == "s3" and "anonymous=true" not in uri:
        _require_aws_credentials(uri, key)
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except (OSError, ValueError) as err:
        why = _first_line(err)
        fix = f"write it as {scheme}://BUCKET/PATH" if "bucket" in why.lower() else f"check the URI and the {scheme} client setup"
        raise InputError(f"{key}={uri}: {why}; {fix}") from None
    if type(fs).__name__ in {"S3FileSystem", "GcsFileSystem"}:
        bucket = path.split("/", 1)[0]
        try:
            found = fs.get_file_info(bucket).type != pafs.FileType.NotFound
        except OSError as err:
            raise InputError(f"{key}={uri}: cannot reach bucket {bucket} ({_first_line(err)}); check the endpoint "
                             "(AWS_ENDPOINT_URL), the credentials and your access to the bucket") from None
        if not found:
            raise InputError(f"{key}={uri}: bucket {bucket} does not exist; create it or fix the URI")
    return uri


AWS_CREDENTIAL_SOURCES = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def _require_aws_credentials(uri: str, key: str) -> None:
    """Fail in one line when no AWS credential source exists (the SDK would only fail later, per request)."""
    if any(os.environ.get(k) for k in AWS_CREDENTIAL_SOURCES):
        return
    files = [os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
             os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")]
    if any(os.path.isfile(os.path.expanduser(f)) for f in files):
        return
    if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() != "true":
        return  # an instance role may answer; the bucket probe below reports a refusal
    raise InputError(f"{key}={uri}: no AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                     "(or AWS_PROFILE), or add ?anonymous=true for a public bucket")


def _first_line(err: BaseException) -> str:
    lines = [s.strip() for s in str(err).splitlines() if s.strip()]
    return lines[0].rstrip(".") if lines else type(err).__name__


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
        return f"{self.root}/{rel}" if rel else self.root

    def child(self, rel: str) -> Folder:
        """The folder `rel` below this one."""
        return Folder(join(self.uri, rel))

    @property
    def fsspec(self):  # -> fsspec.AbstractFileSystem
        """The same filesystem as an fsspec one (for torch.distributed.checkpoint's Fsspec writer/reader)."""
        from fsspec.implementations.arrow import ArrowFSWrapper

        return ArrowFSWrapper(self.fs)

    def display(self, rel: str = "") -> str:
        return f"{self.uri}/{rel}" if rel else self.uri

    def exists(self, rel: str = "") -> bool:
        return self.fs.get_file_info(self.path(rel)).type != pafs.FileType.NotFound

    def is_file(self, rel: str) -> bool:
        return self.fs.get_file_info(self.path(rel)).type == pafs.FileType.File

    def read_text(self, rel: str) -> str:
        return self.read(rel).decode()

    def write_text(self, rel: str, text: str) -> None:
        self.write_atomic(rel, text.encode())

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

    def subfolders(self, rel: str = "") -> list[str]:
        """Base names of the folders directly under `rel` (on object stores: the key prefixes)."""
        selector = pafs.FileSelector(self.path(rel), allow_not_found=True)
        return sorted(i.base_name for i in self.fs.get_file_info(selector) if i.type == pafs.FileType.Directory)

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
        # Object stores too: an upload that fails inside the `with` is still completed by close() (a
        # multipart upload of the parts sent so far), so only a finished temp object is copied to the
        # final key (server-side; pyarrow's move on S3 is copy + delete). A kill leaves a temp key.
        try:
            with self.fs.open_output_stream(self.path(tmp)) as f:
                f.write(data)
            self.fs.move(self.path(tmp), self.path(rel))
        except BaseException:
            try:
                self.fs.delete_file(self.path(tmp))
            except OSError:
                pass
            raise

    def remove_temp_files(self, rel: str) -> int:
        """Delete temp files a killed run left under `rel`; returns how many."""
        stale = [n for n in self.listdir(rel) if n.startswith(".") and n.endswith(TMP_SUFFIX)]
        for name in stale:
            self.fs.delete_file(self.path(f"{rel}/{name}"))
        return len(stale)

    def remove(self, rel: str) -> None:
        """Delete a file or a whole folder under `rel` (nothing when absent)."""
        info = self.fs.get_file_info(self.path(rel))
        if info.type == pafs.FileType.Directory:
            self.fs.delete_dir(self.path(rel))
        elif info.type == pafs.FileType.File:
            self.fs.delete_file(self.path(rel))

    def upload_dir(self, local: str | Path, rel: str = "", last: Sequence[str] = ()) -> None:
        """Copy a local folder's files to `rel`, each atomically; `last` (e.g. the file readers test for) go last."""
        local = Path(local)
        names = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
        names = [n for n in names if n not in last] + [n for n in last if n in names]
        for name in names:
            self.write_atomic(f"{rel}/{name}" if rel else name, (local / name).read_bytes())

    def download_dir(self, rel: str, local: str | Path) -> Path:
        """Copy every file under `rel` into the local folder `local`; returns it."""
        local = Path(local)
        base = self.path(rel)
        selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
        for info in self.fs.get_file_info(selector):
            if info.type != pafs.FileType.File:
                continue
            target = local / info.path[len(base):].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            with self.fs.open_input_stream(info.path) as f:
                target.write_bytes(f.read())
        return local


@contextmanager
def local_copy(uri: str | os.PathLike) -> Iterator[Path]:
    """A local folder with the contents of `uri`: the folder itself when local, else a temp download."""
    folder = Folder(normalize(uri))
    if folder.is_local:
        yield Path(folder.root)
        return
    with tempfile.TemporaryDirectory(prefix="cf-download-") as tmp:
        yield folder.download_dir("", tmp)


@contextmanager
def staged(uri: str | os.PathLike, last: Sequence[str] = ()) -> Iterator[Path]:
    """A local folder to write into; on success it is published at `uri` whole (rename, or upload with `last` last)."""
    folder = Folder(normalize(uri))
    if folder.is_local:
        out = Path(folder.root)
        tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
        tmp.mkdir(parents=True)
        try:
            yield tmp
            old = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.old")
            if out.exists():
                out.replace(old)
            tmp.replace(out)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    with tempfile.TemporaryDirectory(prefix="cf-upload-") as tmp:
        yield Path(tmp)
        for name in last:  # readers test for these: hide the old ones while the rest is replaced
            folder.delete(name)
        folder.upload_dir(tmp, "", last)
