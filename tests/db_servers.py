"""Real PostgreSQL and MariaDB servers on loopback, for the tests.

Each server is a private instance in a temporary directory on a free port,
started by the test session and stopped at its end (the packages come from
``scripts/install-db-servers.sh``, run by ``make test``). Nothing touches a
system service or a shared data directory.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class ServerUnavailable(RuntimeError):
    """The server's programs are not installed here."""


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _find(program: str, patterns: list[str]) -> str:
    found = shutil.which(program)
    if found:
        return found
    for pattern in patterns:
        matches = sorted(glob.glob(pattern))
        if matches:
            return matches[-1]
    raise ServerUnavailable(
        f"{program} is not installed (scripts/install-db-servers.sh installs it)"
    )


def _wait_for_port(port: int, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    text = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise RuntimeError(f"{what} did not start on port {port} within {timeout} s:\n{text}")


def _private_dir(prefix: str, owner: str | None) -> Path:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)
    if owner is not None:
        shutil.chown(base, owner, owner)
    return base


@dataclass
class Postgres:
    base: Path
    port: int
    pg_ctl: str
    as_user: list[str]

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, self.pg_ctl, "-D", str(self.base / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.base, ignore_errors=True)


def start_postgres() -> Postgres:
    initdb = _find("initdb", ["/usr/lib/postgresql/*/bin/initdb"])
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    # PostgreSQL refuses to run as root: use its own account then.
    root = os.geteuid() == 0
    as_user = ["runuser", "-u", "postgres", "--"] if root else []
    base = _private_dir("aioxide-pg-", "postgres" if root else None)
    data = base / "data"
    port = free_port()
    subprocess.run(
        [
            *as_user,
            initdb,
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        capture_output=True,
        check=True,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(base / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        capture_output=True,
        check=True,
    )
    _wait_for_port(port, 60, "PostgreSQL", base / "server.log")
    return Postgres(base, port, pg_ctl, as_user)


@dataclass
class MariaDB:
    base: Path
    port: int
    process: subprocess.Popen[bytes]
    user: str = "aioxide"
    password: str = "aioxide"
    database: str = "test"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)


def start_mariadb() -> MariaDB:
    server = _find("mariadbd", ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"])
    install = _find("mariadb-install-db", ["/usr/bin/mysql_install_db"])
    client = _find("mariadb", ["/usr/bin/mysql"])
    base = _private_dir("aioxide-mariadb-", None)
    data = base / "data"
    sock = base / "mysqld.sock"
    port = free_port()
    run_as = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            install,
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *run_as,
        ],
        capture_output=True,
        check=True,
    )
    log = base / "server.log"
    process = subprocess.Popen(
        [
            server,
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={base / 'mysqld.pid'}",
            f"--log-error={log}",
            "--innodb-flush-log-at-trx-commit=0",
            "--skip-log-bin",
            *run_as,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, 60, "MariaDB", log)
        setup = (
            "CREATE USER 'aioxide'@'%' IDENTIFIED BY 'aioxide';"
            "GRANT ALL ON *.* TO 'aioxide'@'%';"
            "CREATE DATABASE test;"
        )
        subprocess.run(
            [client, "--no-defaults", f"--socket={sock}", "-u", "root", "-e", setup],
            capture_output=True,
            check=True,
        )
    except BaseException:
        process.kill()
        raise
    return MariaDB(base, port, process)
