"""aioxide.release against attribution 1.8.0, on the same histories.

Every history is built with ``git fast-import`` (tests/release_histories.py),
then both tools run ``generate`` in it as their command lines do; the
outputs must be equal byte for byte. hypothesis draws the histories: merges,
several authors (non-ASCII names, names differing only in case, a bot), a
``.mailmap``, first tags on the root commit, tags that are not versions,
several tags on one commit, PGP-signed messages. Where attribution crashes
(lightweight version tags) aioxide must produce the changelog instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioxide.release.generate import render_version
from release_histories import AUTHORS, Commit, History, Merge, TagStep, build, linear

EXAMPLES = int(os.environ.get("AIOXIDE_RELEASE_EXAMPLES", "25"))
PROFILE = settings(
    max_examples=EXAMPLES,
    derandomize=os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)


def run(
    tool: str, repo: Path, *args: str, native: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """``tool`` (attribution or aioxide.release) as its command line runs;
    ``native=False`` makes aioxide.release take its Python path for
    ``generate`` too (see aioxide/release/cli.py)."""
    module = "attribution" if tool == "attribution" else "aioxide.release"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if not native:
        env["AIOXIDE_RELEASE_NATIVE"] = "0"
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=repo, capture_output=True, env=env, timeout=120
    )


VERSIONS = st.sampled_from(["v0.1", "v0.2", "1.0", "v1.0.1", "v2.0rc1", "v10.0", "0.3.dev1"])
OTHER_NAMES = st.sampled_from(["latest", "feature-x", "stable"])

steps = st.lists(
    st.one_of(
        st.builds(
            Commit,
            author=st.integers(0, len(AUTHORS) - 1),
            side=st.booleans(),
            message=st.sampled_from(["fix", "feat: thing", "docs"]),
        ),
        st.builds(Merge, author=st.integers(0, len(AUTHORS) - 1)),
        st.builds(
            TagStep,
            name=st.one_of(VERSIONS, OTHER_NAMES),
            message=st.sampled_from(["Release", "Big release\n\n- one\n- two\n", "  spaced  \n"]),
            side=st.booleans(),
            signed=st.booleans(),
        ),
        # Lightweight tags attribution tolerates: names that are not versions.
        st.builds(TagStep, name=OTHER_NAMES, message=st.none()),
    ),
    min_size=1,
    max_size=14,
)


def unique_tags(history: History) -> History:
    seen: set[str] = set()
    kept: list[Commit | Merge | TagStep] = []
    for step in history.steps:
        if isinstance(step, TagStep):
            if step.name in seen:
                continue
            seen.add(step.name)
        kept.append(step)
    return History(kept, history.mailmap)


histories = st.builds(
    History,
    steps=steps,
    mailmap=st.sampled_from([None, "Robert <bob@example.com>\n", "Bob <BOB@example.com>\n"]),
).map(unique_tags)


@PROFILE
@given(history=histories)
def test_generate_is_byte_for_byte_attributions(
    tmp_path_factory: pytest.TempPathFactory, history: History
) -> None:
    repo = build(history, tmp_path_factory.mktemp("repo"))
    theirs = run("attribution", repo, "generate")
    ours = run("aioxide.release", repo, "generate")
    python_path = run("aioxide.release", repo, "generate", native=False)
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert ours.returncode == 0, ours.stderr.decode()
    assert ours.stdout == theirs.stdout
    assert python_path.stdout == theirs.stdout


def _checkout() -> Path:
    """This repository's root. Only a source archive has no .git; CI always
    runs in a clone, so there the test must not be skipped."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        if os.environ.get("CI"):
            pytest.fail("CI runs in a git clone: .git is missing")
        pytest.skip("not a git checkout (a source archive)")
    return root


def test_this_projects_own_history_with_a_few_versions(tmp_path: Path) -> None:
    """The real history of this repository (clone it, tag a few versions)."""
    root = _checkout()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-local", str(root), str(clone)], check=True)
    log = subprocess.run(
        ["git", "-C", str(clone), "rev-list", "--first-parent", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    picks = [log[len(log) * k // 5] for k in (4, 3, 2, 1)] + [log[0]]
    for number, commit in enumerate(picks):
        subprocess.run(
            [
                *("git", "-C", str(clone), "-c", "user.name=R", "-c", "user.email=r@x"),
                *("tag", "-a", f"v0.{number}", commit, "-m", f"Version 0.{number}\n\nNotes."),
            ],
            check=True,
        )
    theirs = run("attribution", clone, "generate")
    ours = run("aioxide.release", clone, "generate")
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert ours.stdout == theirs.stdout
    assert run("aioxide.release", clone, "generate", native=False).stdout == theirs.stdout
    assert ours.stdout.count(b"$ git shortlog -s") == 5


def test_lightweight_version_tags_crash_attribution_but_not_aioxide(tmp_path: Path) -> None:
    repo = build(
        History(
            [
                Commit(0),
                TagStep("v0.1", "First"),
                Commit(1),
                TagStep("v0.2", None),  # lightweight
                Commit(2),
            ]
        ),
        tmp_path,
    )
    assert run("attribution", repo, "generate").returncode != 0
    ours = run("aioxide.release", repo, "generate")
    assert ours.returncode == 0, ours.stderr.decode()
    assert run("aioxide.release", repo, "generate", native=False).stdout == ours.stdout
    text = ours.stdout.decode()
    assert "v0.2\n----\n\n\n```text\n$ git shortlog -s v0.1...v0.2\n     1\tBob\n```" in text


def test_a_repository_without_tags(tmp_path: Path) -> None:
    repo = build(History([Commit(0), Commit(1)]), tmp_path)
    theirs = run("attribution", repo, "generate")
    ours = run("aioxide.release", repo, "generate")
    assert ours.returncode == 0
    assert ours.stdout == theirs.stdout


def test_a_shallow_clone_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    origin = build(linear(tags=3, commits_per_tag=3), tmp_path / "origin")
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{origin}", str(shallow)], check=True
    )
    subprocess.run(["git", "-C", str(shallow), "fetch", "-q", "--tags"], check=True)
    ours = run("aioxide.release", shallow, "generate")
    assert ours.returncode == 1
    assert b"shallow clone" in ours.stderr
    assert b"git fetch --unshallow" in ours.stderr


def test_generate_output_writes_the_file(tmp_path: Path) -> None:
    repo = build(linear(tags=2, commits_per_tag=2), tmp_path)
    printed = run("aioxide.release", repo, "generate").stdout
    assert run("aioxide.release", repo, "generate", "--output", "CHANGES.md").returncode == 0
    assert (repo / "CHANGES.md").read_bytes() == printed


def test_the_version_file_text_is_attributions() -> None:
    # In a fresh interpreter: other tests alias attribution to aioxide.
    script = (
        "from attribution.generate import VersionFile\n"
        "class L: version = '1.2.3'\n"
        "import pathlib\n"
        "class P: latest = L(); tags = []; package = 'pkg'; root = pathlib.Path('.')\n"
        "import sys; sys.stdout.write(VersionFile(P()).generate())\n"
    )
    expected = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    assert render_version("1.2.3") == expected


def test_the_package_reports_aioxides_version() -> None:
    import aioxide
    import aioxide.release

    assert aioxide.release.__version__ == aioxide.__version__


# -- the tag flow ------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def _state(repo: Path) -> tuple[str, str, str, list[str]]:
    """Everything a failed release must leave as it was."""
    files = sorted(
        str(p.relative_to(repo)) + "=" + p.read_text(errors="replace")
        for p in repo.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )
    return (
        _git(repo, "rev-parse", "HEAD"),
        _git(repo, "tag"),
        _git(repo, "status", "--porcelain"),
        files,
    )


def _project(tmp_path: Path, signed: bool = False) -> Path:
    repo = build(linear(tags=2, commits_per_tag=2), tmp_path / "proj")
    _git(repo, "config", "user.name", "Releaser")
    _git(repo, "config", "user.email", "rel@example.com")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "proj"\n\n[tool.attribution]\nname = "proj"\npackage = "proj"\n'
        f"signed_tags = {'true' if signed else 'false'}\nversion_file = true\n"
    )
    (repo / "proj").mkdir()
    (repo / "proj" / "__init__.py").write_text("")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "project files")
    return repo


def test_tag_cuts_a_release_commit_with_changelog_and_version_file(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    done = run("aioxide.release", repo, "tag", "1.0.0", "-m", "The first stable release.\n")
    assert done.returncode == 0, done.stderr.decode()
    assert _git(repo, "describe", "--exact-match", "--tags", "HEAD").strip() == "v1.0.0"
    assert _git(repo, "log", "-1", "--format=%s").strip() == "Version bump v1.0.0"
    assert _git(repo, "status", "--porcelain").strip() == ""
    assert '__version__ = "1.0.0"' in _git(repo, "show", "HEAD:proj/__version__.py")
    changelog = _git(repo, "show", "HEAD:CHANGELOG.md")
    assert changelog.startswith("proj\n====\n")
    assert "v1.0.0\n------\n\nThe first stable release." in changelog
    # The tag message is the release message, on the amended commit.
    assert (
        _git(repo, "tag", "-l", "--format=%(contents)", "v1.0.0").strip()
        == "The first stable release."
    )
    # And the changelog in the commit is what generate prints now.
    assert run("aioxide.release", repo, "generate").stdout.decode() == changelog + "\n"


def test_tag_refuses_an_existing_version_with_exit_1(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    before = _state(repo)
    done = run("aioxide.release", repo, "tag", "0.1.0", "-m", "again")
    assert done.returncode == 1
    assert b"already exists" in done.stdout
    assert _state(repo) == before


def test_a_failing_step_leaves_the_repository_exactly_as_before(tmp_path: Path) -> None:
    repo = _project(tmp_path, signed=True)
    # Signing fails: no gpg key (and gpg pointed at a program that fails).
    _git(repo, "config", "gpg.program", "false")
    before = _state(repo)
    done = run("aioxide.release", repo, "tag", "1.0.0", "-m", "Signed, but signing fails")
    assert done.returncode == 1
    assert b"nothing was changed" in done.stderr
    assert _state(repo) == before
    saved = (
        Path(_git(repo, "rev-parse", "--absolute-git-dir").strip()) / "aioxide-release-v1.0.0.txt"
    )
    assert saved.read_text() == "Signed, but signing fails"


def test_a_commit_hook_rejecting_the_release_changes_nothing(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    hook = repo / ".git" / "hooks" / "commit-msg"
    hook.write_text("#!/bin/sh\necho 'rejected by hook' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = _state(repo)
    done = run("aioxide.release", repo, "tag", "1.0.0", "-m", "hooked")
    assert done.returncode == 1
    assert b"rejected by hook" in done.stderr
    assert _state(repo) == before


def test_a_dirty_tree_is_refused_before_anything_changes(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    (repo / "proj" / "__init__.py").write_text("x = 1\n")
    before = _state(repo)
    done = run("aioxide.release", repo, "tag", "1.0.0", "-m", "dirty")
    assert done.returncode == 1
    assert b"uncommitted changes" in done.stderr
    assert _state(repo) == before


def test_tag_dry_run_shows_what_it_would_do_and_changes_nothing(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    before = _state(repo)
    done = run("aioxide.release", repo, "tag", "1.0.0", "--dry-run", "-m", "x")
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert "would commit: Version bump v1.0.0" in out
    assert "would write:  CHANGELOG.md" in out
    assert "would write:  proj/__version__.py" in out
    assert "would tag:    v1.0.0 (annotated)" in out
    assert _state(repo) == before


def test_this_projects_changelog_is_generated_by_aioxide_release() -> None:
    """Dogfood: CHANGELOG.md is what `aioxide-release generate` prints here
    (make release writes it with every tag; the command line adds a final
    newline, as attribution's does)."""
    root = _checkout()
    printed = run("aioxide.release", root, "generate")
    assert printed.returncode == 0, printed.stderr.decode()
    assert (root / "CHANGELOG.md").read_bytes() + b"\n" == printed.stdout


# -- signed releases, with keys made here (no network, no agent) ------------------


def test_a_release_signed_with_an_ssh_key_verifies(tmp_path: Path) -> None:
    repo = _project(tmp_path, signed=True)
    key = tmp_path / "release_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "rel@example.com", "-f", str(key)],
        check=True,
    )
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"rel@example.com {(tmp_path / 'release_key.pub').read_text()}")
    _git(repo, "config", "gpg.format", "ssh")
    _git(repo, "config", "user.signingkey", str(key))
    _git(repo, "config", "gpg.ssh.allowedSignersFile", str(allowed))
    done = run("aioxide.release", repo, "tag", "1.0.0", "-m", "Signed with ssh.\n")
    assert done.returncode == 0, done.stderr.decode()
    verified = subprocess.run(
        ["git", "-C", str(repo), "tag", "-v", "v1.0.0"], capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stderr
    assert 'Good "git" signature for rel@example.com' in verified.stderr
    # The signature is not part of the changelog's message.
    text = run("aioxide.release", repo, "generate").stdout.decode()
    assert "Signed with ssh.\n" in text
    assert "SSH SIGNATURE" not in text  # attribution printed the signature block
    assert run("aioxide.release", repo, "generate", native=False).stdout.decode() == text


def test_a_release_signed_with_a_gpg_key_verifies(tmp_path: Path) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    made = subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Releaser <rel@example.com>",
         "ed25519", "sign", "never"],
        env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.fail(f"gpg could not make a key: {made.stderr.decode()}")
    os.environ["GNUPGHOME"] = str(home)
    try:
        repo = _project(tmp_path, signed=True)
        _git(repo, "config", "user.signingkey", "rel@example.com")
        done = run("aioxide.release", repo, "tag", "1.0.0", "-m", "Signed with gpg.\n")
        assert done.returncode == 0, done.stderr.decode()
        verified = subprocess.run(
            ["git", "-C", str(repo), "tag", "-v", "v1.0.0"], capture_output=True, text=True
        )
        assert verified.returncode == 0, verified.stderr
        assert "Good signature" in verified.stderr
        # attribution's changelog drops the PGP block from the message; so do we.
        changelog = _git(repo, "show", "HEAD:CHANGELOG.md")
        assert "Signed with gpg." in changelog
        theirs = run("attribution", repo, "generate")
        assert run("aioxide.release", repo, "generate").stdout == theirs.stdout
    finally:
        del os.environ["GNUPGHOME"]


# -- beyond attribution: sections and version files ---------------------------------


def test_generate_latest_and_unreleased_sections(tmp_path: Path) -> None:
    repo = build(
        History(
            [
                Commit(0),
                TagStep("v0.1", "First"),
                Commit(1),
                Commit(0),
                TagStep("v0.2", "Second\n"),
                Commit(1),
                Commit(1),
            ]
        ),
        tmp_path,
    )
    latest = run("aioxide.release", repo, "generate", "--latest")
    assert latest.returncode == 0, latest.stderr.decode()
    assert latest.stdout.decode() == (
        "v0.2\n----\n\nSecond\n\n```text\n$ git shortlog -s v0.1...v0.2\n"
        "     1\tAlice\n     1\tBob\n```\n"
    )
    unreleased = run("aioxide.release", repo, "generate", "--unreleased")
    assert unreleased.stdout.decode() == (
        "Unreleased\n----------\n\n\n```text\n$ git shortlog -s v0.2...HEAD\n     2\tBob\n```\n"
    )
    both = run("aioxide.release", repo, "generate", "--latest", "--unreleased")
    assert both.returncode == 2


def test_unreleased_right_after_a_tag_says_so(tmp_path: Path) -> None:
    repo = build(History([Commit(0), TagStep("v1.0", "One")]), tmp_path)
    text = run("aioxide.release", repo, "generate", "--unreleased").stdout.decode()
    assert text == "Unreleased\n----------\n\nNo changes since v1.0.\n\n"


def test_tag_sets_a_pep621_version_keeping_the_file_as_it_was(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "proj"\nversion = "0.0.1"  # set by the release tool\n'
        'description = "x"\n\n[tool.attribution]\nname = "proj"\npackage = "proj"\n'
        'signed_tags = false\nversion_file = "proj/_version.py"\nproject_version = true\n'
    )
    _git(repo, "commit", "-q", "-am", "configure")
    done = run("aioxide.release", repo, "tag", "1.2.0", "-m", "Versions everywhere")
    assert done.returncode == 0, done.stderr.decode()
    committed = _git(repo, "show", "HEAD:pyproject.toml")
    assert committed == pyproject.read_text()
    assert 'version = "1.2.0"  # set by the release tool\ndescription = "x"' in committed
    assert '__version__ = "1.2.0"' in _git(repo, "show", "HEAD:proj/_version.py")
    assert not (repo / "proj" / "__version__.py").exists()
    assert _git(repo, "status", "--porcelain").strip() == ""


def test_co_authors_are_credited_as_git_shortlog_groups_them(tmp_path: Path) -> None:
    trailer = "\n\nCo-authored-by: Carol <carol@example.com>\nco-authored-by: Bob <BOB@example.com>"
    repo = build(
        History(
            [
                Commit(0, message="one"),
                TagStep("v0.1", "First"),
                Commit(0, message="pair work" + trailer),
                Commit(1, message="with myself\n\nCo-authored-by: Bob <bob@example.com>"),
                Commit(3, message="not a trailer: Co-authored-by: X <x@y>"),
                TagStep("v0.2", "Second"),
            ],
            mailmap="Robert <bob@example.com>\n",
        ),
        tmp_path / "repo",
    )
    (repo / "pyproject.toml").write_text('[tool.attribution]\nname = "p"\nco_authors = true\n')
    text = run("aioxide.release", repo, "generate").stdout.decode()
    cmd = "git shortlog -s --group=author --group=trailer:co-authored-by v0.1...v0.2"
    assert f"$ {cmd}\n" in text
    expected = subprocess.run(
        cmd.split(), cwd=repo, capture_output=True, text=True, check=True
    ).stdout.rstrip()
    assert f"$ {cmd}\n{expected}\n```" in text
    assert "     1\tCarol" in expected  # the trailer counted
    assert "     2\tRobert" in expected  # mailmapped, once per commit


def test_tag_sets_a_cargo_workspace_version_and_its_lock(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    (repo / "Cargo.toml").write_text(
        '[workspace]\nmembers = ["crates/core"]\n\n[workspace.package]\n'
        'version = "0.0.1"  # the crates share it\nedition = "2021"\n'
    )
    (repo / "crates" / "core").mkdir(parents=True)
    member = '[package]\nname = "proj-core"\nversion.workspace = true\nedition.workspace = true\n'
    (repo / "crates" / "core" / "Cargo.toml").write_text(member)
    (repo / "Cargo.lock").write_text(
        'version = 4\n\n[[package]]\nname = "proj-core"\nversion = "0.0.1"\n\n'
        '[[package]]\nname = "other"\nversion = "9.9.9"\n'
    )
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'cargo_packages = ["proj-core"]\n')
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "a workspace")
    done = run("aioxide.release", repo, "tag", "2.0.0", "-m", "Workspace release")
    assert done.returncode == 0, done.stderr.decode()
    assert _git(repo, "status", "--porcelain").strip() == ""
    root = _git(repo, "show", "HEAD:Cargo.toml")
    assert 'version = "2.0.0"  # the crates share it' in root
    assert _git(repo, "show", "HEAD:crates/core/Cargo.toml") == member  # still inherits
    lock = _git(repo, "show", "HEAD:Cargo.lock")
    assert 'name = "proj-core"\nversion = "2.0.0"' in lock
    assert 'name = "other"\nversion = "9.9.9"' in lock


def test_a_users_jinja_template_renders_the_changelog(tmp_path: Path) -> None:
    repo = build(
        History([Commit(0), TagStep("v0.1", "First\n"), Commit(1), TagStep("v0.2", "Second\n")]),
        tmp_path / "repo",
    )
    (repo / "notes.md.j2").write_text(
        "# {{ project.name }}\n{% for tag in tags %}* {{ tag.name }} ({{ tag.version }}): "
        "{{ tag.message.strip() }}\n{% endfor %}"
    )
    by_option = run("aioxide.release", repo, "generate", "--template", "notes.md.j2")
    assert by_option.returncode == 0, by_option.stderr.decode()
    assert by_option.stdout.decode() == "# repo\n* v0.2 (0.2): Second\n* v0.1 (0.1): First\n\n"
    (repo / "pyproject.toml").write_text('[tool.attribution]\ntemplate = "notes.md.j2"\n')
    assert run("aioxide.release", repo, "generate").stdout == by_option.stdout


def test_conventional_commit_sections_are_listed_under_a_tags_message(tmp_path: Path) -> None:
    repo = build(
        History(
            [
                Commit(0, message="initial"),
                TagStep("v0.1", "First"),
                Commit(0, message="feat(api): add the thing"),
                Commit(1, message="fix: stop the crash\n\nLonger text."),
                Commit(1, message="chore: tidy"),
                Commit(0, message="feat!: drop Python 3.9"),
                TagStep("v0.2", "Second\n"),
            ]
        ),
        tmp_path / "repo",
    )
    plain = run("aioxide.release", repo, "generate").stdout.decode()
    assert "### " not in plain  # off by default: attribution's output
    (repo / "pyproject.toml").write_text("[tool.attribution]\nconventional_commits = true\n")
    text = run("aioxide.release", repo, "generate").stdout.decode()
    ids = {
        subject: commit[:7]
        for commit, subject in (
            line.split(" ", 1) for line in _git(repo, "log", "--format=%H %s").splitlines()
        )
    }
    section = text[text.index("v0.2\n----") : text.index("```text\n$ git shortlog -s v0.1...v0.2")]
    assert section == (
        "v0.2\n----\n\nSecond\n\n"
        f"### Breaking changes\n\n- drop Python 3.9 ({ids['feat!: drop Python 3.9']})\n\n"
        f"### Features\n\n- **api:** add the thing ({ids['feat(api): add the thing']})\n\n"
        f"### Fixes\n\n- stop the crash ({ids['fix: stop the crash']})\n\n"
    )


def test_generate_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    env_dir = tmp_path / "not-a-repo"
    env_dir.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "aioxide.release", "generate"],
        cwd=env_dir,
        capture_output=True,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)},
    )
    assert done.returncode == 1
    assert b"not a git repository" in done.stderr
    assert b"Traceback" not in done.stderr
