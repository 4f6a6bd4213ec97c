//! One dispatch point for archives read in place (zip, tar, gzip-compressed tar, nested in
//! each other): listing an archive into inputs named `x.zip!dir/a.log` or
//! `x.tar.gz!dir/a.log` with product, role and node attributed the same way for every
//! format, and opening one member as a stream. Nothing is ever extracted to disk.
//!
//! Cost stays linear in the number of members: a zip's central directory is parsed once and
//! shared (a small cache of recently used zips, [`ArchiveCache`]); a tar on disk is read at
//! the member's offset; a gzip-compressed tar keeps one decoder per archive that moves
//! forward from member to member (it is restarted only when a member before its position is
//! asked for); a nested archive is read into memory once per worker thread and kept while
//! that thread reads its members (members of one archive are scanned one after another).
//!
//! Nesting is iterative when reading and capped ([`Limits::depth_limit`]) when listing,
//! and every byte decompressed at every depth counts against the limits.

use super::attribute::{product_from_word, product_of, role_of};
use super::decode::ReadLimits;
use super::discover::is_log_file_name;
use super::gzip::GzipReader;
use super::limits::{Compressed, CountingReader, LimitedReader, Limits};
use super::node::{self, NodeInfo};
use super::{
    ArchiveFormat, ArchiveMember, EntryRef, Found, Input, Location, MemberRef, NestedArchive, tar,
    zip,
};
use crate::warning::Warning;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

/// Largest properties member (`application.xml`) read for node attribution.
const MAX_INFO_BYTES: u64 = 4 * 1024 * 1024;
/// Archives whose parsed index or decoder is kept for reuse.
const CACHED_ARCHIVES: usize = 8;

/// An archive's bytes with random access: a file on disk or bytes in memory (a nested
/// archive, a spooled standard input). Cheap to clone; each clone has its own position.
#[derive(Debug, Clone)]
pub struct Source {
    backing: Backing,
    pos: u64,
    len: u64,
}

#[derive(Debug, Clone)]
enum Backing {
    File(Arc<File>),
    Memory(Arc<Vec<u8>>),
}

impl Source {
    pub fn open(path: &Path) -> io::Result<Source> {
        if path == Path::new("-") {
            return super::stdin::spooled()
                .map(Source::memory)
                .ok_or_else(|| io::Error::other("standard input was not spooled"));
        }
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Source {
            backing: Backing::File(Arc::new(file)),
            pos: 0,
            len,
        })
    }

    pub fn memory(bytes: Arc<Vec<u8>>) -> Source {
        Source {
            len: bytes.len() as u64,
            backing: Backing::Memory(bytes),
            pos: 0,
        }
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let want = (buf.len() as u64).min(left) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = match &self.backing {
            Backing::Memory(bytes) => {
                let at = self.pos as usize;
                buf[..want].copy_from_slice(&bytes[at..at + want]);
                want
            }
            #[cfg(unix)]
            Backing::File(file) => {
                use std::os::unix::fs::FileExt;
                file.read_at(&mut buf[..want], self.pos)?
            }
            #[cfg(windows)]
            Backing::File(file) => {
                use std::os::windows::fs::FileExt;
                file.seek_read(&mut buf[..want], self.pos)?
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Source {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

/// A gzip-compressed tar being read front to back.
struct GzCursor {
    reader: GzipReader<BufReader<CountingReader<File>>>,
    /// Decompressed bytes consumed so far.
    pos: u64,
    compressed: Arc<AtomicU64>,
}

type CursorSlot = Arc<Mutex<Option<GzCursor>>>;
/// Recently used archives, most recent first.
type Recent<V> = Arc<Mutex<Vec<(PathBuf, V)>>>;

/// Parsed zip indexes and gzip-tar decoders shared by all worker threads, a few archives
/// at a time (most recently used first).
#[derive(Clone, Default)]
pub struct ArchiveCache {
    zips: Recent<::zip::ZipArchive<Source>>,
    cursors: Recent<CursorSlot>,
}

impl std::fmt::Debug for ArchiveCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArchiveCache")
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn most_recent<V: Clone>(list: &mut Vec<(PathBuf, V)>, key: &Path) -> Option<V> {
    let at = list.iter().position(|(k, _)| k == key)?;
    let item = list.remove(at);
    let value = item.1.clone();
    list.insert(0, item);
    Some(value)
}

fn remember<V>(list: &mut Vec<(PathBuf, V)>, key: &Path, value: V) {
    list.insert(0, (key.to_path_buf(), value));
    list.truncate(CACHED_ARCHIVES);
}

impl ArchiveCache {
    fn zip(&self, path: &Path) -> Result<::zip::ZipArchive<Source>, String> {
        if let Some(z) = most_recent(&mut lock(&self.zips), path) {
            return Ok(z);
        }
        let source = Source::open(path)
            .map_err(|e| format!("cannot read zip: {}", super::discover::describe_io(&e)))?;
        let z = ::zip::ZipArchive::new(source).map_err(|e| zip::describe_zip_error(&e))?;
        remember(&mut lock(&self.zips), path, z.clone());
        Ok(z)
    }

    fn cursor(&self, path: &Path) -> CursorSlot {
        let mut list = lock(&self.cursors);
        if let Some(slot) = most_recent(&mut list, path) {
            return slot;
        }
        let slot = CursorSlot::default();
        remember(&mut list, path, slot.clone());
        slot
    }
}

/// What kind of member a name is.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    Log,
    /// An archive to open (`.zip`, `.tar`, `.tar.gz`, `.tgz`), its format judged later by
    /// its magic bytes.
    Archive,
    Info,
    Other,
}

/// The archive extension of a file name, if it has one.
pub fn archive_extension(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    [".tar.gz", ".tgz", ".tar", ".zip"]
        .into_iter()
        .find(|ext| lower.ends_with(ext))
}

/// The name without its archive extension (`x_support_2024-01-01_node1`).
pub fn stem_of(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match archive_extension(base) {
        Some(ext) if base.is_char_boundary(base.len() - ext.len()) => {
            &base[..base.len() - ext.len()]
        }
        _ => base,
    }
}

pub fn kind_of(name: &str) -> Kind {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    if archive_extension(base).is_some() {
        Kind::Archive
    } else if lower == "application.xml" || lower == "cluster.properties" {
        Kind::Info
    } else if is_log_file_name(base) {
        Kind::Log
    } else {
        Kind::Other
    }
}

/// One member as an archive lists it.
pub struct EntryInfo {
    pub name: String,
    pub entry: EntryRef,
    pub is_dir: bool,
    pub size: u64,
    pub compressed: u64,
    /// Why it cannot be read (encrypted, unsupported compression), if so.
    pub problem: Option<String>,
    /// The name was not valid UTF-8 (decoded lossily).
    pub lossy_name: bool,
}

/// The format of archive bytes, from their magic (a gzip is a tar only if its decoded
/// stream is one).
pub fn format_of(head: &[u8]) -> Option<ArchiveFormat> {
    if zip::is_zip_head(head) {
        Some(ArchiveFormat::Zip)
    } else if tar::is_tar_head(head) {
        Some(ArchiveFormat::Tar)
    } else if head.starts_with(&[0x1f, 0x8b]) && tar::is_tar_head(&tar::gunzip_head(head)) {
        Some(ArchiveFormat::TarGz)
    } else {
        None
    }
}

/// The archive format of a file on disk, by its magic bytes.
pub fn format_of_file(path: &Path) -> Option<ArchiveFormat> {
    format_of(&head_of_file(path).ok()?)
}

/// The first bytes of a file: enough for [`format_of`] and for telling plain text.
pub fn head_of_file(path: &Path) -> std::io::Result<Vec<u8>> {
    head_and_size(path).map(|(head, _)| head)
}

/// The first bytes of a file (see [`head_of_file`]) and its size, from one open: one `read`
/// when the file holds at least that many bytes (`read_to_end` would probe for the end with
/// a second one), and the size from the open file.
pub fn head_and_size(path: &Path) -> std::io::Result<(Vec<u8>, u64)> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut head = vec![0; HEAD_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok((head, size))
}

/// How much of a file [`head_of_file`] reads: what telling text from binary looks at
/// ([`super::text::SNIFF_BYTES`]), which also holds a tar's first header (512 bytes) or the
/// compressed start of a gzipped one. A fleet share's walk reads this much of every file:
/// at 8 KiB, copying the bytes after the first 4 KiB, which nothing looked at, was some 1.3 %
/// of a one-thread scan of a 2,000-file share (`perf`, 2026-12-04).
const HEAD_BYTES: usize = super::text::SNIFF_BYTES;

/// Where in the nesting a listing is.
struct Level {
    nested: Vec<NestedArchive>,
    /// `x.zip!` or `x.zip!inner.tar!`.
    prefix: String,
    depth: usize,
    /// The archive's own name without its extension, for the node fallback.
    stem: String,
}

struct Lister<'a> {
    archive: Arc<Path>,
    format: ArchiveFormat,
    limits: &'a ReadLimits,
    /// Members listed besides logs (see [`list_with`]).
    also: fn(&str) -> bool,
    inputs: Vec<Found>,
    warnings: Vec<Warning>,
}

/// The inputs of an archive on disk (or of spooled standard input, `-`), and the problems
/// met listing it. Nested archives are read into memory under the limits, and what they
/// decompress counts against `limits.budget`.
pub fn list(
    archive: &Path,
    format: ArchiveFormat,
    limits: &ReadLimits,
) -> (Vec<Found>, Vec<Warning>) {
    list_with(archive, format, limits, |_| false)
}

/// Like [`list`], and also lists the members whose name `also` accepts (the configuration
/// files `check` reads), with the same refusals, attribution and nesting.
pub fn list_with(
    archive: &Path,
    format: ArchiveFormat,
    limits: &ReadLimits,
    also: fn(&str) -> bool,
) -> (Vec<Found>, Vec<Warning>) {
    let display = if archive == Path::new("-") {
        "<stdin>".to_string()
    } else {
        archive.display().to_string()
    };
    let mut lister = Lister {
        archive: Arc::from(archive),
        format,
        limits,
        also,
        inputs: Vec::new(),
        warnings: Vec::new(),
    };
    let level = Level {
        nested: Vec::new(),
        prefix: format!("{display}!"),
        depth: 1,
        stem: stem_of(&display).to_string(),
    };
    match Source::open(archive) {
        Ok(source) => lister.list_source(source, format, &level),
        Err(e) => lister.warnings.push(Warning::new(
            display,
            format!(
                "cannot read {}: {}",
                format.name(),
                super::discover::describe_io(&e)
            ),
        )),
    }
    (lister.inputs, lister.warnings)
}

impl Lister<'_> {
    fn list_source(&mut self, source: Source, format: ArchiveFormat, level: &Level) {
        let mut info = NodeInfo::default();
        let first = self.inputs.len();
        let mut seen: HashMap<u64, u32> = HashMap::new();
        let at = level.prefix.trim_end_matches('!').to_string();
        match format {
            ArchiveFormat::Zip => {
                let mut z = match ::zip::ZipArchive::new(source.clone()) {
                    Ok(z) => z,
                    Err(e) => {
                        self.warnings
                            .push(Warning::new(at, zip::describe_zip_error(&e)));
                        return;
                    }
                };
                let (entries, problems) = zip::entries(&mut z, &source);
                let limits = self.limits;
                for p in problems {
                    self.warnings.push(Warning::new(at.as_str(), p));
                }
                for e in entries {
                    let entry = e.entry;
                    let compressed = e.compressed;
                    self.handle(e, level, &mut seen, &mut info, &mut |cap| {
                        zip::with_entry(&mut z, &source, entry, compressed, |r| {
                            read_capped(r, cap, Compressed::Known(compressed), limits)
                        })
                        .and_then(|r| r)
                    });
                }
            }
            ArchiveFormat::Tar | ArchiveFormat::TarGz => {
                let limits = self.limits;
                let result = tar_entries(source, format, limits, |e, data| {
                    self.handle(e, level, &mut seen, &mut info, &mut |cap| {
                        read_capped(data, cap, Compressed::Unknown, limits)
                    });
                });
                if let Err(msg) = result {
                    self.warnings.push(Warning::new(at, msg));
                }
            }
        }
        self.attribute(first, level, &info);
    }

    /// Decides what to do with one member: list a log, read node information, open a
    /// nested archive, or warn.
    fn handle(
        &mut self,
        e: EntryInfo,
        level: &Level,
        seen: &mut HashMap<u64, u32>,
        info: &mut NodeInfo,
        read: &mut dyn FnMut(u64) -> Result<Vec<u8>, String>,
    ) {
        let kind = kind_of(&e.name);
        let also = matches!(kind, Kind::Info | Kind::Other) && (self.also)(&e.name);
        if e.is_dir || (kind == Kind::Other && !also) {
            return;
        }
        // Names are counted by a 64-bit hash: a copy of every name would cost more than the
        // listing itself in a zip of many members.
        let count = seen.entry(name_hash(&e.name)).or_insert(0);
        *count += 1;
        let shown = if *count > 1 {
            format!("{}{}#{}", level.prefix, e.name, count)
        } else {
            format!("{}{}", level.prefix, e.name)
        };
        if *count == 2 {
            self.warnings.push(Warning::new(
                shown.as_str(),
                "another member has the same name; both are read",
            ));
        }
        if zip::is_unsafe_name(&e.name) {
            self.warnings.push(Warning::new(
                shown,
                "member name is absolute or contains `..`; skipped (linkdoctor never extracts, but such a name is a sign of a hostile archive)",
            ));
            return;
        }
        if let Some(problem) = e.problem {
            self.warnings.push(Warning::new(shown, problem));
            return;
        }
        if e.lossy_name {
            self.warnings.push(Warning::new(
                shown.as_str(),
                "member name is not UTF-8; shown with replacement characters",
            ));
        }
        let member = MemberRef {
            name: e.name,
            entry: e.entry,
            size: e.size,
            compressed: e.compressed,
        };
        if also {
            let found = self.member_input(&member, shown.clone(), level);
            self.inputs.push(found);
        }
        match kind {
            Kind::Log => {
                let found = self.member_input(&member, shown, level);
                self.inputs.push(found);
            }
            Kind::Info => match read(MAX_INFO_BYTES) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    if member.name.to_ascii_lowercase().ends_with(".xml") {
                        info.merge(node::from_application_xml(&text));
                    } else {
                        info.merge(node::from_properties(&text));
                    }
                }
                Err(msg) => self.warnings.push(Warning::new(shown, msg)),
            },
            Kind::Archive => self.nested(member, shown, level, read),
            Kind::Other => {}
        }
    }

    /// The input of one member at `level`.
    fn member_input(&self, member: &MemberRef, shown: String, level: &Level) -> Found {
        Found {
            input: Input {
                product: product_of(&member.name),
                node: None,
                size: Some(member.size),
                plain: None,
                location: Location::Member(Box::new(ArchiveMember {
                    archive: self.archive.clone(),
                    format: self.format,
                    nested: level.nested.clone(),
                    member: member.clone(),
                })),
                display: shown,
            },
            role: role_of(&member.name),
            time_zone: None,
        }
    }

    fn nested(
        &mut self,
        member: MemberRef,
        shown: String,
        level: &Level,
        read: &mut dyn FnMut(u64) -> Result<Vec<u8>, String>,
    ) {
        let limits = &self.limits.limits;
        if level.depth + 1 > limits.depth_limit() {
            self.warnings.push(Warning::new(
                shown,
                format!(
                    "archive nested more than {} deep (--max-depth, at most {}); skipped",
                    limits.depth_limit(),
                    super::limits::MAX_DEPTH_CAP
                ),
            ));
            return;
        }
        if member.size > limits.max_nested_zip_bytes {
            self.warnings.push(Warning::new(
                shown,
                format!(
                    "nested archive of {} bytes is over the in-memory limit of {} (--max-nested-zip-bytes); skipped: unpack the outer archive and scan the folder",
                    member.size, limits.max_nested_zip_bytes
                ),
            ));
            return;
        }
        let loaded =
            read(limits.max_nested_zip_bytes).and_then(|bytes| into_container(bytes, self.limits));
        let (bytes, format) = match loaded {
            Ok(b) => b,
            Err(msg) => {
                self.warnings.push(Warning::new(shown, msg));
                return;
            }
        };
        let mut nested = level.nested.clone();
        nested.push(NestedArchive {
            format,
            member: member.clone(),
        });
        let next = Level {
            nested,
            prefix: format!("{shown}!"),
            depth: level.depth + 1,
            stem: stem_of(&member.name).to_string(),
        };
        let inner = if format == ArchiveFormat::TarGz {
            ArchiveFormat::Tar
        } else {
            format
        };
        self.list_source(Source::memory(bytes), inner, &next);
    }

    /// Product, node and time zone of this level's own members, from what the archive
    /// records, its name, and the names of its members.
    fn attribute(&mut self, first: usize, level: &Level, info: &NodeInfo) {
        let own = |f: &Found| matches!(&f.input.location, Location::Member(m) if m.nested.len() == level.nested.len());
        let node = info
            .node
            .clone()
            .or_else(|| node::from_zip_name(&level.stem));
        let from_names: Vec<_> = self.inputs[first..]
            .iter()
            .filter(|f| own(f))
            .filter_map(|f| f.input.product)
            .collect();
        let dominant = from_names
            .first()
            .copied()
            .filter(|p| from_names.iter().all(|q| q == p));
        let product = info
            .product
            .or_else(|| product_from_word(&level.stem))
            .or(dominant);
        for found in &mut self.inputs[first..] {
            if !own(found) {
                continue;
            }
            let input = &mut found.input;
            input.product = input.product.or(product);
            input.node = input.node.take().or_else(|| node.clone());
            found.time_zone = found.time_zone.take().or_else(|| info.time_zone.clone());
        }
    }
}

/// Calls `f` with the members of a tar (skipping unread data by seeking) or of a tar.gz
/// (decompressed under the total and ratio limits; the member limit applies to each member,
/// not to the whole archive).
fn tar_entries(
    source: Source,
    format: ArchiveFormat,
    limits: &ReadLimits,
    f: impl FnMut(EntryInfo, &mut dyn Read),
) -> Result<(), String> {
    if format != ArchiveFormat::TarGz {
        return tar::for_each_entry_seekable(source, f);
    }
    let (counted, count) = CountingReader::new(source);
    let whole = Limits {
        max_member_bytes: u64::MAX,
        ..limits.limits
    };
    let stream = LimitedReader::new(
        GzipReader::buffered(counted),
        "gzip stream",
        Compressed::Counted(count),
        whole,
        limits.budget.clone(),
    );
    tar::for_each_entry(Box::new(stream), f)
}

/// A member read whole (see [`read_members`]).
#[derive(Debug)]
pub struct MemberBytes {
    /// `x.zip!conf/server.xml`.
    pub display: String,
    /// The member's path in the archive (decoded lossily).
    pub name: String,
    /// Its bytes, or why they could not be read (too big, corrupt, encrypted...).
    pub bytes: Result<Vec<u8>, String>,
}

/// Reads whole, each under `cap` bytes and the limits (ratio, total), the members of an
/// archive on disk (zip, tar or tar.gz, by `format`; nested archives are not opened) whose
/// path `wanted` accepts: configuration files for `check`, through the same stack as logs.
/// Members with unsafe names (`..`, absolute) are never read.
pub fn read_members(
    archive: &Path,
    format: ArchiveFormat,
    limits: &ReadLimits,
    cap: u64,
    wanted: &dyn Fn(&str) -> bool,
) -> (Vec<MemberBytes>, Vec<Warning>) {
    let display = archive.display().to_string();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let source = match Source::open(archive) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(Warning::new(
                display,
                format!("cannot read: {}", super::discover::describe_io(&e)),
            ));
            return (out, warnings);
        }
    };
    let mut take = |e: &EntryInfo, read: &mut dyn FnMut() -> Result<Vec<u8>, String>| {
        if e.is_dir || !wanted(&e.name) || zip::is_unsafe_name(&e.name) {
            return;
        }
        let bytes = match &e.problem {
            Some(p) => Err(p.clone()),
            None => read(),
        };
        out.push(MemberBytes {
            display: format!("{display}!{}", e.name),
            name: e.name.clone(),
            bytes,
        });
    };
    match format {
        ArchiveFormat::Zip => match ::zip::ZipArchive::new(source.clone()) {
            Ok(mut z) => {
                let (entries, problems) = zip::entries(&mut z, &source);
                for p in problems {
                    warnings.push(Warning::new(display.as_str(), p));
                }
                for e in &entries {
                    take(e, &mut || {
                        zip::with_entry(&mut z, &source, e.entry, e.compressed, |r| {
                            read_capped(r, cap, Compressed::Known(e.compressed), limits)
                        })
                        .and_then(|r| r)
                    });
                }
            }
            Err(e) => warnings.push(Warning::new(display.as_str(), zip::describe_zip_error(&e))),
        },
        ArchiveFormat::Tar | ArchiveFormat::TarGz => {
            let result = tar_entries(source, format, limits, |e, data| {
                take(&e, &mut || {
                    read_capped(data, cap, Compressed::Unknown, limits)
                });
            });
            if let Err(msg) = result {
                warnings.push(Warning::new(display.as_str(), msg));
            }
        }
    }
    (out, warnings)
}

fn name_hash(name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut h);
    h.finish()
}

/// Reads a whole member under the limits, refusing more than `cap` bytes.
fn read_capped(
    reader: &mut dyn Read,
    cap: u64,
    compressed: Compressed,
    limits: &ReadLimits,
) -> Result<Vec<u8>, String> {
    let mut limited = LimitedReader::new(
        reader,
        "archive member",
        compressed,
        limits.limits,
        limits.budget.clone(),
    );
    let mut out = Vec::new();
    (&mut limited)
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot read member: {e}"))?;
    if out.len() as u64 > cap {
        return Err(format!("member larger than {cap} bytes; skipped"));
    }
    Ok(out)
}

/// Nested archive bytes as an archive held in memory: a gzip is decompressed (under the
/// limits) and must hold a tar.
fn into_container(
    bytes: Vec<u8>,
    read_limits: &ReadLimits,
) -> Result<(Arc<Vec<u8>>, ArchiveFormat), String> {
    match format_of(&bytes) {
        Some(ArchiveFormat::TarGz) => {
            let compressed = bytes.len() as u64;
            let mut gz = GzipReader::new(&bytes[..]);
            let tar = read_capped(
                &mut gz,
                read_limits.limits.max_nested_zip_bytes,
                Compressed::Known(compressed),
                read_limits,
            )?;
            Ok((Arc::new(tar), ArchiveFormat::TarGz))
        }
        Some(f) => Ok((Arc::new(bytes), f)),
        None => Err("not a zip or tar archive (by its first bytes); skipped".to_string()),
    }
}

/// An archive held in memory, parsed, ready to open members.
#[derive(Clone)]
enum Container {
    Zip(::zip::ZipArchive<Source>, Source),
    Tar(Source),
}

thread_local! {
    /// The innermost nested archive this thread read last, with the path to it.
    static NESTED: RefCell<Option<(PathBuf, Vec<EntryRef>, Container)>> = const { RefCell::new(None) };
}

/// Opens one member (through the archives it is nested in) and hands its decompressed
/// bytes, and how to count its compressed bytes, to `f`.
pub fn with_member<T>(
    archive: &Path,
    format: ArchiveFormat,
    nested: &[NestedArchive],
    member: &MemberRef,
    limits: &ReadLimits,
    f: impl FnOnce(&mut dyn Read, Compressed) -> T,
) -> Result<T, String> {
    if nested.is_empty() {
        return open_top(archive, format, member, limits, f);
    }
    let key: Vec<EntryRef> = nested.iter().map(|n| n.member.entry).collect();
    let cached = NESTED.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(p, k, _)| p == archive && *k == key)
            .map(|(_, _, container)| container.clone())
    });
    let container = match cached {
        Some(c) => c,
        None => {
            // Forget the last archive before reading the next one: one per thread.
            NESTED.with(|c| c.borrow_mut().take());
            let c = load_nested(archive, format, nested, limits)?;
            NESTED.with(|slot| *slot.borrow_mut() = Some((archive.to_path_buf(), key, c.clone())));
            c
        }
    };
    open_in(container, member, f)
}

/// Reads the nested archives one after another (no recursion), each into memory.
fn load_nested(
    archive: &Path,
    format: ArchiveFormat,
    nested: &[NestedArchive],
    limits: &ReadLimits,
) -> Result<Container, String> {
    let cap = limits.limits.max_nested_zip_bytes;
    if nested.len() + 1 > limits.limits.depth_limit() {
        return Err(format!(
            "archive nested more than {} deep (--max-depth); skipped",
            limits.limits.depth_limit()
        ));
    }
    let mut guards = Vec::new();
    let mut container: Option<Container> = None;
    for (i, n) in nested.iter().enumerate() {
        guards.push(limits.nested_memory.acquire(n.member.size.min(cap), i > 0));
        let read = |r: &mut dyn Read, c: Compressed| read_capped(r, cap, c, limits);
        let bytes = match container.take() {
            None => open_top(archive, format, &n.member, limits, read),
            Some(c) => open_in(c, &n.member, read),
        }
        .and_then(|r| r)?;
        let (bytes, _) = into_container(bytes, limits)?;
        let source = Source::memory(bytes);
        container = Some(match n.format {
            ArchiveFormat::Zip => Container::Zip(
                ::zip::ZipArchive::new(source.clone()).map_err(|e| zip::describe_zip_error(&e))?,
                source,
            ),
            ArchiveFormat::Tar | ArchiveFormat::TarGz => Container::Tar(source),
        });
    }
    container.ok_or_else(|| "no nested archive".to_string())
}

fn open_in<T>(
    container: Container,
    member: &MemberRef,
    f: impl FnOnce(&mut dyn Read, Compressed) -> T,
) -> Result<T, String> {
    match container {
        Container::Zip(mut z, source) => {
            let compressed = member.compressed;
            zip::with_entry(&mut z, &source, member.entry, compressed, |r| {
                f(r, Compressed::Known(compressed))
            })
        }
        Container::Tar(source) => tar_member(source, member, f),
    }
}

fn tar_member<T>(
    mut source: Source,
    member: &MemberRef,
    f: impl FnOnce(&mut dyn Read, Compressed) -> T,
) -> Result<T, String> {
    let EntryRef::TarData(offset) = member.entry else {
        return Err("not a tar member".to_string());
    };
    source
        .seek(SeekFrom::Start(offset))
        .map_err(|e| format!("cannot read tar: {e}"))?;
    Ok(f(
        &mut source.take(member.size),
        Compressed::Known(member.size),
    ))
}

fn open_top<T>(
    archive: &Path,
    format: ArchiveFormat,
    member: &MemberRef,
    limits: &ReadLimits,
    f: impl FnOnce(&mut dyn Read, Compressed) -> T,
) -> Result<T, String> {
    match format {
        ArchiveFormat::Zip => {
            let z = limits.cache.zip(archive)?;
            let source = Source::open(archive)
                .map_err(|e| format!("cannot read zip: {}", super::discover::describe_io(&e)))?;
            open_in(Container::Zip(z, source), member, f)
        }
        ArchiveFormat::Tar => {
            let source = Source::open(archive)
                .map_err(|e| format!("cannot read tar: {}", super::discover::describe_io(&e)))?;
            tar_member(source, member, f)
        }
        ArchiveFormat::TarGz => gz_tar_member(archive, member, limits, f),
    }
}

/// A member of a gzip-compressed tar on disk, read with the archive's shared decoder.
fn gz_tar_member<T>(
    archive: &Path,
    member: &MemberRef,
    limits: &ReadLimits,
    f: impl FnOnce(&mut dyn Read, Compressed) -> T,
) -> Result<T, String> {
    let EntryRef::TarData(offset) = member.entry else {
        return Err("not a tar member".to_string());
    };
    let slot = limits.cache.cursor(archive);
    let mut guard = lock(&slot);
    if guard.as_ref().is_none_or(|c| c.pos > offset) {
        let file = File::open(archive)
            .map_err(|e| format!("cannot read tar: {}", super::discover::describe_io(&e)))?;
        let (counted, compressed) = CountingReader::new(file);
        *guard = Some(GzCursor {
            reader: GzipReader::buffered(counted),
            pos: 0,
            compressed,
        });
    }
    let Some(cursor) = guard.as_mut() else {
        return Err("cannot read tar".to_string());
    };
    let gap = offset - cursor.pos;
    let skipped = io::copy(&mut (&mut cursor.reader).take(gap), &mut io::sink());
    match skipped {
        Ok(n) if n == gap => cursor.pos = offset,
        Ok(_) => {
            *guard = None;
            return Err("truncated tar (member data missing)".to_string());
        }
        Err(e) => {
            *guard = None;
            return Err(format!("cannot read tar: {e}"));
        }
    }
    let base = cursor.compressed.load(std::sync::atomic::Ordering::Relaxed);
    let compressed = Compressed::CountedSince(cursor.compressed.clone(), base);
    let mut tracked = Tracked {
        inner: &mut cursor.reader,
        pos: &mut cursor.pos,
    };
    Ok(f(&mut (&mut tracked).take(member.size), compressed))
}

/// Keeps a cursor's position up to date as a member is read.
struct Tracked<'a, R> {
    inner: &'a mut R,
    pos: &'a mut u64,
}

impl<R: Read> Read for Tracked<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_stems() {
        assert_eq!(
            kind_of("application-logs/atlassian-jira.log.1.gz"),
            Kind::Log
        );
        assert_eq!(kind_of("node1/Jira_support.ZIP"), Kind::Archive);
        assert_eq!(kind_of("logs.tar.gz"), Kind::Archive);
        assert_eq!(kind_of("logs.tgz"), Kind::Archive);
        assert_eq!(
            kind_of("application-properties/application.xml"),
            Kind::Info
        );
        assert_eq!(kind_of("healthchecks/healthcheckResults.txt"), Kind::Other);
        assert_eq!(
            stem_of("a/Jira_support_2024-01-01_n1.tar.gz"),
            "Jira_support_2024-01-01_n1"
        );
        assert_eq!(stem_of("x.zip"), "x");
        assert_eq!(stem_of("x.log"), "x.log");
    }

    #[test]
    fn read_members_for_check_from_zip_and_tar_gz() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let xml = b"<Server><Connector port=\"8080\"/></Server>";
        let mut w = ::zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (name, data) in [
            ("conf/server.xml", &xml[..]),
            ("big/setenv.sh", &[b'x'; 5000][..]),
        ] {
            w.start_file(name, ::zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        let zip_path = dir.path().join("s.zip");
        std::fs::write(&zip_path, w.finish().unwrap().into_inner()).unwrap();
        let mut b = ::tar::Builder::new(Vec::new());
        let mut h = ::tar::Header::new_ustar();
        h.set_size(xml.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, "x/conf/server.xml", &xml[..])
            .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&b.into_inner().unwrap()).unwrap();
        let tgz_path = dir.path().join("s.tgz");
        std::fs::write(&tgz_path, gz.finish().unwrap()).unwrap();
        assert_eq!(format_of_file(&tgz_path), Some(ArchiveFormat::TarGz));

        let wanted = |n: &str| n.ends_with("server.xml") || n.ends_with("setenv.sh");
        let limits = ReadLimits::default();
        let (got, warnings) = read_members(&zip_path, ArchiveFormat::Zip, &limits, 1000, &wanted);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].bytes.as_deref().unwrap(), xml);
        assert!(got[0].display.ends_with("s.zip!conf/server.xml"));
        assert!(
            got[1]
                .bytes
                .as_ref()
                .unwrap_err()
                .contains("larger than 1000")
        );
        let (got, _) = read_members(&tgz_path, ArchiveFormat::TarGz, &limits, 1000, &wanted);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "x/conf/server.xml");
        assert_eq!(got[0].bytes.as_deref().unwrap(), xml);
    }

    #[test]
    fn source_reads_and_seeks_in_memory() {
        let mut s = Source::memory(Arc::new(b"0123456789".to_vec()));
        s.seek(SeekFrom::Start(4)).unwrap();
        let mut out = String::new();
        s.clone().take(3).read_to_string(&mut out).unwrap();
        assert_eq!(out, "456");
        assert_eq!(s.seek(SeekFrom::End(-1)).unwrap(), 9);
        assert!(s.seek(SeekFrom::Current(-20)).is_err());
    }
}
