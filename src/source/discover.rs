//! Turning the paths a user gives into inputs: `-` is standard input, a file is read
//! whatever its name (a zip, by its magic bytes, is listed member by member), a directory is
//! walked recursively for log files (`*.log`, rotated `*.log.N` and `*.log.YYYY-MM-DD`,
//! `catalina.out`, their `.gz`) and support zips (`*.zip`). Each input gets its product, role
//! and node; a directory laid out as `<root>/<host>/...` gives each input its host as node.
//! Walk problems (permission denied, symlink loops, FIFOs and devices) become warnings.
//! Inputs come out sorted (walks in file-name order), so output does not depend on the file
//! system's order.

use super::attribute::{product_of, role_of};
use super::limits::Limits;
use super::{Found, Input, Location, node, zip};
use crate::warning::Warning;
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;
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

/// The inputs found under the given paths, and the problems met on the way.
#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Found>,
    pub warnings: Vec<Warning>,
}

pub fn discover(paths: &[String], limits: &Limits) -> Discovery {
    let mut d = Discovery::default();
    for arg in paths {
        if arg == "-" {
            d.inputs.push(Found {
                input: Input {
                    display: "<stdin>".to_string(),
                    location: Location::Stdin,
                    product: None,
                    node: None,
                    size: None,
                },
                role: None,
                time_zone: None,
            });
            continue;
        }
        let path = Path::new(arg);
        match std::fs::metadata(path) {
            Err(e) => d.warnings.push(Warning::new(arg.as_str(), describe_io(&e))),
            Ok(meta) if meta.is_dir() => walk(path, limits, &mut d),
            Ok(meta) if !meta.is_file() => d.warnings.push(Warning::new(
                arg.as_str(),
                "not a regular file (FIFO, socket or device); skipped",
            )),
            Ok(_) if zip::has_zip_magic(path) => add_zip(path, limits, &mut d),
            Ok(meta) => d.inputs.push(file_input(path, Some(meta.len()))),
        }
    }
    stem_nodes(&mut d.inputs);
    d
}

fn file_input(path: &Path, size: Option<u64>) -> Found {
    let shown = path.display().to_string();
    Found {
        input: Input {
            product: product_of(&shown),
            location: Location::File(path.to_path_buf()),
            node: None,
            size,
            display: shown.clone(),
        },
        role: role_of(&shown),
        time_zone: None,
    }
}

fn add_zip(path: &Path, limits: &Limits, d: &mut Discovery) {
    let (inputs, warnings) = zip::list(path, limits);
    if inputs.is_empty() && warnings.is_empty() {
        d.warnings.push(Warning::new(
            path.display().to_string(),
            "zip holds no log files",
        ));
    }
    d.inputs.extend(inputs);
    d.warnings.extend(warnings);
}

/// Zip members whose zip records no node are named after the zip they are in.
fn stem_nodes(inputs: &mut [Found]) {
    for input in inputs
        .iter_mut()
        .map(|f| &mut f.input)
        .filter(|i| i.node.is_none())
    {
        if let Location::ZipMember {
            archive, nested, ..
        } = &input.location
        {
            let name = nested
                .last()
                .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
                .or_else(|| {
                    archive
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                });
            input.node = name.map(|n| {
                let stem = n.len().saturating_sub(4);
                if is_zip_name(&n) && n.is_char_boundary(stem) {
                    n[..stem].to_string()
                } else {
                    n
                }
            });
        }
    }
}

fn walk(root: &Path, limits: &Limits, d: &mut Discovery) {
    let first = d.inputs.len();
    let mut relative: Vec<Vec<String>> = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string());
                let msg = if e.loop_ancestor().is_some() {
                    "symbolic link loop; not followed".to_string()
                } else if let Some(io) = e.io_error() {
                    describe_io(io)
                } else {
                    e.to_string()
                };
                d.warnings.push(Warning::new(path, msg));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        let is_zip = is_zip_name(&name);
        if !is_log_file_name(&name) && !is_zip {
            continue;
        }
        if !ft.is_file() {
            d.warnings.push(Warning::new(
                entry.path().display().to_string(),
                "not a regular file (FIFO, socket or device); skipped",
            ));
            continue;
        }
        let before = d.inputs.len();
        if is_zip {
            add_zip(entry.path(), limits, d);
        } else {
            let size = entry.metadata().ok().map(|m| m.len());
            d.inputs.push(file_input(entry.path(), size));
        }
        let rel: Vec<String> = entry
            .path()
            .strip_prefix(root)
            .map(|p| {
                p.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        relative.extend(std::iter::repeat_n(rel, d.inputs.len() - before));
    }
    if let Some(hosts) = node::fleet_hosts(&relative) {
        for (found, host) in d.inputs[first..].iter_mut().zip(hosts) {
            let input = &mut found.input;
            // A node id recorded in a support zip is more precise than the folder name.
            if input.node.is_none() {
                input.node = Some(host);
            }
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
