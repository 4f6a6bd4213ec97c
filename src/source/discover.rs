//! Turning the paths a user gives into inputs: `-` is standard input, a file is read
//! whatever its name, a directory is walked recursively for log files only (`*.log`,
//! rotated `*.log.N` and `*.log.YYYY-MM-DD`, `catalina.out`, their `.gz`). Walk problems
//! (permission denied, symlink loops, FIFOs and devices) become warnings.

use super::attribute::product_of;
use super::{Input, Location};
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

/// The inputs found under the given paths, and the problems met on the way.
#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Input>,
    pub warnings: Vec<Warning>,
}

pub fn discover(paths: &[String]) -> Discovery {
    let mut d = Discovery::default();
    for arg in paths {
        if arg == "-" {
            d.inputs.push(Input {
                display: "<stdin>".to_string(),
                location: Location::Stdin,
                product: None,
                node: None,
                size: None,
            });
            continue;
        }
        let path = Path::new(arg);
        match std::fs::metadata(path) {
            Err(e) => d.warnings.push(Warning::new(arg.as_str(), describe_io(&e))),
            Ok(meta) if meta.is_dir() => walk(path, &mut d),
            Ok(meta) => d.inputs.push(file_input(path, Some(meta.len()))),
        }
    }
    d
}

fn file_input(path: &Path, size: Option<u64>) -> Input {
    Input {
        display: path.display().to_string(),
        location: Location::File(path.to_path_buf()),
        product: product_of(path),
        node: None,
        size,
    }
}

fn walk(root: &Path, d: &mut Discovery) {
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
        if !is_log_file_name(&name) {
            continue;
        }
        if !ft.is_file() {
            d.warnings.push(Warning::new(
                entry.path().display().to_string(),
                "not a regular file (FIFO, socket or device); skipped",
            ));
            continue;
        }
        let size = entry.metadata().ok().map(|m| m.len());
        d.inputs.push(file_input(entry.path(), size));
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
