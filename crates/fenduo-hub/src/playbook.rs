//! Playbooks (群运营手册): the folder format HQ's content team publishes from, its validation,
//! and (in [`publish`]) storing immutable versions.
//!
//! The format is documented in `docs/playbook-format.md`: a `playbook.toml` manifest, Markdown
//! files for scripts, invitations, checklists and briefings, and MP4/WebM clips and JPEG/PNG
//! images. [`load_playbook_dir`] checks everything it can without a database and reports every
//! problem at once, each naming a file and line: problems inside a Markdown file point into that
//! file; problems with the manifest or with a media file (which has no lines) point at the manifest
//! line that names it. Stage numbers are checked against the session when publishing.

mod publish;

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use fenduo_proto::PlaybookItemKind;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::error::HubError;

/// The manifest's file name, at the top of the folder.
pub const MANIFEST: &str = "playbook.toml";
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024;
/// A script, invitation, checklist or briefing; a leader posts it from a phone.
pub const MAX_TEXT_BYTES: u64 = 64 * 1024;
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
/// Also capped at publication by the hub's [`crate::HubConfig::max_asset_bytes`].
pub const MAX_CLIP_BYTES: u64 = crate::assets::DEFAULT_MAX_ASSET_BYTES;
pub const MAX_ITEMS: usize = 500;
const MAX_TITLE_CHARS: usize = 200;

mod embedded {
    // Written by build.rs from `assets/demo/playbook/`.
    include!(concat!(env!("OUT_DIR"), "/demo_playbook.rs"));
}

/// One thing wrong with a playbook folder, shown as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Relative to the playbook folder, with `/` separators.
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

impl Problem {
    pub fn at(file: &str, line: u32, message: impl Into<String>) -> Problem {
        Problem { file: file.to_string(), line: Some(line), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlaybookError {
    /// The folder is not a valid playbook; nothing was stored.
    #[error("{}", lines(.0))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Hub(#[from] HubError),
}

/// For callers whose playbook is not user input (the demo seed): a problem is a bug.
impl From<PlaybookError> for HubError {
    fn from(e: PlaybookError) -> Self {
        match e {
            PlaybookError::Hub(e) => e,
            invalid => HubError::Internal(format!("invalid playbook:\n{invalid}")),
        }
    }
}

fn lines(problems: &[Problem]) -> String {
    problems.iter().map(Problem::to_string).collect::<Vec<_>>().join("\n")
}

/// A validated playbook folder, ready for [`crate::Hub::publish_playbook`].
#[derive(Debug, Clone)]
pub struct PlaybookDraft {
    pub session_id: String,
    pub title: String,
    pub notes: String,
    pub items: Vec<DraftItem>,
    /// The manifest line of `session = …`, for errors found at publication.
    pub session_line: u32,
}

#[derive(Debug, Clone)]
pub struct DraftItem {
    pub id: String,
    pub stage_seq: u32,
    pub kind: PlaybookItemKind,
    pub title: String,
    /// Markdown for text kinds; the optional caption for media.
    pub text: Option<String>,
    pub media: Option<DraftMedia>,
    pub segment: Option<String>,
    pub product: Option<String>,
    /// The manifest line of its `stage = …`, for errors found at publication.
    pub stage_line: u32,
}

/// A clip or image, hashed while loading and copied into the asset store at publication.
#[derive(Debug, Clone)]
pub struct DraftMedia {
    /// Relative path in the folder; becomes the asset's name.
    pub file: String,
    pub mime: &'static str,
    pub sha256: String,
    pub size: u64,
    /// The manifest line of its `file = …`.
    pub line: u32,
    pub(crate) source: MediaSource,
}

#[derive(Debug, Clone)]
pub(crate) enum MediaSource {
    File(PathBuf),
    Embedded(&'static [u8]),
}

/// Loads and validates a playbook folder.
pub fn load_playbook_dir(path: &Path) -> Result<PlaybookDraft, PlaybookError> {
    let root = path.canonicalize().map_err(|e| {
        PlaybookError::Invalid(vec![Problem {
            file: MANIFEST.into(),
            line: None,
            message: format!("cannot open the playbook folder {}: {e}", path.display()),
        }])
    })?;
    load(&DirFolder { root })
}

/// The demo session's playbook, embedded in the binary from `assets/demo/playbook/` and checked
/// exactly like a folder.
pub fn demo_playbook() -> Result<PlaybookDraft, PlaybookError> {
    load(&EmbeddedFolder(embedded::DEMO_PLAYBOOK_FILES))
}

// ---- where the files come from ----------------------------------------------------------------

trait Folder {
    /// The size of a regular file; `None` when there is none.
    fn size(&self, rel: &str) -> Result<Option<u64>, String>;
    fn read(&self, rel: &str) -> Result<Vec<u8>, String>;
    /// The SHA-256, the first bytes (to check the type) and where to copy the file from.
    fn media(&self, rel: &str) -> Result<(String, Vec<u8>, MediaSource), String>;
}

struct DirFolder {
    /// Canonical, so a symbolic link out of the folder is noticed.
    root: PathBuf,
}

impl DirFolder {
    fn resolve(&self, rel: &str) -> Result<Option<PathBuf>, String> {
        match self.root.join(rel).canonicalize() {
            Ok(p) if p.starts_with(&self.root) => Ok(Some(p)),
            Ok(_) => Err("leads outside the playbook folder".into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl Folder for DirFolder {
    fn size(&self, rel: &str) -> Result<Option<u64>, String> {
        let Some(path) = self.resolve(rel)? else { return Ok(None) };
        let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
        if !meta.is_file() {
            return Err("is a folder, not a file".into());
        }
        Ok(Some(meta.len()))
    }

    fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        let path = self.resolve(rel)?.ok_or("does not exist")?;
        std::fs::read(path).map_err(|e| e.to_string())
    }

    fn media(&self, rel: &str) -> Result<(String, Vec<u8>, MediaSource), String> {
        let path = self.resolve(rel)?.ok_or("does not exist")?;
        let mut file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
        let mut hasher = Sha256::new();
        let mut head = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            if head.len() < 16 {
                head.extend_from_slice(&buf[..n.min(16 - head.len())]);
            }
            hasher.update(&buf[..n]);
        }
        Ok((hex::encode(hasher.finalize()), head, MediaSource::File(path)))
    }
}

struct EmbeddedFolder(&'static [(&'static str, &'static [u8])]);

impl EmbeddedFolder {
    fn find(&self, rel: &str) -> Option<&'static [u8]> {
        self.0.iter().find(|(name, _)| *name == rel).map(|(_, bytes)| *bytes)
    }
}

impl Folder for EmbeddedFolder {
    fn size(&self, rel: &str) -> Result<Option<u64>, String> {
        Ok(self.find(rel).map(|b| b.len() as u64))
    }

    fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        self.find(rel).map(<[u8]>::to_vec).ok_or_else(|| "does not exist".into())
    }

    fn media(&self, rel: &str) -> Result<(String, Vec<u8>, MediaSource), String> {
        let bytes = self.find(rel).ok_or("does not exist")?;
        let head = bytes[..bytes.len().min(16)].to_vec();
        Ok((hex::encode(Sha256::digest(bytes)), head, MediaSource::Embedded(bytes)))
    }
}

// ---- the manifest -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    session: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    notes: Option<Spanned<String>>,
    #[serde(default, rename = "item")]
    items: Vec<ManifestItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestItem {
    id: Spanned<String>,
    /// Signed, so that a negative number gets our message rather than a parse error.
    stage: Spanned<i64>,
    kind: Spanned<String>,
    title: Spanned<String>,
    file: Option<Spanned<String>>,
    caption: Option<Spanned<String>>,
    segment: Option<Spanned<String>>,
    product: Option<Spanned<String>>,
}

/// The 1-based line of a byte offset.
fn line_at(text: &[u8], offset: usize) -> u32 {
    text[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() as u32 + 1
}

fn load(folder: &dyn Folder) -> Result<PlaybookDraft, PlaybookError> {
    let fail = |line: Option<u32>, message: String| {
        PlaybookError::Invalid(vec![Problem { file: MANIFEST.into(), line, message }])
    };
    match folder.size(MANIFEST) {
        Ok(None) => return Err(fail(None, "missing: a playbook folder starts with playbook.toml".into())),
        Ok(Some(n)) if n > MAX_MANIFEST_BYTES => {
            return Err(fail(
                Some(1),
                format!("is {n} bytes; a manifest may be at most {MAX_MANIFEST_BYTES}"),
            ))
        }
        Ok(Some(_)) => {}
        Err(e) => return Err(fail(None, e)),
    }
    let bytes = folder.read(MANIFEST).map_err(|e| fail(None, e))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = line_at(&bytes, e.valid_up_to());
            return Err(fail(Some(line), "is not UTF-8 text (save it as UTF-8)".into()));
        }
    };
    let manifest: Manifest = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_at(text.as_bytes(), s.start));
        fail(line, e.message().trim().to_string())
    })?;
    let line = |span: std::ops::Range<usize>| line_at(text.as_bytes(), span.start);
    let mut problems = Vec::new();
    let mut problem = |l: u32, m: String| problems.push(Problem::at(MANIFEST, l, m));

    let session_id = manifest.session.get_ref().trim().to_string();
    if session_id.is_empty() {
        problem(
            line(manifest.session.span()),
            "session is empty: name the session id, e.g. \"session-29\"".into(),
        );
    }
    let title = manifest.title.get_ref().trim().to_string();
    if title.is_empty() {
        problem(line(manifest.title.span()), "title is empty".into());
    }
    let notes = manifest.notes.as_ref().map(|n| n.get_ref().trim().to_string()).unwrap_or_default();
    if notes.len() as u64 > MAX_TEXT_BYTES {
        let l = line(manifest.notes.as_ref().expect("notes are set").span());
        problem(l, format!("notes are longer than {MAX_TEXT_BYTES} bytes"));
    }
    if manifest.items.is_empty() {
        problem(line_at(text.as_bytes(), text.len()), "the playbook has no [[item]]".into());
    } else if manifest.items.len() > MAX_ITEMS {
        problem(line(manifest.items[MAX_ITEMS].id.span()), format!("more than {MAX_ITEMS} items"));
    }

    let mut first_line_of_id: HashMap<String, u32> = HashMap::new();
    let mut items = Vec::new();
    for it in &manifest.items {
        let before = problems.len();
        let mut problem = |l: u32, m: String| problems.push(Problem::at(MANIFEST, l, m));
        let id = it.id.get_ref().trim().to_string();
        let id_line = line(it.id.span());
        if !valid_id(&id) {
            problem(id_line, format!("item id {id:?} must be 1–64 letters, digits, '-' or '_'"));
        } else if let Some(first) = first_line_of_id.get(&id) {
            problem(id_line, format!("duplicate item id {id:?} (first used on line {first})"));
        } else {
            first_line_of_id.insert(id.clone(), id_line);
        }
        let stage_line = line(it.stage.span());
        let stage = u32::try_from(*it.stage.get_ref()).ok();
        if stage.is_none() {
            problem(stage_line, format!("stage {} is not a stage seq (0, 1, 2, …)", it.stage.get_ref()));
        }
        let kind = PlaybookItemKind::parse(it.kind.get_ref().trim());
        if kind.is_none() {
            problem(
                line(it.kind.span()),
                format!(
                    "unknown kind {:?}; use script, clip, image, invitation, checklist or briefing",
                    it.kind.get_ref()
                ),
            );
        }
        let title = it.title.get_ref().trim().to_string();
        if title.is_empty() {
            problem(line(it.title.span()), "title is empty".into());
        } else if title.chars().count() > MAX_TITLE_CHARS {
            problem(line(it.title.span()), format!("title is longer than {MAX_TITLE_CHARS} characters"));
        }
        let mut optional = |field: &Option<Spanned<String>>, name: &str, allowed: bool, why: &str| {
            let v = field.as_ref()?;
            let value = v.get_ref().trim().to_string();
            if kind.is_some() && !allowed {
                problem(line(v.span()), format!("{name} is not used here: {why}"));
            } else if value.is_empty() {
                problem(line(v.span()), format!("{name} is empty"));
            }
            Some(value)
        };
        let segment = optional(
            &it.segment,
            "segment",
            kind == Some(PlaybookItemKind::Invitation),
            "only invitations have one",
        );
        let product = optional(
            &it.product,
            "product",
            kind == Some(PlaybookItemKind::Briefing),
            "only briefings have one",
        );
        let caption = optional(
            &it.caption,
            "caption",
            kind.is_some_and(PlaybookItemKind::is_media),
            "only clips and images have one",
        );
        let (Some(kind), Some(stage)) = (kind, stage) else { continue };
        let Some(file) = &it.file else {
            let what = if kind.is_media() { "the clip or image" } else { "the Markdown file" };
            problem(id_line, format!("item {id:?} needs file = \"…\", {what}"));
            continue;
        };
        let file_line = line(file.span());
        let rel = file.get_ref().trim().to_string();
        let (text, media) = match check_relative(&rel) {
            Err(m) => Err(Problem::at(MANIFEST, file_line, format!("file {rel:?} {m}"))),
            Ok(()) if kind.is_media() => {
                load_media(folder, kind, &rel, file_line).map(|m| (caption.clone(), Some(m)))
            }
            Ok(()) => load_text(folder, kind, &rel, file_line).map(|t| (Some(t), None)),
        }
        .map_err(|p| problems.push(p))
        .unwrap_or_default();
        if problems.len() > before {
            continue;
        }
        items.push(DraftItem {
            id,
            stage_seq: stage,
            kind,
            title,
            text,
            media,
            segment,
            product,
            stage_line,
        });
    }
    if !problems.is_empty() {
        return Err(PlaybookError::Invalid(problems));
    }
    Ok(PlaybookDraft { session_id, title, notes, items, session_line: line(manifest.session.span()) })
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A path inside the folder: relative, `/`-separated, with no `..`.
fn check_relative(rel: &str) -> Result<(), &'static str> {
    if rel.is_empty() {
        return Err("is empty");
    }
    if rel.starts_with('/') || rel.contains('\\') || rel.contains(':') {
        return Err("must be a path inside the playbook folder, written with '/' (e.g. clips/opening.mp4)");
    }
    if rel.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Err("must stay inside the playbook folder (no '..', '.' or '//')");
    }
    Ok(())
}

fn noun(kind: PlaybookItemKind) -> &'static str {
    match kind {
        PlaybookItemKind::Script => "a script",
        PlaybookItemKind::Clip => "a clip",
        PlaybookItemKind::Image => "an image",
        PlaybookItemKind::Invitation => "an invitation",
        PlaybookItemKind::Checklist => "a checklist",
        PlaybookItemKind::Briefing => "a briefing",
    }
}

fn load_text(folder: &dyn Folder, kind: PlaybookItemKind, rel: &str, line: u32) -> Result<String, Problem> {
    let at_manifest = |m: String| Problem::at(MANIFEST, line, m);
    if !rel.to_ascii_lowercase().ends_with(".md") {
        return Err(at_manifest(format!("{rel}: {} is a Markdown file ending in .md", noun(kind))));
    }
    let size = match folder.size(rel) {
        Ok(Some(size)) => size,
        Ok(None) => return Err(at_manifest(format!("{rel} does not exist"))),
        Err(e) => return Err(at_manifest(format!("{rel} {e}"))),
    };
    if size > MAX_TEXT_BYTES {
        return Err(Problem::at(
            rel,
            1,
            format!(
                "is {} KiB; {} may be at most {} KiB",
                size.div_ceil(1024),
                noun(kind),
                MAX_TEXT_BYTES / 1024
            ),
        ));
    }
    let bytes = folder.read(rel).map_err(|e| at_manifest(format!("{rel} {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = line_at(e.as_bytes(), e.utf8_error().valid_up_to());
        Problem::at(rel, line, "is not UTF-8 text (save it as UTF-8)")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).trim().to_string();
    if text.is_empty() {
        return Err(Problem::at(rel, 1, format!("is empty: {} needs text", noun(kind))));
    }
    Ok(text.replace("\r\n", "\n"))
}

/// The media types a playbook may carry: extension, type, and how the content starts.
const MEDIA: &[(&str, &str, PlaybookItemKind)] = &[
    ("mp4", "video/mp4", PlaybookItemKind::Clip),
    ("webm", "video/webm", PlaybookItemKind::Clip),
    ("jpg", "image/jpeg", PlaybookItemKind::Image),
    ("jpeg", "image/jpeg", PlaybookItemKind::Image),
    ("png", "image/png", PlaybookItemKind::Image),
];

/// The type the first bytes show, whatever the name says.
fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("video/webm")
    } else if head.len() >= 8 && &head[4..8] == b"ftyp" {
        Some("video/mp4")
    } else {
        None
    }
}

fn load_media(
    folder: &dyn Folder,
    kind: PlaybookItemKind,
    rel: &str,
    line: u32,
) -> Result<DraftMedia, Problem> {
    let at_manifest = |m: String| Problem::at(MANIFEST, line, m);
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let (limit, allowed) = match kind {
        PlaybookItemKind::Clip => (MAX_CLIP_BYTES, "an .mp4 or .webm video"),
        _ => (MAX_IMAGE_BYTES, "a .jpg or .png picture"),
    };
    let Some(&(_, mime, _)) = MEDIA.iter().find(|(e, _, k)| *e == ext && *k == kind) else {
        return Err(at_manifest(format!("{rel}: {} must be {allowed}", noun(kind))));
    };
    let size = match folder.size(rel) {
        Ok(Some(size)) => size,
        Ok(None) => return Err(at_manifest(format!("{rel} does not exist"))),
        Err(e) => return Err(at_manifest(format!("{rel} {e}"))),
    };
    if size == 0 {
        return Err(at_manifest(format!("{rel} is empty")));
    }
    if size > limit {
        return Err(at_manifest(format!(
            "{rel} is {:.1} MiB; {} may be at most {} MiB",
            size as f64 / 1048576.0,
            noun(kind),
            limit / 1048576
        )));
    }
    let (sha256, head, source) = folder.media(rel).map_err(|e| at_manifest(format!("{rel} {e}")))?;
    if sniff(&head) != Some(mime) {
        return Err(at_manifest(format!("{rel} is not really {mime} (its content does not start like one)")));
    }
    Ok(DraftMedia { file: rel.to_string(), mime, sha256, size, line, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_demo_playbook_is_valid() {
        let draft = demo_playbook().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.session_id, "session-29");
        assert!(draft.items.iter().any(|i| i.kind == PlaybookItemKind::Clip));
        let total: u64 = draft.items.iter().filter_map(|i| i.media.as_ref()).map(|m| m.size).sum();
        assert!(total < 1024 * 1024, "demo media stay under 1 MB, got {total}");
    }

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_at(b"a\nb\nc", 0), 1);
        assert_eq!(line_at(b"a\nb\nc", 2), 2);
        assert_eq!(line_at(b"a\nb\nc", 99), 3);
    }

    #[test]
    fn paths_stay_inside_the_folder() {
        assert!(check_relative("clips/a.mp4").is_ok());
        for bad in ["", "/etc/passwd", "../x.md", "a/../../x.md", "a//b.md", "C:/x.md", "a\\b.md", "./a.md"] {
            assert!(check_relative(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn media_types_are_recognised_by_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some("video/mp4"));
        assert_eq!(sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0]), Some("video/webm"));
        assert_eq!(sniff(b"GIF89a"), None);
    }
}
