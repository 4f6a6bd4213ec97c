//! One module per subcommand: each turns parsed options into output and an exit code.

pub mod check;
pub mod explain;
pub mod rules;
pub mod scan;

use crate::cli::{ColorChoice, OutputArgs};
use crate::model::Severity;
use crate::rules::{Catalog, RuleError, load_catalog};
use crate::warning::Warning;
use std::io::IsTerminal;
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
pub fn catalog_with_warnings(user: &[PathBuf]) -> (Catalog, Vec<Warning>) {
    let (catalog, errors) = load_catalog(user);
    let warnings = errors.iter().map(rule_error_warning).collect();
    (catalog, warnings)
}

pub fn rule_error_warning(e: &RuleError) -> Warning {
    let mut msg = String::from("rule file skipped in part: ");
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

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
pub fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints warnings on stderr unless quiet.
pub fn print_warnings(warnings: &[Warning], quiet: bool) {
    if quiet {
        return;
    }
    for w in warnings {
        eprintln!("linkdoctor: warning: {w}");
    }
}
