//! Where log data comes from: discovery of inputs from the paths the user gives (directory
//! walk, single files, standard input), what each input is (product and node), and opening
//! it as a byte stream with the right decoder.

pub mod attribute;
pub mod decode;
pub mod discover;

use crate::model::Product;
use std::path::PathBuf;

/// Where an input's bytes are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file on disk (plain or gzip; the decoder is chosen by magic bytes).
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

/// One log input to scan.
#[derive(Debug, Clone)]
pub struct Input {
    /// How the input is named in evidence and warnings.
    pub display: String,
    pub location: Location,
    pub product: Option<Product>,
    pub node: Option<String>,
    /// Size on disk, when known (for progress).
    pub size: Option<u64>,
}
