//! `linkdoctor probe URL...`: checks each application link live from this host and reports
//! the causes under the catalog's rule ids, with the exit codes of `scan` (0 clean, 1
//! findings at or above `--fail-on`, 2 fatal: an unusable URL, trust store or proxy setting).

use super::{
    catalog_with_warnings, exit_code, print_stdout, print_warnings, stdout_written, use_color,
};
use crate::cli::ProbeArgs;
use crate::pipeline::Fatal;
use crate::probe::findings::{FindingMaker, ProbeReport};
use crate::probe::proxy::ProxySettings;
use crate::probe::render::render;
use crate::probe::target::Target;
use crate::probe::{self, ProbeOptions, truststore};
use crate::rules::Examples;
use std::time::Duration;

pub fn run(args: &ProbeArgs) -> Result<u8, Fatal> {
    use crate::report::render::Format;
    if matches!(args.output.format(), Format::Html | Format::Prometheus)
        || args.output.html.is_some()
    {
        return Err(Fatal(
            "probe writes table, json, ndjson, markdown or jira; html and prometheus are for scan and check"
                .into(),
        ));
    }
    let out = &args.output;
    let targets = args
        .urls
        .iter()
        .map(|u| {
            Target::parse(u)
                .map_err(|e| Fatal(format!("URL {}: {e}", crate::report::redact::redact(u))))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let expect_base_url = args
        .expect_base_url
        .as_deref()
        .map(|u| Target::parse(u).map_err(|e| Fatal(format!("--expect-base-url: {e}"))))
        .transpose()?;
    let proxies =
        ProxySettings::new(args.proxy.as_deref(), |k| std::env::var(k).ok()).map_err(Fatal)?;
    let trust = match &args.truststore {
        Some(path) => truststore::load_file(path, &args.truststore_password).map_err(Fatal)?,
        None => truststore::system(),
    };
    let (catalog, mut warnings) = catalog_with_warnings(&args.rules, Examples::Skip);
    if trust.skipped > 0 {
        warnings.push(crate::warning::Warning::new(
            trust.description.clone(),
            format!("{} certificate(s) of the trust store could not be used (not a valid X.509 CA certificate)", trust.skipped),
        ));
    }
    let opts = ProbeOptions {
        timeout: Duration::from_secs(args.timeout),
        proxies,
        expect_base_url,
        findings: FindingMaker {
            catalog: &catalog,
            redact: !out.no_redact,
        },
        concurrency: args.threads as usize,
        trust,
    };
    let probes = probe::probe_all(&targets, &opts);
    let report = ProbeReport::new(probes, warnings, opts.trust.description.clone());
    print_warnings(&report.warnings, out.quiet);
    stdout_written(print_stdout(&render(
        &report,
        out.format(),
        use_color(out.color),
    )))?;
    Ok(exit_code(
        report.summary.highest_severity,
        report.warnings.len(),
        out,
    ))
}
