//! Where log data comes from: discovery of inputs from the paths the user gives (directory
//! walk, single files, support zips and tar bundles, standard input), what each input is
//! (product, role, node), opening it as a byte stream through one input stack (archive
//! formats, gzip, text encodings) within the resource limits, splitting big files into
//! chunks, remembering how far files were read, and reading small files safely.

pub mod ahead;
pub mod archive;
pub mod attribute;
pub mod chunk;
pub mod decode;
pub mod discover;
pub mod gzip;
pub mod installed;
pub mod limits;
pub mod mapped;
pub mod node;
pub mod prefetch;
pub mod read;
pub mod shard;
pub mod state;
pub mod stdin;
pub mod tar;
pub mod text;
pub mod zip;

use crate::model::Product;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where an input's bytes are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file on disk (plain or gzip; the decoder is chosen by magic bytes).
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// A member of an archive (zip, tar or gzip-compressed tar) on disk, possibly inside
    /// archives nested in it (boxed: inputs are many, and most are plain files).
    Member(Box<ArchiveMember>),
}

/// Where an archive member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveMember {
    /// The archive file on disk (`-` for standard input spooled in memory), shared by all
    /// the archive's members.
    pub archive: Arc<Path>,
    /// Its format.
    pub format: ArchiveFormat,
    /// The nested archives leading to the member, outermost first.
    pub nested: Vec<NestedArchive>,
    /// The member in its (innermost) archive.
    pub member: MemberRef,
}

/// The archive formats read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// A zip: random access through its central directory.
    Zip,
    /// A tar: members at known offsets.
    Tar,
    /// A gzip-compressed tar: read front to back.
    TarGz,
}

impl ArchiveFormat {
    pub fn name(self) -> &'static str {
        match self {
            ArchiveFormat::Zip => "zip",
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::TarGz => "tar.gz",
        }
    }
}

/// A nested archive: a member of the archive above it, itself an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedArchive {
    pub member: MemberRef,
    pub format: ArchiveFormat,
}

/// How a member is found in its archive: by position, never by name (names may repeat or
/// not be UTF-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRef {
    /// The zip crate's index of the entry.
    ZipIndex(usize),
    /// A zip entry by its local header offset (a duplicate name the central directory
    /// index keeps only once).
    ZipHeaderAt(u64),
    /// Tar member data at this offset of the (decompressed) tar stream.
    TarData(u64),
}

/// One member of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    /// The member's path in its archive, decoded lossily for display.
    pub name: String,
    pub entry: EntryRef,
    /// Decompressed size, as the archive declares it.
    pub size: u64,
    /// Compressed size (the same as `size` for tar).
    pub compressed: u64,
}

pub use crate::model::Role;

/// One log input to scan.
#[derive(Debug, Clone)]
pub struct Input {
    /// How the input is named in evidence and warnings (`x.zip!application-logs/a.log`).
    pub display: String,
    pub location: Location,
    pub product: Option<Product>,
    pub node: Option<String>,
    /// Size on disk (or decompressed size of a zip member), when known (for progress).
    pub size: Option<u64>,
    /// For a file: whether its first bytes, read when it was found, showed plain text that
    /// can be split into byte ranges (`None`: not looked at yet).
    pub plain: Option<bool>,
}

/// An input as discovery found it, with what it learnt beyond what the report's
/// [`Input`] carries.
#[derive(Debug, Clone)]
pub struct Found {
    pub input: Input,
    pub role: Option<Role>,
    /// The server's time zone (IANA name) when the input records it (`-Duser.timezone`).
    pub time_zone: Option<String>,
}
