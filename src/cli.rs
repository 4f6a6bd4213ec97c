//! Command-line interface: clap derive definitions, one options struct per subcommand, and
//! the output options every reporting command shares.

use crate::model::Severity;
use crate::report::render::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "linkdoctor",
    version,
    about = "Diagnoses broken Atlassian application links from logs and configuration",
    long_about = "Diagnoses broken Atlassian application links (Jira, Confluence, Bitbucket/Stash, \
Bamboo, Crowd, Fisheye/Crucible) from their logs and configuration: finds OAuth, TLS, network \
and proxy failures, names the cause and says what to do.\n\nExit codes: 0 nothing at or above \
--fail-on, 1 findings at or above --fail-on, 2 usage or fatal error (or warnings with --strict)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan log files, directories, gzip files or standard input for application-link failures.
    Scan(ScanArgs),
    /// List, show, test and lint the rule catalog.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Explain an oauth_problem value, a rule id or an error text, offline.
    Explain(ExplainArgs),
    /// Check server.xml / bitbucket.properties / config.xml of installs, homes or support
    /// zips: proxy, HTTPS, base URL, time zone and authentication findings, optionally
    /// against a pre-upgrade snapshot.
    Check(CheckArgs),
    /// Save the web-server settings an upgrade may overwrite, for `check --baseline`.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options shared by every command that prints a report.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, default_value = "error", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Show secrets (OAuth tokens, signatures, nonces, passwords, Authorization headers) in
    /// evidence instead of redacting them.
    #[arg(long)]
    pub no_redact: bool,
    /// Treat warnings (unreadable files, corrupt archives, bad rule files) as fatal: exit 2.
    #[arg(long)]
    pub strict: bool,
    /// No progress bar and no warnings on stderr (they stay in the report).
    #[arg(long, short)]
    pub quiet: bool,
    /// Colour in table output: auto (when stdout is a terminal and NO_COLOR is unset).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories (walked for log files), gzip files, or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Worker threads (default: all cores). Output is the same whatever the number.
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// Extra rule files or directories; a rule with a built-in id overrides it.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules: id, category, severity, products.
    List(RulesArgs),
    /// Show one rule in full.
    Show {
        id: String,
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Run every rule's examples; exit 1 on a failure, naming rule and example.
    Test(RulesArgs),
    /// Check the catalog: duplicate ids, rules no example produces, regexes that never match
    /// or that bypass the literal prefilter, equal-priority overlaps, weak literals. Exit 1 on
    /// errors.
    Lint(RulesArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Extra rule files or directories.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// An oauth_problem value (timestamp_refused), a rule id, or an error text from a log.
    pub value: String,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Install directories, home directories (or folders holding both) and support zips.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The base URL users and linked applications use: `URL` for all products, or
    /// `product=URL` (repeatable). A support zip's application.xml supplies it otherwise.
    #[arg(long, value_name = "URL")]
    pub base_url: Vec<String>,
    /// A snapshot written by `linkdoctor snapshot` before the upgrade: report every
    /// setting lost or changed since.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Install directories, home directories (or folders holding both) and support zips.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where to write the snapshot (JSON).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// Base URL to record: `URL` or `product=URL` (repeatable).
    #[arg(long, value_name = "URL")]
    pub base_url: Vec<String>,
    /// Keep passwords (keystorePass...) in the snapshot instead of masking them.
    #[arg(long)]
    pub no_redact: bool,
    /// Treat warnings (unreadable or malformed files) as fatal: exit 2.
    #[arg(long)]
    pub strict: bool,
    /// No messages on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}
