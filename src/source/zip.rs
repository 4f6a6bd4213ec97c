//! Support zips read in place with the `zip` crate: nothing is ever extracted to disk.
//! Listing a zip turns its log members into inputs named `x.zip!application-logs/a.log`
//! (nested zips `x.zip!node1.zip!...`), reads the small members that say which node and
//! product it is (`application.xml`, `cluster.properties`), and turns every problem into a
//! warning: a corrupt or truncated zip, an encrypted member, an unsupported compression
//! method, a member name with `..` or an absolute path, a zip nested too deep or too big to
//! hold in memory. Opening a member streams it through the caller's closure.

use super::attribute::{product_from_word, product_of, role_of};
use super::discover::is_log_file_name;
use super::limits::{Limits, MemoryGate};
use super::node::{self, NodeInfo};
use super::{Found, Input, Location};
use crate::warning::Warning;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

/// Largest properties member (`application.xml`) read for node attribution.
const MAX_INFO_BYTES: u64 = 4 * 1024 * 1024;

/// Does this file start like a zip (`PK\x03\x04`, or `PK\x05\x06` for an empty zip)?
pub fn has_zip_magic(path: &Path) -> bool {
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && (head == *b"PK\x03\x04" || head == *b"PK\x05\x06")
}

/// Is this member name one to refuse: absolute, with a drive letter, or with a `..` part?
pub fn is_unsafe_name(name: &str) -> bool {
    let b = name.as_bytes();
    name.starts_with('/')
        || name.starts_with('\\')
        || (b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic())
        || name.split(['/', '\\']).any(|c| c == "..")
}

fn describe_zip_error(e: &ZipError) -> String {
    match e {
        ZipError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated zip (unexpected end of data)".to_string()
        }
        ZipError::Io(io) => format!("cannot read zip: {io}"),
        ZipError::InvalidArchive(m) => format!("corrupt or truncated zip: {m}"),
        ZipError::UnsupportedArchive(m) => format!("unsupported zip: {m}"),
        ZipError::InvalidPassword => "encrypted member; skipped".to_string(),
        ZipError::CompressionMethodNotSupported(m) => {
            format!("unsupported compression method {m}; skipped")
        }
        other => format!("corrupt zip: {other}"),
    }
}

/// What kind of member a name is.
#[derive(PartialEq, Eq)]
enum Kind {
    Log,
    NestedZip,
    Info,
    Other,
}

fn kind_of(name: &str) -> Kind {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        Kind::NestedZip
    } else if lower == "application.xml" || lower == "cluster.properties" {
        Kind::Info
    } else if is_log_file_name(base) {
        Kind::Log
    } else {
        Kind::Other
    }
}

fn stem_of(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".zip")
        .or_else(|| base.strip_suffix(".ZIP"))
        .unwrap_or(base)
}

/// Where in the nesting a listing is.
struct Level<'a> {
    archive: &'a Path,
    nested: Vec<String>,
    /// `x.zip!` or `x.zip!inner.zip!`.
    prefix: String,
    depth: usize,
    /// The zip's own name without `.zip`, for the node fallback.
    stem: String,
    /// Members listed besides logs (see [`list_with`]).
    also: fn(&str) -> bool,
}

/// The inputs of a zip on disk, and the problems met listing it.
pub fn list(archive: &Path, limits: &Limits) -> (Vec<Found>, Vec<Warning>) {
    list_with(archive, limits, |_| false)
}

/// Like [`list`], and also lists the members whose name `also` accepts (the configuration
/// files `check` reads), with the same refusals, attribution and nesting.
pub fn list_with(
    archive: &Path,
    limits: &Limits,
    also: fn(&str) -> bool,
) -> (Vec<Found>, Vec<Warning>) {
    let mut inputs = Vec::new();
    let mut warnings = Vec::new();
    let display = archive.display().to_string();
    let opened = File::open(archive)
        .map_err(|e| format!("cannot read zip: {}", super::discover::describe_io(&e)))
        .and_then(|f| ZipArchive::new(BufReader::new(f)).map_err(|e| describe_zip_error(&e)));
    match opened {
        Ok(mut zip) => {
            let level = Level {
                archive,
                nested: Vec::new(),
                prefix: format!("{display}!"),
                depth: 1,
                stem: stem_of(&display).to_string(),
                also,
            };
            list_level(&mut zip, &level, limits, &mut inputs, &mut warnings);
        }
        Err(msg) => warnings.push(Warning::new(display, msg)),
    }
    (inputs, warnings)
}

fn list_level<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    level: &Level,
    limits: &Limits,
    inputs: &mut Vec<Found>,
    warnings: &mut Vec<Warning>,
) {
    let mut info = NodeInfo::default();
    let first_input = inputs.len();
    for i in 0..zip.len() {
        let (name, is_dir, encrypted, method, size) = match zip.by_index_data(i) {
            Ok(e) => (
                String::from_utf8_lossy(e.name_raw()).into_owned(),
                e.is_dir(),
                e.encrypted(),
                e.compression(),
                e.size(),
            ),
            Err(e) => {
                warnings.push(Warning::new(
                    level.prefix.trim_end_matches('!'),
                    describe_zip_error(&e),
                ));
                continue;
            }
        };
        let shown = format!("{}{}", level.prefix, name);
        if is_unsafe_name(&name) {
            warnings.push(Warning::new(
                shown,
                "member name is absolute or contains `..`; skipped (linkdoctor never extracts, but such a name is a sign of a hostile zip)",
            ));
            continue;
        }
        let kind = kind_of(&name);
        let also = matches!(kind, Kind::Info | Kind::Other) && (level.also)(&name);
        if is_dir || (kind == Kind::Other && !also) {
            continue;
        }
        if encrypted {
            warnings.push(Warning::new(
                shown,
                "encrypted member; skipped (linkdoctor does not decrypt)",
            ));
            continue;
        }
        if !matches!(
            method,
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            warnings.push(Warning::new(
                shown,
                format!(
                    "unsupported compression method {method}; skipped (support zips use deflate)"
                ),
            ));
            continue;
        }
        if also {
            inputs.push(member_found(&name, shown.clone(), size, level));
        }
        match kind {
            Kind::Log => inputs.push(member_found(&name, shown, size, level)),
            Kind::Info => match read_small(zip, i, MAX_INFO_BYTES) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    if name.to_ascii_lowercase().ends_with(".xml") {
                        info.merge(node::from_application_xml(&text));
                    } else {
                        info.merge(node::from_properties(&text));
                    }
                }
                Err(msg) => warnings.push(Warning::new(shown, msg)),
            },
            Kind::NestedZip => {
                nested_zip(zip, i, &name, size, level, limits, inputs, warnings);
            }
            Kind::Other => {}
        }
    }
    // Attribution of this level's own members (nested zips attribute theirs).
    let node = info
        .node
        .clone()
        .or_else(|| node::from_zip_name(&level.stem));
    let from_names: Vec<_> = inputs[first_input..]
        .iter()
        .map(|f| &f.input)
        .filter(|i| matches!(&i.location, Location::ZipMember { nested, .. } if *nested == level.nested))
        .filter_map(|i| i.product)
        .collect();
    let dominant = from_names
        .first()
        .copied()
        .filter(|p| from_names.iter().all(|q| q == p));
    let product = info
        .product
        .or_else(|| product_from_word(&level.stem))
        .or(dominant);
    for found in &mut inputs[first_input..] {
        let input = &mut found.input;
        let Location::ZipMember { nested, .. } = &input.location else {
            continue;
        };
        if *nested != level.nested {
            continue;
        }
        input.product = input.product.or(product);
        input.node = input.node.take().or_else(|| node.clone());
        found.time_zone = found.time_zone.take().or_else(|| info.time_zone.clone());
    }
}

/// A member as an input, before the attribution of its level.
fn member_found(name: &str, shown: String, size: u64, level: &Level) -> Found {
    Found {
        input: Input {
            product: product_of(name),
            node: None,
            size: Some(size),
            location: Location::ZipMember {
                archive: level.archive.to_path_buf(),
                nested: level.nested.clone(),
                member: name.to_string(),
            },
            display: shown,
        },
        role: role_of(name),
        time_zone: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn nested_zip<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    index: usize,
    name: &str,
    size: u64,
    level: &Level,
    limits: &Limits,
    inputs: &mut Vec<Found>,
    warnings: &mut Vec<Warning>,
) {
    let shown = format!("{}{}", level.prefix, name);
    if level.depth + 1 > limits.max_depth {
        warnings.push(Warning::new(
            shown,
            format!(
                "zip nested more than {} deep (--max-depth); skipped",
                limits.max_depth
            ),
        ));
        return;
    }
    if size > limits.max_nested_zip_bytes {
        warnings.push(Warning::new(
            shown,
            format!(
                "nested zip of {size} bytes is over the in-memory limit of {} (--max-nested-zip-bytes); skipped: unzip the outer zip and scan the folder",
                limits.max_nested_zip_bytes
            ),
        ));
        return;
    }
    let bytes = match read_small(zip, index, limits.max_nested_zip_bytes) {
        Ok(b) => b,
        Err(msg) => {
            warnings.push(Warning::new(shown, msg));
            return;
        }
    };
    match ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut inner) => {
            let mut nested = level.nested.clone();
            nested.push(name.to_string());
            let next = Level {
                archive: level.archive,
                nested,
                prefix: format!("{shown}!"),
                depth: level.depth + 1,
                stem: stem_of(name).to_string(),
                also: level.also,
            };
            list_level(&mut inner, &next, limits, inputs, warnings);
        }
        Err(e) => warnings.push(Warning::new(shown, describe_zip_error(&e))),
    }
}

/// Reads a whole member, refusing more than `max` bytes.
fn read_small<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    index: usize,
    max: u64,
) -> Result<Vec<u8>, String> {
    let file = zip.by_index(index).map_err(|e| describe_zip_error(&e))?;
    // The declared size, when believable, avoids doubling the buffer while reading.
    let mut out = Vec::with_capacity(file.size().min(max) as usize + 1);
    file.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot read member: {e}"))?;
    if out.len() as u64 > max {
        return Err(format!("member larger than {max} bytes; skipped"));
    }
    Ok(out)
}

/// Opens a member of a zip on disk (through its nested zips, held in memory under `gate`)
/// and hands its decompressed bytes and its compressed size to `f`.
pub fn with_member<T>(
    archive: &Path,
    nested: &[String],
    member: &str,
    limits: &Limits,
    gate: &MemoryGate,
    f: impl FnOnce(&mut dyn Read, u64) -> T,
) -> Result<T, String> {
    let file = File::open(archive)
        .map_err(|e| format!("cannot read zip: {}", super::discover::describe_io(&e)))?;
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(|e| describe_zip_error(&e))?;
    open_in(&mut zip, nested, member, limits, (gate, false), f)
}

fn open_in<R: Read + Seek, T>(
    zip: &mut ZipArchive<R>,
    nested: &[String],
    member: &str,
    limits: &Limits,
    (gate, holding): (&MemoryGate, bool),
    f: impl FnOnce(&mut dyn Read, u64) -> T,
) -> Result<T, String> {
    match nested.split_first() {
        None => {
            let mut file = zip.by_name(member).map_err(|e| describe_zip_error(&e))?;
            let compressed = file.compressed_size();
            Ok(f(&mut file, compressed))
        }
        Some((first, rest)) => {
            let index = zip
                .index_for_name(first)
                .ok_or_else(|| format!("nested zip {first} not found"))?;
            let size = zip
                .by_index_data(index)
                .map(|e| e.size())
                .map_err(|e| describe_zip_error(&e))?;
            let _held = gate.acquire(size.min(limits.max_nested_zip_bytes), holding);
            let bytes = read_small(zip, index, limits.max_nested_zip_bytes)?;
            let mut inner =
                ZipArchive::new(Cursor::new(bytes)).map_err(|e| describe_zip_error(&e))?;
            open_in(&mut inner, rest, member, limits, (gate, true), f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names() {
        for bad in [
            "../x.log",
            "a/../../x.log",
            "/etc/passwd",
            "C:\\x.log",
            "a\\..\\b",
        ] {
            assert!(is_unsafe_name(bad), "{bad}");
        }
        for ok in ["application-logs/atlassian-jira.log", "a..b.log", "x/.../y"] {
            assert!(!is_unsafe_name(ok), "{ok}");
        }
    }

    #[test]
    fn kinds() {
        assert!(kind_of("application-logs/atlassian-jira.log.1.gz") == Kind::Log);
        assert!(kind_of("node1/Jira_support.ZIP") == Kind::NestedZip);
        assert!(kind_of("application-properties/application.xml") == Kind::Info);
        assert!(kind_of("healthchecks/healthcheckResults.txt") == Kind::Other);
    }
}
