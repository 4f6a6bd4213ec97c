//! One module per subcommand: each turns parsed options into output and an exit code.

pub mod check;
pub mod completions;
pub mod explain;
pub mod man;
pub mod merge;
pub mod probe;
pub mod rules;
pub mod scan;

use crate::cli::{ColorChoice, OutputArgs};
use crate::model::Severity;
use crate::pipeline::Fatal;
use crate::report::sanitize;
use crate::rules::{Catalog, Examples, RuleError, load_catalog_with};
use crate::warning::Warning;
use std::io::{self, IsTerminal};
use std::path::PathBuf;

/// Exit codes of the program.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const FATAL: u8 = 2;
}

/// 2 when `--strict` and there were warnings, else 1 when the worst finding reaches
/// `--fail-on`, else 0.
pub fn exit_code(highest: Option<Severity>, warnings: usize, out: &OutputArgs) -> u8 {
    if out.strict && warnings > 0 {
        exit::FATAL
    } else if highest.is_some_and(|h| h >= out.fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

/// Whether table output gets ANSI colour.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Loads the catalog with user rules; bad user rule files become warnings.
pub fn catalog_with_warnings(user: &[PathBuf], examples: Examples) -> (Catalog, Vec<Warning>) {
    let (catalog, errors) = load_catalog_with(user, examples);
    let warnings = errors.iter().map(rule_error_warning).collect();
    (catalog, warnings)
}

pub fn rule_error_warning(e: &RuleError) -> Warning {
    // A stored gate file is no rule file: its message says what happens instead.
    let mut msg = if e.file.ends_with(crate::rules::gate::STORED_KEYS_FILE) {
        String::new()
    } else {
        String::from("rule file skipped in part: ")
    };
    if let Some(f) = &e.field {
        msg.push_str(&format!("field `{f}`: "));
    }
    msg.push_str(&e.message);
    if let Some(c) = e.column {
        msg = format!("column {c}: {msg}");
    }
    Warning {
        path: e.file.clone(),
        line: e.line,
        message: msg,
    }
}

/// Writes `text` to stdout and flushes it. Every failure is returned, a closed pipe
/// (`| head`, [`io::ErrorKind::BrokenPipe`]) included, so a caller with something to do only
/// once the report is out (saving `--state`) knows it is not; [`stdout_written`] turns the
/// result into the exit behaviour.
pub fn print_stdout(text: &str) -> io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// What a [`print_stdout`] result means for the command: `Ok(true)` the report is out;
/// `Ok(false)` the reader closed the pipe (quiet: not an error, but nothing that depends on
/// the report being read may follow); `Err` any other failure (full disk, I/O error), fatal.
pub fn stdout_written(result: io::Result<()>) -> Result<bool, Fatal> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Fatal(format!(
            "cannot write the report to standard output: {e}"
        ))),
    }
}

/// Prints warnings on stderr unless quiet, with terminal controls in them shown escaped.
pub fn print_warnings(warnings: &[Warning], quiet: bool) {
    if quiet {
        return;
    }
    for w in warnings {
        eprintln!("linkdoctor: warning: {}", sanitize::inline(&w.to_string()));
    }
}
