//! Entry point: parse the command line, run the subcommand, map the outcome to an exit code.
//! A panic is reported as an internal error in one line, never as a backtrace.

use clap::Parser;
use linkdoctor::cli::{Cli, Command};
use linkdoctor::commands::{self, exit};
use std::process::ExitCode;

/// The system allocator, except for over-aligned blocks (see `linkdoctor::alloc`).
#[global_allocator]
static ALLOCATOR: linkdoctor::alloc::Allocator = linkdoctor::alloc::Allocator;

fn main() -> ExitCode {
    linkdoctor::alloc::tune();
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "linkdoctor: internal error: {msg}{at}; please report this with the command you ran"
        );
    }));
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| match &cli.command {
        Command::Scan(args) => commands::scan::run(args),
        Command::Rules(cmd) => commands::rules::run(cmd),
        Command::Explain(args) => commands::explain::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Snapshot(args) => commands::check::snapshot(args),
        Command::Completions { shell } => commands::completions::run(*shell),
        Command::Man => commands::man::run(),
        Command::Probe(args) => commands::probe::run(args),
        Command::Merge(args) => commands::merge::run(args),
    });
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(e)) => {
            // Errors name paths from the command line and the inputs: no raw controls.
            let e = e.to_string();
            eprintln!(
                "linkdoctor: error: {}",
                linkdoctor::report::sanitize::inline(&e)
            );
            ExitCode::from(exit::FATAL)
        }
        // The panic hook has already said what happened.
        Err(_) => ExitCode::from(exit::FATAL),
    }
}
