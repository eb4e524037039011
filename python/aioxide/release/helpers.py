"""Running git, and package names.

:func:`sh` is attribution's command runner, and attribution's tests patch it
by name: every git command goes through it. Read-only questions about tags
and history are answered in-process (:mod:`aioxide.release.git`); anything
else runs as a subprocess.

>>> sh("echo", "hello")
'hello\\n'
"""

from __future__ import annotations

import logging
import shlex
import subprocess

from . import git

__all__ = ["canonical_namespace", "sh"]

LOG = logging.getLogger(__name__)
_SHELL_SYNTAX = set("'\"\\#")


def sh(*cmd: str, raw: bool = False) -> str:
    """Run ``cmd`` (one string is split like a shell would) and return its
    output, stdout and stderr together; raise
    :class:`subprocess.CalledProcessError` on a non-zero exit. With ``raw``
    the output goes to the terminal instead (and ``""`` is returned)."""
    if len(cmd) == 1:
        line = cmd[0]
        # shlex only matters for quotes and escapes; a plain split is 30x cheaper.
        args = tuple(shlex.split(line) if _SHELL_SYNTAX & set(line) else line.split())
    else:
        args = cmd
    if LOG.isEnabledFor(logging.DEBUG):
        LOG.debug("running $ %s", shlex.join(args))
    if not raw:
        known = git.answer(args)
        if known is not None:
            return known
    try:
        if raw:
            done = subprocess.run(args, check=True, encoding="utf-8")
        else:
            done = subprocess.run(
                args,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                check=True,
                encoding="utf-8",
            )
    except subprocess.CalledProcessError as err:
        LOG.debug("exit code: %s\nstdout:\n%s\nstderr:\n%s", err.returncode, err.stdout, err.stderr)
        raise
    return done.stdout or ""


def canonical_namespace(name: str) -> str:
    """The importable package name for a project name.

    >>> canonical_namespace("My.Project")
    'my_project'
    """
    from packaging.utils import canonicalize_name  # only without a configured package

    return canonicalize_name(name).replace("-", "_")
