//! The whole changelog in one native call, for `generate`'s command line.
//!
//! The same text as `aioxide.release.generate.render_changelog` over
//! `Project.tags` (and so as attribution's built-in template), computed
//! without the Python layer: tag names parsed and ordered as PEP 440
//! versions (`pep440_rs`, the ordering of `packaging.version`), messages cut
//! out of the tag objects with attribution's patterns, each tag's shortlog
//! range chosen by attribution's rule. Running a Python interpreter with
//! click and logging costs more than the changelog of a small project; this
//! path lets `aioxide-release generate` start in milliseconds.

use std::str::FromStr;
use std::sync::OnceLock;

use pep440_rs::Version;
use regex::Regex;

use crate::history::History;

/// A tag object as `git cat-file tag` prints it (attribution's pattern).
fn tag_object() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        compiled(r"\Aobject\s+\w+\ntype\s+\w+\ntag\s+.+\ntagger\s.+\n\n(?P<message>(?s:.*))\z")
    })
}

/// An inline PGP signature block (removed from messages).
fn pgp_signature() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        // PGP (attribution's pattern) or SSH (`gpg.format = ssh`). The regex
        // crate has no backreferences: one alternative per kind.
        compiled(
            r"(?s)-----BEGIN PGP SIGNATURE-----.+-----END PGP SIGNATURE-----\n|-----BEGIN SSH SIGNATURE-----.+-----END SSH SIGNATURE-----\n",
        )
    })
}

#[expect(
    clippy::expect_used,
    reason = "only the fixed patterns above are compiled, and the tests compile them"
)]
fn compiled(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a fixed pattern compiles")
}

/// What a changelog section needs of one tag.
struct Section {
    name: String,
    message: String,
    shortlog_cmd: String,
    shortlog: String,
}

/// The message of tag `name`: what follows the tag object's headers, its
/// PGP signature removed; empty for a lightweight tag or an odd object.
fn message(history: &History, name: &str) -> (String, Option<String>) {
    let Some(object) = history.tag_object(name) else {
        return (String::new(), None);
    };
    let Some(found) = tag_object().captures(&object) else {
        return (
            String::new(),
            Some(format!("unmatched tag contents for {name}")),
        );
    };
    let text = found.name("message").map_or("", |m| m.as_str());
    (pgp_signature().replace_all(text, "").into_owned(), None)
}

/// attribution's range: from the nearest earlier tag (describe of the
/// tag's parent), or from the beginning for a first tag.
fn shortlog(history: &History, name: &str) -> (String, String) {
    let Ok(base) = history.describe(&format!("{name}~1")) else {
        // No parent (a tag on the root commit): git fails, attribution
        // shows no shortlog.
        return (String::new(), String::new());
    };
    let base = base.trim().to_owned();
    let base = if Version::from_str(&base).is_ok() || history.has_tag(&base) {
        base
    } else {
        String::new()
    };
    let (cmd, result) = if base.is_empty() {
        (
            format!("git shortlog -s {name}"),
            history.shortlog(None, name),
        )
    } else {
        (
            format!("git shortlog -s {base}...{name}"),
            history.shortlog(Some(&base), name),
        )
    };
    let text = result.map(|s| s.trim_end().to_owned()).unwrap_or_default();
    (cmd, text)
}

/// The changelog of `project` and the warnings attribution would log
/// (tags that are not versions, tag objects it cannot read).
pub fn changelog(history: &History, project: &str) -> (String, Vec<String>) {
    let mut warnings = Vec::new();
    let mut versions: Vec<(Version, String)> = Vec::new();
    for name in history.tag_names() {
        match Version::from_str(&name) {
            Ok(version) => versions.push((version, name)),
            Err(_) => warnings.push(format!("Skipping tag {name}")),
        }
    }
    // Newest first; tags of equal versions keep git's order (a stable sort,
    // as Python's `sort(reverse=True)`).
    versions.sort_by(|(a, _), (b, _)| b.cmp(a));
    let sections: Vec<Section> = versions
        .into_iter()
        .map(|(_, name)| {
            let (message, warning) = message(history, &name);
            warnings.extend(warning);
            let (shortlog_cmd, shortlog) = shortlog(history, &name);
            Section {
                name,
                message,
                shortlog_cmd,
                shortlog,
            }
        })
        .collect();
    (render(project, &sections), warnings)
}

fn dashes(text: &str, dash: char) -> String {
    std::iter::repeat_n(dash, text.chars().count()).collect()
}

fn render(project: &str, sections: &[Section]) -> String {
    let mut out = String::with_capacity(256 + sections.len() * 256);
    out.push_str(project);
    out.push('\n');
    out.push_str(&dashes(project, '='));
    out.push_str("\n\n[![Generated by attribution][attribution-badge]][attribution-url]\n\n");
    for section in sections {
        out.push('\n');
        out.push_str(&section.name);
        out.push('\n');
        out.push_str(&dashes(&section.name, '-'));
        out.push_str("\n\n");
        out.push_str(&section.message);
        out.push('\n');
        if !section.shortlog.is_empty() {
            out.push_str("```text\n$ ");
            out.push_str(&section.shortlog_cmd);
            out.push('\n');
            out.push_str(&section.shortlog);
            out.push_str("\n```");
        }
        out.push_str("\n\n");
    }
    out.push_str(
        "[attribution-badge]:\n    \
         https://img.shields.io/badge/generated%20by-attribution-informational\n\
         [attribution-url]: https://attribution.omnilib.dev\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patterns_compile_and_cut_a_signed_message() {
        let object = "object abc123\ntype commit\ntag v1.0\ntagger A <a@x> 1 +0000\n\n\
                      Subject\n\nBody\n-----BEGIN PGP SIGNATURE-----\nxyz\n\
                      -----END PGP SIGNATURE-----\n";
        let found = tag_object().captures(object).unwrap();
        let text = pgp_signature().replace_all(&found["message"], "");
        assert_eq!(text, "Subject\n\nBody\n");
        assert!(tag_object().captures("something else").is_none());
    }

    #[test]
    fn underlines_count_characters_not_bytes() {
        assert_eq!(dashes("Émile", '-'), "-----");
    }
}
