"""One writer per folder: a lease object created only if absent, renewed by a heartbeat, fenced by its token.

The lease is `.lease.json` in the folder: owner (host, pid, run id), a token naming this holding, and
created/renewed/expires times. Taking it is one atomic create-if-absent: O_CREAT|O_EXCL on local disk,
a conditional PUT (`If-None-Match: *`) on S3. A lease past its expiry, or held by a dead process on this
host, is taken over; on S3 the takeover is a compare-and-swap on the stale lease's ETag (`If-Match`), so
two runs cannot both take over one stale lease. A heartbeat thread renews the lease while the job runs.
Workers check the token right before they publish (`Fence.check`): a worker of a run whose lease was
taken over publishes nothing.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import BaseModel

from pipelines.dataset.storage import Folder, normalize
from pipelines.errors import Refused

LEASE = ".lease.json"
TTL_SECONDS = 60.0  # a lease not renewed for this long belongs to a dead run
RENEW_EVERY = TTL_SECONDS / 4


class Held(Refused):
    """The folder's lease is held by another live run (exit 3)."""


class Fenced(Refused):
    """This run no longer holds the folder's lease: it must not publish anything there (exit 3)."""


class Lease(BaseModel, extra="forbid"):
    """Who holds a folder, and until when."""

    job: str
    host: str
    pid: int
    run_id: str
    token: str  # one per holding: a takeover makes a new one, which fences the old holder's workers
    created: float
    renewed: float
    expires: float

    def describe(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        return (f"{self.job} run {self.run_id} (pid {self.pid} on {self.host}), renewed {now - self.renewed:.0f}s ago, "
                f"expires in {max(0.0, self.expires - now):.0f}s")

    def stale(self, now: float | None = None) -> str | None:
        """Why this lease may be taken over (expired, or its process is gone), or None while it is live."""
        now = time.time() if now is None else now
        if now >= self.expires:
            return f"expired {now - self.expires:.0f}s ago"
        if self.host == socket.gethostname() and not _alive(self.pid):
            return f"pid {self.pid} on this host is gone"
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_lease(job: str, ttl: float = TTL_SECONDS, run_id: str | None = None) -> Lease:
    now = time.time()
    return Lease(job=job, host=socket.gethostname(), pid=os.getpid(), run_id=run_id or uuid.uuid4().hex[:12],
                 token=uuid.uuid4().hex, created=now, renewed=now, expires=now + ttl)


# ---- stores: create-if-absent, read, compare-and-swap, delete ------------------------------------------------


class _LocalStore:
    """The lease as a local file: O_EXCL create; takeover by rename-aside, checked, then O_EXCL create."""

    def __init__(self, folder: Folder) -> None:
        self.path = folder.path(LEASE)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)

    def create(self, data: bytes) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return True

    def read(self) -> tuple[bytes, str] | None:
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        return data, data.decode(errors="replace")  # the bytes are their own version tag

    def swap(self, version: str, data: bytes) -> bool:
        """Replace the lease only if it still holds `version` (takeover of a stale lease, or renewal)."""
        aside = f"{self.path}.{uuid.uuid4().hex[:12]}.old"
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return False
        with open(aside, "rb") as f:
            moved = f.read()
        if moved.decode(errors="replace") != version:  # another run got there first: put its lease back
            try:
                os.link(aside, self.path)
            except FileExistsError:
                pass
            os.unlink(aside)
            return False
        os.unlink(aside)
        return self.create(data)

    def renew(self, version: str, data: bytes) -> bool:
        """Overwrite our own live lease in place (no moment without a lease, unlike a takeover)."""
        current = self.read()
        if current is None or current[1] != version:
            return False
        staged = f"{self.path}.{uuid.uuid4().hex[:12]}.tmp"
        with open(staged, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(staged, self.path)
        return True

    def delete(self, version: str) -> None:
        current = self.read()
        if current is not None and current[1] == version:
            os.unlink(self.path)


class _S3Store:
    """The lease as an S3 object: `If-None-Match: *` to create, `If-Match: ETAG` to renew, take over or delete."""

    def __init__(self, folder: Folder) -> None:
        import boto3

        bucket_key = folder.uri.split("://", 1)[1]
        self.bucket, _, prefix = bucket_key.partition("/")
        self.key = f"{prefix.strip('/')}/{LEASE}" if prefix.strip("/") else LEASE
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        self.client = boto3.client("s3", endpoint_url=endpoint)

    def _put(self, data: bytes, **condition: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self.key, Body=data, **condition)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict", "412",
                                                             "409", "NoSuchKey"):
                return False
            raise
        return True

    def create(self, data: bytes) -> bool:
        return self._put(data, IfNoneMatch="*")

    def read(self) -> tuple[bytes, str] | None:
        from botocore.exceptions import ClientError

        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return got["Body"].read(), got["ETag"]

    def swap(self, version: str, data: bytes) -> bool:
        return self._put(data, IfMatch=version)

    renew = swap

    def delete(self, version: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=version)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "NoSuchKey", "404"):
                raise


def _store(folder: Folder):
    if folder.is_local:
        return _LocalStore(folder)
    if folder.uri.startswith("s3://"):
        return _S3Store(folder)
    raise Refused(f"{folder.display()}: no conditional writes on this store, so no lock; use a local path or s3://")


# ---- acquire, renew, release --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fence:
    """What a worker needs to check, right before it publishes, that its run still holds the folder."""

    uri: str
    token: str

    def check(self, what: str) -> None:
        """Raise Fenced unless the folder's lease still carries this token."""
        current = read(Folder(self.uri))
        if current is None or current[0].token != self.token:
            holder = f"now held by {current[0].describe()}" if current else "released"
            raise Fenced(f"{Folder(self.uri).display(what)}: not published, this run lost the folder's lease ({holder})")


def read(folder: Folder) -> tuple[Lease, str] | None:
    """The folder's lease and its version tag, or None when nobody holds it."""
    got = _store(folder).read()
    if got is None:
        return None
    try:
        return Lease.model_validate_json(got[0]), got[1]
    except ValueError:  # a torn or foreign lease file: treat as expired, so it can be replaced
        return Lease(job="?", host="?", pid=0, run_id="unreadable", token="", created=0, renewed=0, expires=0), got[1]


def acquire(folder: Folder, job: str, ttl: float = TTL_SECONDS, run_id: str | None = None) -> tuple[Lease, str]:
    """Take the folder's lease (taking over a stale one); raises Held naming the live holder."""
    store, mine = _store(folder), new_lease(job, ttl, run_id)
    data = mine.model_dump_json().encode()
    for _ in range(5):
        if store.create(data):
            return mine, _version(store, mine)
        current = read(folder)
        if current is None:
            continue  # released between our create and our read
        holder, version = current
        why = holder.stale()
        if why is None:
            raise Held(f"{folder.display()} is in use by {holder.describe()}; wait for it to finish, or use "
                       f"another out_dir (a dead run's lease is taken over once it expires)")
        if store.swap(version, data):
            print(f"{folder.display(LEASE)}: took over the lease of {holder.job} run {holder.run_id} ({why})",
                  file=sys.stderr, flush=True)
            return mine, _version(store, mine)
    raise Held(f"{folder.display()}: could not take its lease (another run keeps taking it); try again")


def _version(store, mine: Lease) -> str:
    got = store.read()
    if got is None or Lease.model_validate_json(got[0]).token != mine.token:
        raise Fenced(f"lost the lease right after taking it ({store.__class__.__name__})")
    return got[1]


def renew(folder: Folder, mine: Lease, version: str, ttl: float = TTL_SECONDS) -> tuple[Lease, str]:
    """Push the expiry forward; raises Fenced when the lease is no longer ours."""
    store = _store(folder)
    now = time.time()
    renewed = mine.model_copy(update={"renewed": now, "expires": now + ttl})
    if not store.renew(version, renewed.model_dump_json().encode()):
        raise Fenced(f"{folder.display(LEASE)}: lease lost before renewal")
    return renewed, _version(store, renewed)


def release(folder: Folder, mine: Lease) -> None:
    """Delete the lease if it is still ours (a lease taken over by another run is left to it)."""
    current = read(folder)
    if current is not None and current[0].token == mine.token:
        _store(folder).delete(current[1])


@contextmanager
def held(out_dir: str, job: str, ttl: float = TTL_SECONDS) -> Iterator[Fence]:
    """Hold `out_dir`'s lease for the block, renewed by a heartbeat thread; yields the fence workers check."""
    folder = Folder(normalize(out_dir))
    mine, version = acquire(folder, job, ttl)
    state = {"lease": mine, "version": version}
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(min(RENEW_EVERY, ttl / 4)):
            try:
                state["lease"], state["version"] = renew(folder, state["lease"], state["version"], ttl)
            except Fenced as err:
                print(f"{err}; this run's remaining shards will not be published", file=sys.stderr, flush=True)
                return
            except Exception as err:  # noqa: BLE001 - a store hiccup: try again at the next beat
                print(f"{folder.display(LEASE)}: renewal failed ({err}); retrying", file=sys.stderr, flush=True)

    beat = threading.Thread(target=heartbeat, name=f"lease-{job}", daemon=True)
    beat.start()
    try:
        yield Fence(folder.uri, mine.token)
    finally:
        stop.set()
        beat.join(timeout=10)
        release(folder, state["lease"])


@contextmanager
def held_by_main_rank(out_dir: str, job: str) -> Iterator[Fence | None]:
    """The trainer's lock: rank 0 (RANK unset or 0) holds the lease; other ranks hold nothing."""
    if int(os.environ.get("RANK", "0")) != 0 or os.path.isfile(out_dir):
        yield None  # other ranks; a file out_dir is refused by the job itself
        return
    with held(out_dir, job) as fence:
        yield fence
