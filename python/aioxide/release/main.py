"""The command line: ``aioxide-release`` (and ``attribution`` through
:mod:`aioxide.compat`), attribution's click group with the same commands,
options and exit codes, plus ``generate --output``, ``tag --dry-run`` and a
``tag`` that leaves the repository as it was when any step fails.

>>> from click.testing import CliRunner
>>> CliRunner().invoke(main, ["--help"]).exit_code
0
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__, git
from .generate import (
    CargoFile,
    Changelog,
    GeneratedFile,
    NpmFile,
    PyprojectVersion,
    VersionFile,
    render_latest,
    render_unreleased,
)
from .helpers import sh
from .project import Project
from .tag import Tag
from .types import Version

__all__ = ["main"]

LOG = logging.getLogger(__name__)


@click.group()
@click.version_option(__version__, "-V", "--version", prog_name="attribution")
@click.option("-d", "--debug", is_flag=True, help="Enable debug logging")
def main(debug: bool = False) -> None:
    """Generate changelogs from tags and shortlog"""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr)


@main.command("init")
def init() -> None:
    """Write [tool.attribution] into pyproject.toml (and __version__.py)."""
    project = Project.load()
    name = click.prompt("Project name", default=project.name)
    package = click.prompt("Package namespace", default=project.package)
    version_file = click.confirm("Use __version__.py file", default=project.config["version_file"])
    signed_tags = click.confirm("Use GPG signed tags", default=project.config["signed_tags"])

    import tomlkit  # edits pyproject.toml keeping its formatting

    path = project.pyproject_path()
    existed = path.is_file()
    document = tomlkit.loads(path.read_text()) if existed else tomlkit.document()
    tool = document.get("tool")
    if tool is None:
        if existed:
            document.append(None, tomlkit.nl())
        tool = tomlkit.table(is_super_table=True)
        document.append("tool", tool)
    table = tool.get("attribution")
    if table is None:
        table = tomlkit.table()
        tool.append("attribution", table)
    table["name"] = name
    table["package"] = package
    table["signed_tags"] = signed_tags
    table["version_file"] = version_file
    path.write_text(tomlkit.dumps(document))

    project = Project.load()
    if version_file:
        VersionFile(project).write()


@main.command("debug")
def debug() -> None:
    """Dump debug info about project"""
    show: Callable[[Any], None]
    try:
        import rich  # type: ignore[import-not-found, unused-ignore]

        show = rich.print
    except ImportError:
        show = click.echo
    project = Project.load()
    project.tags  # noqa: B018 - read them, so the dump includes them
    show(f"pyproject.toml: {project.pyproject_path()}")
    show(project)


@main.command("log")
@click.argument("version", type=Version, default=None, required=False)
def show_log(version: Version | None) -> None:
    """Show log of revisions since last tag"""
    project = Project.load()
    tag: Tag | None = None
    if version:
        tag = project.get_tag(version)
    elif project.tags:
        tag = project.tags[0]
    sh(*project.log_since_tag_cmd(tag), raw=True)


def _need_full_history() -> None:
    """A repository with its whole history, or a clear error."""
    if git.history() is None:
        raise click.ClickException(
            f"not a git repository (or any parent up to the mount point): {Path.cwd()}"
        )
    if git.is_shallow():
        raise click.ClickException(
            "this is a shallow clone: its history is cut off, so every shortlog would be "
            "wrong. Fetch the whole history first (git fetch --unshallow)."
        )


@main.command("generate")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the changelog to this file instead of printing it",
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Render with this Jinja template instead of attribution's",
)
@click.option("--latest", is_flag=True, help="Only the newest tag's section")
@click.option("--unreleased", is_flag=True, help="Only a section for commits since the newest tag")
def generate(output: Path | None, template: str | None, latest: bool, unreleased: bool) -> None:
    """Regenerate changelog from existing tags"""
    if latest and unreleased:
        raise click.UsageError("--latest and --unreleased are two different sections: pick one")
    _need_full_history()
    project = Project.load()
    LOG.debug("project: %s", project)
    if latest:
        if not project.tags:
            raise click.ClickException("no version tags yet: there is no latest section")
        text = render_latest(project.tags[0])
    elif unreleased:
        text = render_unreleased(project)
    elif template is not None:
        text = Changelog(project, template=str(Path(template).resolve())).generate()
    else:
        text = Changelog(project).generate()
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n")


class _Release:
    """One ``tag`` run: what it changes, and how to undo all of it."""

    def __init__(self, project: Project, version: Version, message: str) -> None:
        self.project = project
        self.version = version
        self.message = message
        self.name = f"v{version}"
        self.head = sh("git", "rev-parse", "--verify", "HEAD").strip()
        self.tagged = False

    def files(self) -> list[GeneratedFile]:
        files: list[GeneratedFile] = [Changelog(self.project)]
        config = self.project.config
        if config.get("version_file"):
            files.append(VersionFile(self.project))
        if config.get("project_version"):
            files.append(PyprojectVersion(self.project))
        if config.get("cargo_packages"):
            files += CargoFile.search(self.project, config["cargo_packages"])
        if config.get("npm_packages"):
            files += NpmFile.search(self.project, config["npm_packages"])
        return files

    def run(self) -> None:
        sh("git", "commit", "-m", f"Version bump {self.name}", "--allow-empty")
        # A temporary unsigned tag, so the generated files see the version.
        Tag.create(self.version, message=self.message, signed=False)
        self.tagged = True
        project = Project.load(self.project.root)
        self.project = project
        for generated in self.files():
            generated.write()
            sh("git", "add", "--", *map(str, generated.touched()))
        sh("git", "commit", "--amend", "--no-edit")
        tag = project.get_tag(self.version) or Tag(self.name, self.version)
        tag.update(message=self.message, signed=bool(project.config["signed_tags"]))

    def undo(self) -> None:
        """Back to exactly the state before: no tag, HEAD and tree as they were."""
        if self.tagged:
            subprocess.run(["git", "tag", "--delete", self.name], capture_output=True)
        subprocess.run(["git", "reset", "--hard", "--quiet", self.head], capture_output=True)


def _edit_message(project: Project, version: Version) -> str | None:
    template = (
        f"\n# Write a changelog for version {version}\n#\n"
        "# Lines starting with '#' will be ignored\n"
    )
    if project.tags:
        last = project.tags[0]
        log = sh(*project.log_since_tag_cmd(last))
        template += f"#\n# Changes since {last.name}:\n#\n"
        template += "".join(f"# {line}\n" for line in log.splitlines())
    edited = click.edit(template)
    if edited is None:
        return None
    return "".join(line for line in edited.splitlines(keepends=True) if not line.startswith("#"))


@main.command("tag")
@click.option(
    "-m", "--message", type=str, default=None, help="Use the given message instead of prompting"
)
@click.option(
    "--dry-run", is_flag=True, help="Show the commit, files and tag it would make; change nothing"
)
@click.argument("version", type=Version)
def tag_release(version: Version, message: str | None, dry_run: bool) -> None:
    """Create new tagged release with changelog"""
    _need_full_history()
    project = Project.load()
    LOG.debug("project: %s", project)
    for existing in project.tags:
        if existing.version == version:
            click.secho(f"abort: tag {existing.name!r} already exists!", fg="yellow")
            click.get_current_context().exit(1)
    dirty = sh("git", "status", "--porcelain", "--untracked-files=no").strip()
    if dirty:
        raise click.ClickException(
            "the working tree has uncommitted changes; commit or stash them first "
            "(the release commit would include them)"
        )
    if dry_run:
        release = _Release(project, version, message or "")
        signed = "signed" if project.config["signed_tags"] else "annotated"
        click.echo(f"would commit: Version bump v{version} (on {release.head[:12]})")
        for generated in release.files():
            click.echo(f"would write:  {generated.filename.relative_to(project.root)}")
        click.echo(f"would tag:    v{version} ({signed})")
        return
    if message is None:
        message = _edit_message(project, version)
        if message is None:
            click.echo("No message given, aborting")
            return
    release = _Release(project, version, message)
    try:
        release.run()
    except (subprocess.CalledProcessError, OSError, ValueError) as err:
        release.undo()
        detail = err.output if isinstance(err, subprocess.CalledProcessError) else str(err)
        saved = (
            Path(sh("git", "rev-parse", "--git-dir").strip()) / f"aioxide-release-v{version}.txt"
        )
        saved.write_text(message)
        raise click.ClickException(
            f"release v{version} failed, nothing was changed (the repository is as before; "
            f"your message is saved in {saved}):\n{str(detail).strip()}"
        ) from err


if __name__ == "__main__":
    main(prog_name="attribution")
