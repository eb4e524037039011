//! A repository's tags and history, answered the way git prints them.
//!
//! attribution asks git four questions per tag (`git tag`, `git cat-file tag
//! NAME`, `git describe --tags --abbrev=0 --always NAME~1`, `git shortlog -s
//! A...B`), one subprocess each. [`History`] answers the same questions from
//! the repository in-process with gitoxide: the refs are read once, the
//! describe names are built once, and every answer is the text git would
//! have printed, so the changelog built from them is byte for byte the same.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use gix::bstr::{BStr, BString, ByteSlice};
use gix::ObjectId;

/// Why a question could not be answered (git would have failed too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn fail(what: impl fmt::Display, err: impl fmt::Display) -> Error {
    Error(format!("{what}: {err}"))
}

/// One tag ref.
#[derive(Debug, Clone)]
struct TagRef {
    name: String,
    /// The object the ref points at (a tag object when annotated).
    target: ObjectId,
    /// The commit it names, once peeled (None: a tag of a tree or blob).
    commit: Option<ObjectId>,
    /// Annotated tags: the tagger's time, which ranks describe candidates.
    tagger_time: Option<i64>,
}

/// The repository, opened once, with its tags read.
pub struct History {
    repo: gix::Repository,
    /// By name, so iteration is `git tag`'s order (refnames sorted bytewise).
    tags: BTreeMap<String, TagRef>,
    /// What `git describe --tags` may name each commit.
    describe_names: HashMap<ObjectId, BString>,
}

impl History {
    /// Opens the repository containing `dir`.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let mut repo = gix::discover(dir)
            .map_err(|e| fail(format_args!("not a git repository: {}", dir.display()), e))?;
        // Commits are read once per tag range; keep them in memory.
        repo.object_cache_size_if_unset(64 * 1024 * 1024);
        let tags = read_tags(&repo)?;
        let describe_names = describe_names(&tags);
        Ok(History {
            repo,
            tags,
            describe_names,
        })
    }

    /// Whether this clone is shallow (its history is cut off).
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow().unwrap_or(false)
    }

    /// `git tag`: every tag name, sorted as git lists them.
    pub fn tag_names(&self) -> Vec<String> {
        self.tags.keys().cloned().collect()
    }

    /// `git tag -l NAME` for a literal name: whether the tag exists.
    pub fn has_tag(&self, name: &str) -> bool {
        self.tags.contains_key(name)
    }

    /// `git cat-file tag NAME`: the raw tag object (headers, a blank line,
    /// the message), or None when NAME is a lightweight tag (git fails).
    pub fn tag_object(&self, name: &str) -> Option<String> {
        let tag = self.tags.get(name)?;
        tag.tagger_time?;
        let object = self.repo.find_object(tag.target).ok()?;
        if object.kind != gix::object::Kind::Tag {
            return None;
        }
        Some(object.data.to_str_lossy().into_owned())
    }

    fn commit_of(&self, rev: &str) -> Result<ObjectId, Error> {
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| fail(format_args!("not a valid object name {rev}"), e))?;
        let commit = id
            .object()
            .map_err(|e| fail(rev, e))?
            .peel_to_commit()
            .map_err(|e| fail(format_args!("{rev} is not a commit"), e))?;
        Ok(commit.id)
    }

    /// `git describe --tags --abbrev=0 --always REV`: the nearest tag (by
    /// git's rules: fewest commits away, annotated before lightweight, newer
    /// before older), or the full commit id when no tag is reachable.
    pub fn describe(&self, rev: &str) -> Result<String, Error> {
        let id = self.commit_of(rev)?;
        let cache = self.repo.commit_graph_if_enabled().ok().flatten();
        let mut graph = self.repo.revision_graph(cache.as_ref());
        let outcome = gix::revision::plumbing::describe(
            &id,
            &mut graph,
            gix::revision::plumbing::describe::Options {
                name_by_oid: self
                    .describe_names
                    .iter()
                    .map(|(id, name)| (*id, Cow::<BStr>::Borrowed(name.as_bstr())))
                    .collect(),
                max_candidates: 10,
                fallback_to_oid: true,
                first_parent: false,
            },
        )
        .map_err(|e| fail(format_args!("cannot describe {rev}"), e))?;
        Ok(match outcome.and_then(|o| o.name) {
            Some(name) => name.to_str_lossy().into_owned(),
            None => id.to_hex().to_string(),
        })
    }

    /// `git shortlog -s [BASE...]TIP`: commits per author (names mapped by
    /// `.mailmap`), as `%6d\t%s` lines sorted bytewise by name. With a base,
    /// the commits reachable from exactly one of the two (git's `...`).
    pub fn shortlog(&self, base: Option<&str>, tip: &str) -> Result<String, Error> {
        self.shortlog_grouped(base, tip, false)
    }

    /// [`Self::shortlog`], crediting `Co-authored-by:` trailers too when
    /// `co_authors` (git's `--group=author --group=trailer:co-authored-by`:
    /// each commit counts once for each distinct person, names mapped by
    /// `.mailmap`).
    pub fn shortlog_grouped(
        &self,
        base: Option<&str>,
        tip: &str,
        co_authors: bool,
    ) -> Result<String, Error> {
        let tip_id = self.commit_of(tip)?;
        let mut commits = Vec::new();
        match base {
            None => self.walk(tip_id, None, &mut commits)?,
            Some(base) => {
                let base_id = self.commit_of(base)?;
                self.walk(tip_id, Some(base_id), &mut commits)?;
                self.walk(base_id, Some(tip_id), &mut commits)?;
            }
        }
        let mailmap = self.repo.open_mailmap();
        let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for id in commits {
            let commit = self
                .repo
                .find_commit(id)
                .map_err(|e| fail(format_args!("cannot read commit {id}"), e))?;
            let author = commit
                .author()
                .map_err(|e| fail(format_args!("commit {id} has no author"), e))?;
            let mut people = vec![mailmap.resolve(author).name.to_vec()];
            if co_authors {
                let message = commit.message_raw_sloppy().to_vec();
                for (name, email) in co_authored_by(&message) {
                    let ident = gix::actor::SignatureRef {
                        name: name.as_bstr(),
                        email: email.as_bstr(),
                        time: "0 +0000",
                    };
                    let mapped = mailmap.resolve(ident).name.to_vec();
                    if !people.contains(&mapped) {
                        people.push(mapped);
                    }
                }
            }
            for person in people {
                *counts.entry(person).or_default() += 1;
            }
        }
        let mut out = String::new();
        for (name, count) in counts {
            out.push_str(&format!("{count:6}\t{}\n", name.to_str_lossy()));
        }
        Ok(out)
    }

    /// The commits of `[BASE...]TIP` as `(id, subject)`, newest first by
    /// commit time (`git log --format='%H %s' [BASE...]TIP`).
    pub fn subjects(&self, base: Option<&str>, tip: &str) -> Result<Vec<(String, String)>, Error> {
        let tip_id = self.commit_of(tip)?;
        let mut ids = Vec::new();
        match base {
            None => self.walk(tip_id, None, &mut ids)?,
            Some(base) => {
                let base_id = self.commit_of(base)?;
                self.walk(tip_id, Some(base_id), &mut ids)?;
                self.walk(base_id, Some(tip_id), &mut ids)?;
            }
        }
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let commit = self
                .repo
                .find_commit(id)
                .map_err(|e| fail(format_args!("cannot read commit {id}"), e))?;
            let time = commit.time().map(|t| t.seconds).unwrap_or(0);
            let message = commit.message_raw_sloppy();
            let subject = message
                .lines()
                .next()
                .unwrap_or_default()
                .to_str_lossy()
                .into_owned();
            found.push((time, id.to_hex().to_string(), subject));
        }
        found.sort_by_key(|(time, _, _)| std::cmp::Reverse(*time));
        Ok(found
            .into_iter()
            .map(|(_, id, subject)| (id, subject))
            .collect())
    }

    /// Appends every commit reachable from `tip` and not from `hidden`.
    fn walk(
        &self,
        tip: ObjectId,
        hidden: Option<ObjectId>,
        into: &mut Vec<ObjectId>,
    ) -> Result<(), Error> {
        let walk = self.repo.rev_walk([tip]).with_hidden(hidden);
        for info in walk.all().map_err(|e| fail("cannot walk history", e))? {
            let info = info.map_err(|e| fail("cannot walk history", e))?;
            into.push(info.id);
        }
        Ok(())
    }
}

/// The `Co-authored-by: Name <email>` trailers of a commit message: lines of
/// its last paragraph, the key matched case-insensitively as git does.
fn co_authored_by(message: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let text = message.trim_end();
    let last = text.rfind(b"\n\n").map_or(text, |at| &text[at + 2..]);
    let mut found = Vec::new();
    for line in last.lines() {
        let Some((key, value)) = line.split_once_str(":") else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case(b"co-authored-by") {
            continue;
        }
        let value = value.trim();
        let (Some(open), Some(close)) = (value.rfind_byte(b'<'), value.rfind_byte(b'>')) else {
            continue;
        };
        if close < open {
            continue;
        }
        let name = value[..open].trim().to_vec();
        let email = value[open + 1..close].to_vec();
        found.push((name, email));
    }
    found
}

fn read_tags(repo: &gix::Repository) -> Result<BTreeMap<String, TagRef>, Error> {
    let refs = repo.references().map_err(|e| fail("cannot read refs", e))?;
    let mut tags = BTreeMap::new();
    for reference in refs.tags().map_err(|e| fail("cannot read tags", e))? {
        let Ok(mut reference) = reference else {
            continue;
        };
        let name = reference.name().shorten().to_str_lossy().into_owned();
        let Some(target) = reference.target().try_id().map(ToOwned::to_owned) else {
            continue; // a symbolic tag ref: git lists it, we cannot peel it cheaply
        };
        let tagger_time = match repo.find_object(target) {
            Ok(object) if object.kind == gix::object::Kind::Tag => Some(
                object
                    .try_into_tag()
                    .ok()
                    .and_then(|tag| tag.tagger().ok().flatten().map(|s| s.seconds()))
                    .unwrap_or(0),
            ),
            _ => None,
        };
        let commit = reference
            .peel_to_id()
            .ok()
            .and_then(|id| id.object().ok())
            .filter(|object| object.kind == gix::object::Kind::Commit)
            .map(|object| object.id);
        tags.insert(
            name.clone(),
            TagRef {
                name,
                target,
                commit,
                tagger_time,
            },
        );
    }
    Ok(tags)
}

/// The name `git describe --tags` gives each tagged commit: annotated tags
/// win over lightweight ones, then the newest tagger date, then the
/// bytewise-smallest name.
fn describe_names(tags: &BTreeMap<String, TagRef>) -> HashMap<ObjectId, BString> {
    let mut ranked: Vec<(&TagRef, ObjectId)> = tags
        .values()
        .filter_map(|tag| tag.commit.map(|commit| (tag, commit)))
        .collect();
    // Lowest rank first: later entries overwrite earlier ones.
    ranked.sort_by(|(a, _), (b, _)| {
        let rank = |t: &TagRef| (t.tagger_time.is_some(), t.tagger_time.unwrap_or(0));
        rank(a).cmp(&rank(b)).then_with(|| b.name.cmp(&a.name))
    });
    ranked
        .into_iter()
        .map(|(tag, commit)| (commit, BString::from(tag.name.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co_author_trailers_are_read_from_the_last_paragraph_only() {
        let message = b"subject\n\nCo-authored-by: Not <a@trailer>\nbody\n\n\
                        Co-authored-by: Carol <carol@x>\nco-AUTHORED-by:  Bob Smith  <b@x> \n\
                        Signed-off-by: Other <o@x>\nCo-authored-by: broken\n";
        let found = co_authored_by(message);
        assert_eq!(
            found,
            vec![
                (b"Carol".to_vec(), b"carol@x".to_vec()),
                (b"Bob Smith".to_vec(), b"b@x".to_vec()),
            ]
        );
        assert!(co_authored_by(b"no trailers").is_empty());
    }

    #[test]
    fn a_directory_outside_any_repository_is_an_error() {
        let dir = std::env::temp_dir().join(format!("aioxide-no-repo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // GIT_CEILING_DIRECTORIES keeps discovery from climbing into a repo above.
        std::env::set_var("GIT_CEILING_DIRECTORIES", std::env::temp_dir());
        let opened = History::open(&dir);
        std::env::remove_var("GIT_CEILING_DIRECTORIES");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(opened.is_err());
    }
}
