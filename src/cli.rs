//! Command-line interface: clap derive definitions, one options struct per subcommand, and
//! the output options every reporting command shares.

use crate::model::{Product, Severity};
use crate::report::render::Format;
use crate::report::{GroupBy, Undated};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `--version`: the version, the commit built from, the catalog's digest and rule count, and
/// the inflate backend (`isal` feature or not).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("LINKDOCTOR_COMMIT"),
    ", catalog ",
    env!("LINKDOCTOR_CATALOG_DIGEST"),
    ", ",
    env!("LINKDOCTOR_CATALOG_RULES"),
    " rules, gzip by ",
    env!("LINKDOCTOR_INFLATE"),
    ")"
);

const EXAMPLES: &str = "\
Examples:
  Support engineer, a customer's support zip (read in place, evidence redacted):
    linkdoctor scan support.zip --group-by node --html report.html
    linkdoctor scan support.zip --format jira      # paste into a Jira Server/DC ticket
  Admin, a fleet's log share from cron (exit 1 on errors, stable machine output):
    linkdoctor scan /mnt/logs --since 24h --state /var/lib/linkdoctor/state --format ndjson
  Admin, before and after an upgrade:
    linkdoctor snapshot /opt/atlassian/jira /var/atlassian/application-data/jira --out before.json
    linkdoctor check /opt/atlassian/jira /var/atlassian/application-data/jira --baseline before.json
  Anyone, what an error means:
    linkdoctor explain timestamp_refused
    linkdoctor explain PKIX
    linkdoctor explain - < stacktrace.txt      # a pasted log line or stack trace

Exit codes: 0 nothing at or above --fail-on; 1 a finding at or above --fail-on; 2 usage or
fatal error, `check` that read nothing, or any warning with --strict.

Environment: LINKDOCTOR_RULES (extra rule folders, ':'-separated), LINKDOCTOR_FORMAT (default
--format), NO_COLOR (no colour), COLUMNS (width of table output).";

#[derive(Debug, Parser)]
#[command(
    name = "linkdoctor",
    version = VERSION,
    about = "Diagnoses broken Atlassian application links from logs and configuration",
    long_about = "Diagnoses broken Atlassian application links (Jira, Confluence, Bitbucket/Stash, \
Bamboo, Crowd, Fisheye/Crucible) from their logs and configuration: finds OAuth, TLS, network \
and proxy failures, names the cause and says what to do, citing Atlassian's troubleshooting \
guides. Works offline; evidence is redacted by default.",
    after_help = EXAMPLES,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan log files, directories, support zips, gzip files or standard input for
    /// application-link failures.
    Scan(Box<ScanArgs>),
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
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on standard
    /// output.
    #[command(
        after_help = "Install, for example:\n  linkdoctor completions bash > ~/.local/share/bash-completion/completions/linkdoctor\n  linkdoctor completions zsh > \"${fpath[1]}/_linkdoctor\"\n  linkdoctor completions fish > ~/.config/fish/completions/linkdoctor.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output: `linkdoctor man | man -l -`.
    Man,
    /// Probe application links live, as the App Links screen does: DNS, TCP, proxy, TLS
    /// (against the JVM's truststore), the applinks manifest, base URL and clock.
    Probe(ProbeArgs),
    /// Merge partial reports (`scan --out`) of shards into the report one scan of all their
    /// inputs would give.
    Merge(MergeArgs),
}

/// `--format` as clap sees it; [`Format`] (the report's) has no clap in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Human-readable tables and sections (default).
    Table,
    /// One JSON document: summary, findings, sources, warnings.
    Json,
    /// One JSON object per line: every event as it is found (in input order), then every
    /// warning, then the summary.
    Ndjson,
    /// Markdown to paste into a ticket (GitHub, GitLab, Jira Cloud, Confluence).
    Markdown,
    /// Jira wiki markup, for Jira Server and Data Center tickets.
    Jira,
    /// One self-contained HTML page (timeline, findings, evidence, sources); loads nothing.
    Html,
    /// Prometheus node_exporter textfile metrics.
    Prometheus,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Jira => Format::Jira,
            FormatArg::Html => Format::Html,
            FormatArg::Prometheus => Format::Prometheus,
        }
    }
}

/// `--undated` as clap sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UndatedArg {
    /// Left out, and counted (`summary.undated_left_out`): the default with a time window.
    LeftOut,
    /// Dated by the file's modification time, then kept or left out by the window.
    FileMtime,
    /// Kept whatever the window.
    Kept,
}

impl From<UndatedArg> for Undated {
    fn from(u: UndatedArg) -> Undated {
        match u {
            UndatedArg::LeftOut => Undated::LeftOut,
            UndatedArg::FileMtime => Undated::FileMtime,
            UndatedArg::Kept => Undated::Kept,
        }
    }
}

/// `--group-by` as clap sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupByArg {
    /// One finding per cause.
    Cause,
    /// One finding per cause within each node.
    Node,
    /// One finding per cause within each product.
    Product,
    /// One finding per cause and remote end (host, and port where logged); events that
    /// name none are grouped under `-`.
    Remote,
}

impl From<GroupByArg> for GroupBy {
    fn from(g: GroupByArg) -> GroupBy {
        match g {
            GroupByArg::Cause => GroupBy::Cause,
            GroupByArg::Node => GroupBy::Node,
            GroupByArg::Product => GroupBy::Product,
            GroupByArg::Remote => GroupBy::Remote,
        }
    }
}

impl OutputArgs {
    /// The report format asked for.
    pub fn format(&self) -> Format {
        self.format.into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options shared by every command that prints a report.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format: table fits the terminal (plain when piped), markdown and jira paste
    /// into tickets, html is one self-contained page.
    #[arg(long, value_enum, default_value_t = FormatArg::Table, env = "LINKDOCTOR_FORMAT")]
    pub format: FormatArg,
    /// Also write the report as a self-contained HTML page to FILE (whatever --format says).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(
        long,
        default_value = "error",
        value_name = "SEVERITY",
        value_parser = PossibleValuesParser::new(["info", "warning", "error", "critical"])
            .try_map(|s| parse_severity(&s))
    )]
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
#[command(
    after_help = "Examples:\n  linkdoctor scan support.zip --group-by node --html report.html\n  linkdoctor scan /mnt/logs --since 24h --state state.json --format ndjson\n  linkdoctor scan --installed\n  zcat atlassian-jira.log.1.gz | linkdoctor scan - --product jira"
)]
pub struct ScanArgs {
    /// Files, directories (walked for log files and support zips), support zips (read in
    /// place, never extracted), gzip files, or `-` for standard input. A directory whose
    /// sub-folders are host names (`<root>/<host>/...`) gives each input its host as node.
    #[arg(value_name = "PATH", required_unless_present = "installed")]
    pub paths: Vec<String>,
    /// Also scan the default install and home folders of every product
    /// (`/opt/atlassian/<app>`, `/var/atlassian/application-data/<app>`, `C:\Program
    /// Files\Atlassian\<app>`, `C:\Atlassian\<app>`) and say which were found.
    #[arg(long, help_heading = "Input")]
    pub installed: bool,
    /// Look for `--installed` folders under this root instead of `/` (for tests and
    /// mounted disks).
    #[arg(long, value_name = "DIR", hide = true)]
    pub installed_root: Option<PathBuf>,
    /// Treat every input as written by this product (jira, confluence, bitbucket, bamboo,
    /// crowd, fisheye; stash and crucible are accepted).
    #[arg(long, value_parser = parse_product, help_heading = "Input")]
    pub product: Option<Product>,
    /// Only events at or after this time: relative to now (`90m`, `24h`, `7d`, `2w`) or
    /// absolute (`2024-03-05`, `2024-03-05 09:00`, `2024-03-05T09:00:00+01:00`).
    #[arg(long, value_name = "TIME", help_heading = "Time")]
    pub since: Option<String>,
    /// Only events before this time (same forms as --since).
    #[arg(long, value_name = "TIME", help_heading = "Time")]
    pub until: Option<String>,
    /// Time zone of log lines that carry no UTC offset (Confluence, Bitbucket, Bamboo,
    /// Crowd, Tomcat; Jira 7+ writes one), and of --since/--until without one. Default: this
    /// machine's zone. A support zip that records the server's `-Duser.timezone` uses that.
    #[arg(long, value_name = "IANA-ZONE", help_heading = "Time")]
    pub timezone: Option<String>,
    /// With --since/--until: what to do with events that carry no time: leave them out
    /// (counted in the summary), date them by their file's modification time, or keep them.
    #[arg(long, value_enum, default_value_t = UndatedArg::LeftOut)]
    pub undated: UndatedArg,
    /// Split findings by cause (default), or by cause within each node, product or remote end.
    #[arg(long, value_enum, default_value_t = GroupByArg::Cause, help_heading = "Output")]
    pub group_by: GroupByArg,
    /// Where nodes (hosts) are: a regex over each input's path whose group `node` (or first
    /// group) is the node, e.g. `fleet/(?P<node>[^/]+)/`. Wins over every other source.
    #[arg(long, value_name = "PATTERN", conflicts_with = "fleet_root")]
    pub node_from: Option<String>,
    /// The folder whose sub-folders are hosts (`DIR/<host>/...`), whatever their names.
    #[arg(long, value_name = "DIR")]
    pub fleet_root: Option<PathBuf>,
    /// Scan only shard I of N (from 0: `0/4`...`3/4`) of the inputs, shared out by host
    /// folder (node) or by a stable hash of the relative path; `auto` reads it from a
    /// Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or a Slurm job array
    /// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT).
    #[arg(long, value_name = "I/N|auto")]
    pub shard: Option<String>,
    /// The number of shards, with `--shard auto` where the engine does not say it
    /// (Kubernetes: the Job's completions).
    #[arg(long, value_name = "N", requires = "shard")]
    pub shards: Option<u64>,
    /// Write a partial report to FILE (for `linkdoctor merge`) instead of printing a report.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the Prometheus node_exporter textfile metrics to FILE (atomically). With
    /// shards, `merge --metrics` writes them.
    #[arg(long, value_name = "FILE", conflicts_with = "out")]
    pub metrics: Option<PathBuf>,
    /// Incremental scan for cron: read only what was added since the run that wrote FILE,
    /// and update FILE (atomically, after the report is out). Rotated and truncated files
    /// are recognised.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub state: Option<PathBuf>,
    /// Worker threads (default or 0: all cores; at most 4 per core and 256). Output is the
    /// same whatever the number.
    #[arg(long, short = 'j', value_parser = parse_threads, help_heading = "Limits")]
    pub threads: Option<usize>,
    /// Memory-map plain files of 16 MiB or more that were not modified in the last minute,
    /// instead of reading them (the default). Mapped, the scan skips the kernel's copy but
    /// reads the page cache through 4 KiB pages, which was slower where it was measured (see
    /// README, Design); a mapped file truncated during the scan would end it with SIGBUS.
    #[arg(long, help_heading = "Input", conflicts_with = "no_mmap")]
    pub mmap: bool,
    /// Read every file with `read`, never memory-map it: the default (kept for scripts
    /// written when mapping was).
    #[arg(long, hide = true)]
    pub no_mmap: bool,
    /// Extra rule files or directories; a rule with a built-in id overrides it.
    #[arg(
        long = "rules",
        value_name = "DIR",
        env = "LINKDOCTOR_RULES",
        value_delimiter = ':',
        help_heading = "Rules"
    )]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Resource limits of `scan` and `check` (the same flags for both). Passing one stops
/// reading that member or stream with a warning; the rest goes on.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Decompressed bytes over all zip members and gzip streams of the scan.
    #[arg(long, value_name = "BYTES", default_value = "64G", value_parser = parse_bytes)]
    pub max_total_bytes: u64,
    /// Decompressed bytes of one zip member or gzip stream.
    #[arg(long, value_name = "BYTES", default_value = "8G", value_parser = parse_bytes)]
    pub max_member_bytes: u64,
    /// Largest compression ratio (decompressed:compressed) before a member is taken for a
    /// zip or gzip bomb; judged after the first MiB.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_ratio: u64,
    /// How many zips deep a member may be nested.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_depth: usize,
    /// Largest zip nested in a zip that is read into memory (a zip needs random access).
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_bytes)]
    pub max_nested_zip_bytes: u64,
    /// Longest event (a head line and its stack trace) kept whole, in bytes (`scan` only).
    #[arg(long, value_name = "BYTES", default_value = "64K", value_parser = parse_bytes)]
    pub max_event_bytes: u64,
    /// Plain files over twice this size are split into chunks scanned in parallel.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_bytes, hide = true)]
    pub chunk_bytes: u64,
}

impl LimitArgs {
    /// The decompression limits these flags set (the zip and gzip ones; `scan` alone uses
    /// the event and chunk sizes).
    pub fn limits(&self) -> crate::source::limits::Limits {
        crate::source::limits::Limits {
            max_total_bytes: self.max_total_bytes,
            max_member_bytes: self.max_member_bytes,
            max_ratio: self.max_ratio.max(1),
            max_depth: self.max_depth.max(1),
            max_nested_zip_bytes: self.max_nested_zip_bytes,
        }
    }
}

/// `65536`, `64K`, `100M`, `8G`, `1T` (binary multiples).
fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| format!("not a size: '{s}' (use bytes or K, M, G, T: 64K, 100M, 8G)"))
}

/// Most worker threads `--threads` may ask for: 4 per core, at most 256. More only costs
/// memory and start-up time (each scanning thread has its own read buffer).
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(4).clamp(1, 256)
}

/// `--threads N` (0: all cores, as when not given); above [`max_threads`] it is lowered to
/// that, with a note on stderr (the one place the option is checked, so the note is printed
/// once, whatever --quiet says: it is about the command line, not the input).
fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("not a number of threads: '{s}'"))?;
    let max = max_threads();
    if n > max {
        eprintln!(
            "linkdoctor: --threads {n} is more than {max} (4 per core, at most 256): using {max}"
        );
        return Ok(max);
    }
    Ok(n)
}

fn parse_product(s: &str) -> Result<Product, String> {
    Product::parse(s).ok_or_else(|| {
        format!(
            "unknown product '{s}' (expected jira, confluence, bitbucket, bamboo, crowd or fisheye)"
        )
    })
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
    /// Show the gate: the 4-byte keys the buffer search looks for (every literal holds one),
    /// and whether they were stored or chosen at start-up. With --write, store the keys
    /// chosen for the built-in rules plus the --rules paths, in that order, in the last
    /// --rules directory (linkdoctor-gate.json), so that a scan with them need not choose
    /// them at start-up.
    Gate {
        #[command(flatten)]
        rules: RulesArgs,
        /// Store the keys in the last --rules directory.
        #[arg(long)]
        write: bool,
    },
    /// Score the catalog on a field corpus: a directory of YAML lists of real log events,
    /// each with its `product` and the `rule` it should give (or `benign`), as in
    /// tests/field/. Every event is scanned alone at its product's log path; prints recall
    /// and precision per family and lists misses and false positives. Exit 1 on any.
    Score {
        /// The corpus directory (its *.yaml files).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        rules: RulesArgs,
    },
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Extra rule files or directories.
    #[arg(
        long = "rules",
        value_name = "DIR",
        env = "LINKDOCTOR_RULES",
        value_delimiter = ':'
    )]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  linkdoctor explain timestamp_refused\n  linkdoctor explain oauth-signature-invalid\n  linkdoctor explain SSLHandshakeException\n  linkdoctor explain PKIX          (also: timeout, proxy, certificate, DNS)\n  linkdoctor explain baseline-lost   (a `check` finding)\n  linkdoctor explain - < stacktrace.txt"
)]
pub struct ExplainArgs {
    /// What to explain: an oauth_problem value (timestamp_refused), a rule or `check`
    /// finding id, an exception class, a keyword (PKIX, timeout, proxy, certificate, DNS),
    /// a log line, or `-` to read a pasted line or stack trace from standard input.
    #[arg(value_name = "QUERY", num_args = 1.., required = true)]
    pub value: Vec<String>,
    /// Also show the rule's internals: match literals and regex, products, priority, examples.
    #[arg(long, short)]
    pub verbose: bool,
    /// The product whose log a pasted line comes from (changes which rules apply).
    #[arg(long, value_parser = parse_product)]
    pub product: Option<Product>,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example, around an upgrade:\n  linkdoctor snapshot /opt/atlassian/confluence /var/atlassian/application-data/confluence --out before.json\n  # ... upgrade ...\n  linkdoctor check /opt/atlassian/confluence /var/atlassian/application-data/confluence --baseline before.json"
)]
pub struct CheckArgs {
    /// Install directories, home directories (or folders holding both), support zips (a zip
    /// of node support zips too), or a single server.xml, bitbucket.properties or Fisheye
    /// config.xml.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The product of inputs named by nothing but their path, or by nothing at all: a lone
    /// server.xml, a folder holding conf/server.xml without an install marker, a support zip
    /// without logs. It wins over the path, not over install markers or file contents;
    /// stash and crucible are accepted.
    #[arg(long, value_parser = parse_product)]
    pub product: Option<Product>,
    /// The base URL users and linked applications use: `URL` for all products, or
    /// `product=URL` (repeatable). Otherwise a support zip's application.xml, Fisheye's
    /// site-url or the --baseline snapshot supplies it.
    #[arg(long, value_name = "URL")]
    pub base_url: Vec<String>,
    /// A snapshot written by `linkdoctor snapshot` before the upgrade: report every
    /// setting lost or changed since.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Install directories, home directories (or folders holding both), support zips, or a
    /// single server.xml, bitbucket.properties or Fisheye config.xml.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The product of inputs named by nothing but their path, or by nothing at all (as for
    /// `check`).
    #[arg(long, value_parser = parse_product)]
    pub product: Option<Product>,
    /// Where to write the snapshot (JSON).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// Base URL to record: `URL` or `product=URL` (repeatable).
    #[arg(long, value_name = "URL")]
    pub base_url: Vec<String>,
    /// Keep passwords (keystorePass...) in the snapshot instead of masking them.
    #[arg(long)]
    pub no_redact: bool,
    /// Overwrite FILE when it exists (a baseline is otherwise never replaced).
    #[arg(long)]
    pub force: bool,
    /// Treat warnings (unreadable or malformed files) as fatal: exit 2.
    #[arg(long)]
    pub strict: bool,
    /// No messages on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Remote application addresses as the links store them
    /// (`https://jira.example.com`, `http://wiki:8090/confluence`).
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// Seconds each step may take (resolution, connection, handshake, answer).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// HTTP proxy for every URL (`http://[user:password@]host:port`); otherwise
    /// HTTPS_PROXY / HTTP_PROXY with NO_PROXY exceptions, as the environment says.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// The trust store the product's JVM uses (`-Djavax.net.ssl.trustStore`, else
    /// `<jre>/lib/security/cacerts`): JKS, PKCS12 or a PEM bundle. Default: this host's
    /// system store.
    #[arg(long, value_name = "FILE")]
    pub truststore: Option<PathBuf>,
    /// Password of --truststore (the JVM's default is changeit).
    #[arg(
        long,
        value_name = "PASSWORD",
        default_value = "changeit",
        hide_default_value = true
    )]
    pub truststore_password: String,
    /// This host's own base URL: probe it (through the proxy, as a remote application
    /// would reach it) and check the manifest's base URL against this one.
    #[arg(long, value_name = "URL")]
    pub expect_base_url: Option<String>,
    /// URLs probed at the same time (at most 64).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub threads: u64,
    /// Extra rule files or directories (their cause and remediation texts are used).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partial reports written by `scan --out` (any number, in any order).
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// The rule files the scans used (`--rules`): the catalog must be the same.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Write the merged partial report to FILE instead of printing a report (to merge
    /// again later).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the Prometheus node_exporter textfile metrics to FILE (atomically).
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_are_capped() {
        let max = max_threads();
        assert!((1..=256).contains(&max));
        assert_eq!(parse_threads("1"), Ok(1));
        assert_eq!(parse_threads("0"), Ok(0));
        assert_eq!(parse_threads(&max.to_string()), Ok(max));
        assert_eq!(parse_threads("100000"), Ok(max));
        assert_eq!(parse_threads(&usize::MAX.to_string()), Ok(max));
        assert!(parse_threads("-3").is_err());
        assert!(parse_threads("many").is_err());
    }
}
