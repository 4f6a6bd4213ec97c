//! Turning the paths a user gives into inputs: `-` is standard input (an archive on it is
//! spooled and listed), a file is read whatever its name (an archive, zip, tar or tar.gz
//! by its magic bytes, is listed member by member), a directory is walked recursively for
//! log files (`*.log`, rotated `*.log.N` and `*.log.YYYY-MM-DD`, `catalina.out`, their
//! `.gz`) and archives (`*.zip`, `*.tar`, `*.tar.gz`, `*.tgz`). Each input gets its product, role
//! and node; a directory laid out as `<root>/<host>/...` gives each input its host as node.
//! Walk problems (permission denied, symlink loops, FIFOs and devices) become warnings.
//! Inputs come out sorted (walks in file-name order), so output does not depend on the file
//! system's order. Each input also gets its path relative to the path the user gave (the
//! archive's, for a member), the key `--shard` shares inputs out by when there is no node.
//! The user may say where the hosts are instead ([`NodeFrom`]: `--node-from PATTERN`,
//! `--fleet-root DIR`).

use super::archive::{self, archive_extension};
use super::attribute::{product_of, role_of};
use super::decode::{self, ReadLimits};
use super::limits::{Limits, MAX_DEPTH_CAP};
use super::node::NodeFrom;
use super::stdin::{self, StdinKind};
use super::{ArchiveFormat, Found, Input, Location, node};
use crate::warning::Warning;
use regex::Regex;
use std::path::Path;
use std::sync::{Arc, LazyLock};
use walkdir::WalkDir;

static LOG_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:.+\.log(?:\.\d+|\.\d{4}-\d{2}-\d{2})?|catalina\.out(?:\.\d+|\.\d{4}-\d{2}-\d{2})?)(?:\.gz)?$",
    )
    .expect("static regex")
});

/// Is this file name one of the log files a directory walk picks up?
pub fn is_log_file_name(name: &str) -> bool {
    LOG_NAME.is_match(name)
}

fn is_zip_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip")
}

/// Is this walked file possibly an archive (by name: an archive extension or a `.gz`)?
fn may_be_archive(name: &str) -> bool {
    archive_extension(name).is_some() || name.to_ascii_lowercase().ends_with(".gz")
}

/// The inputs found under the given paths, and the problems met on the way.
#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Found>,
    /// Per input: its path relative to the path the user gave (the archive's for a member).
    pub relative: Vec<String>,
    pub warnings: Vec<Warning>,
}

impl Discovery {
    /// Gives the inputs added since `before` the relative path `rel`.
    fn relative_since(&mut self, before: usize, rel: &str) {
        let n = self.inputs.len().saturating_sub(before);
        self.relative
            .extend(std::iter::repeat_n(rel.to_string(), n));
    }
}

/// Discovers inputs under limits of their own (see [`discover_with`]).
pub fn discover(paths: &[String], limits: &Limits) -> Discovery {
    discover_with(paths, &ReadLimits::new(*limits), &NodeFrom::Detect)
}

/// Discovers inputs, their nodes as `nodes` says, under limits of their own.
pub fn discover_nodes(paths: &[String], limits: &Limits, nodes: &NodeFrom) -> Discovery {
    discover_with(paths, &ReadLimits::new(*limits), nodes)
}

/// Discovers inputs; what listing archives decompresses (nested archives, node
/// information) counts against `limits.budget`.
pub fn discover_with(paths: &[String], limits: &ReadLimits, nodes: &NodeFrom) -> Discovery {
    let mut d = Discovery::default();
    if limits.limits.max_depth > MAX_DEPTH_CAP {
        d.warnings.push(Warning::new(
            "--max-depth",
            format!(
                "{} is more than the most ever read; archives are opened {MAX_DEPTH_CAP} deep at most",
                limits.limits.max_depth
            ),
        ));
    }
    for arg in paths {
        let before = d.inputs.len();
        if arg == "-" {
            match stdin::recognise(&limits.limits) {
                Ok(StdinKind::Stream) => d.inputs.push(Found {
                    input: Input {
                        display: "<stdin>".to_string(),
                        location: Location::Stdin,
                        product: None,
                        node: None,
                        size: None,
                        plain: None,
                    },
                    role: None,
                    time_zone: None,
                }),
                Ok(StdinKind::Archive(format)) => {
                    add_archive(Path::new("-"), format, limits, &mut d)
                }
                Err(msg) => d.warnings.push(Warning::new("<stdin>", msg)),
            }
            d.relative_since(before, "<stdin>");
            continue;
        }
        let path = Path::new(arg);
        let name = path
            .file_name()
            .map_or_else(|| arg.clone(), |n| n.to_string_lossy().into_owned());
        match std::fs::metadata(path) {
            Err(e) => d.warnings.push(Warning::new(arg.as_str(), describe_io(&e))),
            Ok(meta) if meta.is_dir() => walk(path, limits, &mut d),
            Ok(meta) if !meta.is_file() => d.warnings.push(Warning::new(
                arg.as_str(),
                "not a regular file (FIFO, socket or device); skipped",
            )),
            Ok(meta) => match read_head(path) {
                Head {
                    format: Some(format),
                    ..
                } => add_archive(path, format, limits, &mut d),
                Head { plain, size, .. } => {
                    d.inputs
                        .push(file_input(path, size.or(Some(meta.len())), plain))
                }
            },
        }
        if d.relative.len() < d.inputs.len() {
            d.relative_since(d.relative.len(), &name);
        }
    }
    stem_nodes(&mut d.inputs);
    if let Err(w) = node::assign_user_nodes(&mut d.inputs, nodes) {
        d.warnings.push(w);
    }
    d
}

/// What a file's first bytes, read once, say.
#[derive(Default)]
struct Head {
    /// Its archive format, if it is one.
    format: Option<ArchiveFormat>,
    /// Whether it is plain text that can be split into byte ranges (`None`: unreadable).
    plain: Option<bool>,
    /// Its size when it was opened.
    size: Option<u64>,
}

fn read_head(path: &Path) -> Head {
    match archive::head_and_size(path) {
        Ok((head, size)) => Head {
            format: archive::format_of(&head),
            plain: Some(!decode::head_needs_decoder(&head)),
            size: Some(size),
        },
        Err(_) => Head::default(),
    }
}

fn file_input(path: &Path, size: Option<u64>, plain: Option<bool>) -> Found {
    let shown = path.display().to_string();
    Found {
        input: Input {
            product: product_of(&shown),
            location: Location::File(path.to_path_buf()),
            node: None,
            size,
            display: shown.clone(),
            plain,
        },
        role: role_of(&shown),
        time_zone: None,
    }
}

fn add_archive(path: &Path, format: ArchiveFormat, limits: &ReadLimits, d: &mut Discovery) {
    let (inputs, warnings) = archive::list(path, format, limits);
    if inputs.is_empty() && warnings.is_empty() {
        let shown = if path == Path::new("-") {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        d.warnings.push(Warning::new(
            shown,
            format!("{} holds no log files", format.name()),
        ));
    }
    d.inputs.extend(inputs);
    d.warnings.extend(warnings);
}

/// Archive members whose archive records no node are named after the archive they are in
/// (without its extension).
fn stem_nodes(inputs: &mut [Found]) {
    for input in inputs
        .iter_mut()
        .map(|f| &mut f.input)
        .filter(|i| i.node.is_none())
    {
        if let Location::Member(m) = &input.location {
            let (archive, nested) = (&m.archive, &m.nested);
            let name = match nested.last() {
                Some(n) => Some(archive::stem_of(&n.member.name).to_string()),
                None if **archive == *Path::new("-") => None,
                None => archive
                    .file_name()
                    .map(|n| archive::stem_of(&n.to_string_lossy()).to_string()),
            };
            input.node = name;
        }
    }
}

/// What the walk met, in walk order: a file to look at, or a problem to report.
enum Met {
    File {
        entry: walkdir::DirEntry,
        is_log: bool,
    },
    Problem(Warning),
}

/// What the walk makes of one file it met, worked out in the pool.
struct Looked {
    /// Its archive format, when it is one (by its first bytes, or a `.zip` by name).
    format: Option<ArchiveFormat>,
    /// The input it is, when it is a log file and no archive.
    log: Option<Found>,
    /// Its path under the root, `/`-separated.
    rel: String,
    /// The length in `rel` of the first folder under the root, when the file is at least
    /// one folder down (a host, in a fleet share).
    top: Option<usize>,
}

fn look_at(entry: &walkdir::DirEntry, is_log: bool, root: &Path) -> Looked {
    let head = read_head(entry.path());
    let format = head.format.or_else(|| {
        // A `.zip` that is not one is listed to say what is wrong with it.
        is_zip_name(&entry.file_name().to_string_lossy()).then_some(ArchiveFormat::Zip)
    });
    let log = (format.is_none() && is_log).then(|| file_input(entry.path(), head.size, head.plain));
    let (rel, top) = match entry.path().strip_prefix(root) {
        Ok(p) => {
            let parts: Vec<_> = p
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect();
            let top = (parts.len() > 1).then(|| parts[0].len());
            (parts.join("/"), top)
        }
        Err(_) => (entry.path().display().to_string(), None),
    };
    Looked {
        format,
        log,
        rel,
        top,
    }
}

/// Walks `root` in file-name order. Opening each file to tell an archive from a log by its
/// first bytes is the walk's cost on a fleet share of thousands of files, so that is done
/// in parallel (in the scan's thread pool), with the rest of what each file needs alone
/// (its path under the root, its host folder), and the results are taken in walk order.
fn walk(root: &Path, limits: &ReadLimits, d: &mut Discovery) {
    use rayon::prelude::*;
    let met = walk_entries(root);
    let looked: Vec<Option<Looked>> = met
        .par_iter()
        .map(|m| match m {
            Met::File { entry, is_log } => Some(look_at(entry, *is_log, root)),
            Met::Problem(_) => None,
        })
        .collect();
    let first = d.inputs.len();
    // Per input: its host folder; one shared string per folder.
    let mut tops: Vec<Option<Arc<str>>> = Vec::new();
    let mut last_top: Option<Arc<str>> = None;
    for (m, looked) in met.into_iter().zip(looked) {
        let (entry, looked) = match (m, looked) {
            (Met::File { entry, .. }, Some(looked)) => (entry, looked),
            (Met::Problem(w), _) => {
                d.warnings.push(w);
                continue;
            }
            (Met::File { .. }, None) => continue,
        };
        let before = d.inputs.len();
        if let Some(format) = looked.format {
            add_archive(entry.path(), format, limits, d);
        } else if let Some(log) = looked.log {
            d.inputs.push(log);
        } else {
            if archive_extension(&entry.file_name().to_string_lossy()).is_some() {
                d.warnings.push(Warning::new(
                    entry.path().display().to_string(),
                    "named like an archive but is not a zip or tar (by its first bytes); skipped",
                ));
            }
            continue;
        }
        let added = d.inputs.len() - before;
        let top = looked.top.map(|len| {
            let top = &looked.rel[..len];
            match &last_top {
                Some(t) if **t == *top => t.clone(),
                _ => {
                    let t: Arc<str> = Arc::from(top);
                    last_top = Some(t.clone());
                    t
                }
            }
        });
        match added {
            1 => d.relative.push(looked.rel),
            _ => d.relative_since(before, &looked.rel),
        }
        tops.extend(std::iter::repeat_n(top, added));
    }
    assign_fleet_hosts(&mut d.inputs[first..], &tops);
}

/// The files under `root` named like logs or archives, and the walk's problems, in walk
/// order; nothing is opened. The root's own entries are listed first, then the folders
/// under it are walked side by side in the pool (a fleet share's host folders) and their
/// lists put where each folder was: the same list as one walk of the root gives.
fn walk_entries(root: &Path) -> Vec<Met> {
    use rayon::prelude::*;
    let mut folders = Vec::new();
    let top = walk_list(
        WalkDir::new(root).max_depth(1),
        root,
        Level::Top(&mut folders),
    );
    let real_root = std::fs::canonicalize(root).ok();
    let below: Vec<Vec<Walked>> = folders
        .par_iter()
        .map(|folder| {
            walk_list(
                WalkDir::new(folder).min_depth(1),
                root,
                Level::Below(real_root.as_deref()),
            )
        })
        .collect();
    let mut below = below.into_iter();
    let mut met = Vec::new();
    for walked in top {
        match walked {
            Walked::Met(m) => met.push(m),
            Walked::Folder => {
                met.extend(below.next().into_iter().flatten().filter_map(|w| match w {
                    Walked::Met(m) => Some(m),
                    Walked::Folder => None,
                }))
            }
        }
    }
    met
}

/// What a walk yields, in order: something met, or the place of a folder walked apart.
enum Walked {
    Met(Met),
    Folder,
}

/// Which part of the walk of a root [`walk_list`] does.
enum Level<'a> {
    /// The root itself, one level deep: each folder met is handed here and marked in its
    /// place.
    Top(&'a mut Vec<std::path::PathBuf>),
    /// A folder under the root, walked into. A link back to the root (resolved, when it
    /// resolves) is a loop, as one walk of the root would say.
    Below(Option<&'a Path>),
}

/// Walks with `walker`, links followed, in file-name order. `root` names a problem the
/// walker cannot place.
fn walk_list(walker: WalkDir, root: &Path, mut level: Level) -> Vec<Walked> {
    let mut met = Vec::new();
    let mut walker = walker.follow_links(true).sort_by_file_name().into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string());
                let msg = if e.loop_ancestor().is_some() {
                    LOOP.to_string()
                } else if let Some(io) = e.io_error() {
                    describe_io(io)
                } else {
                    e.to_string()
                };
                met.push(Walked::Met(Met::Problem(Warning::new(path, msg))));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            match &mut level {
                Level::Top(folders) => {
                    if entry.depth() > 0 {
                        folders.push(entry.into_path());
                        met.push(Walked::Folder);
                    }
                }
                Level::Below(Some(real_root))
                    if entry.path_is_symlink()
                        && std::fs::canonicalize(entry.path()).ok().as_deref()
                            == Some(*real_root) =>
                {
                    walker.skip_current_dir();
                    met.push(Walked::Met(Met::Problem(Warning::new(
                        entry.path().display().to_string(),
                        LOOP,
                    ))));
                }
                Level::Below(_) => {}
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        let is_log = is_log_file_name(&name);
        if !is_log && !may_be_archive(&name) {
            continue;
        }
        if !ft.is_file() {
            met.push(Walked::Met(Met::Problem(Warning::new(
                entry.path().display().to_string(),
                "not a regular file (FIFO, socket or device); skipped",
            ))));
            continue;
        }
        met.push(Walked::Met(Met::File { entry, is_log }));
    }
    met
}

/// The warning for a link to a folder the walk is already in.
const LOOP: &str = "symbolic link loop; not followed";

/// A folder laid out as `<root>/<host>/...` gives each input its host as node (unless a
/// support zip recorded a more precise node id): every input is under a folder of the
/// root, there are at least two such folders, and none is an install or home layout word.
fn assign_fleet_hosts(inputs: &mut [Found], tops: &[Option<Arc<str>>]) {
    if tops.is_empty() || tops.iter().any(Option::is_none) {
        return;
    }
    let mut distinct: Vec<&str> = tops.iter().flatten().map(|t| &**t).collect();
    distinct.sort_unstable();
    distinct.dedup();
    // The same judgement as for every path, made once per folder.
    let sample: Vec<Vec<String>> = distinct
        .iter()
        .map(|h| vec![h.to_string(), String::new()])
        .collect();
    if node::fleet_hosts(&sample).is_none() {
        return;
    }
    for (found, top) in inputs.iter_mut().zip(tops) {
        let input = &mut found.input;
        // A node id recorded in a support zip is more precise than the folder name.
        if input.node.is_none() {
            input.node = top.as_deref().map(str::to_string);
        }
    }
}

/// A short, user-facing description of an I/O error.
pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names() {
        for ok in [
            "atlassian-jira.log",
            "atlassian-jira.log.1",
            "atlassian-jira.log.12.gz",
            "atlassian-confluence.log.2024-01-31",
            "catalina.out",
            "catalina.2024-01-31.log",
            "catalina.out.gz",
            "atlassian-fisheye-2024-01-31.log",
        ] {
            assert!(is_log_file_name(ok), "{ok}");
        }
        for no in [
            "server.xml",
            "log",
            "notes.txt",
            "app.log.bak",
            "thread-dump.tdump",
        ] {
            assert!(!is_log_file_name(no), "{no}");
        }
    }
}
