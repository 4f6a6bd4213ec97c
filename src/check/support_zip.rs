//! The configuration of support zips, read in place through the input stack `scan` uses:
//! [`crate::source::archive::list_with`] lists the members (with its refusals of unsafe names,
//! encrypted members, unsupported methods, zips nested too deep or too big, and its product
//! and node attribution per zip level), and [`crate::source::decode::with_input`] reads each
//! member under the same `--max-*` limits, with a size cap for configuration files.
//!
//! Members are picked by [`config_role_of`] wherever they sit (customers re-zip with extra
//! folders). A zip of node support zips gives one instance per node zip. The product of a
//! zip level is what `source` attributes (application.xml, the zip's name, its
//! `atlassian-<product>.log` members), else what its configuration files belong to
//! (`bitbucket.properties`, Fisheye `config.xml`), else `--product`.

use super::disk::{MAX_CONFIG_BYTES, bytes_to_text};
use super::locate::{ConfigFile, Located, Role};
use super::webconfig::looks_like_fisheye_config;
use crate::model::Product;
use crate::source::attribute::config_role_of;
use crate::source::decode::{ReadLimits, with_input};
use crate::source::{ArchiveFormat, Found, Location, archive, node};
use crate::warning::Warning;
use std::io::Read;
use std::path::Path;

fn is_config_member(name: &str) -> bool {
    config_role_of(name).is_some()
}

/// The names of the nested archives leading to a member (empty for the outer archive).
fn level_of(found: &Found) -> Option<Vec<String>> {
    match &found.input.location {
        Location::Member(m) => Some(m.nested.iter().map(|n| n.member.name.clone()).collect()),
        _ => None,
    }
}

/// Reads one member with the configuration-file cap.
fn read_member(found: &Found, limits: &ReadLimits) -> Result<String, String> {
    let bytes = with_input(&found.input, limits, |r| {
        let mut bytes = Vec::new();
        r.take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map(|_| bytes)
            .map_err(|e| format!("cannot read: {e}"))
    })??;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!(
            "more than {MAX_CONFIG_BYTES} bytes: too big for a configuration file; not read"
        ));
    }
    Ok(bytes_to_text(bytes))
}

/// Reads the configuration of a support zip (and of the node zips nested in it): one
/// instance per zip level that holds configuration files.
pub fn read(
    path: &Path,
    limits: &ReadLimits,
    product_hint: Option<Product>,
    warnings: &mut Vec<Warning>,
) -> Vec<Located> {
    let shown = path.display().to_string();
    let format = archive::format_of_file(path).unwrap_or(ArchiveFormat::Zip);
    let (found, listing_warnings) = archive::list_with(path, format, limits, is_config_member);
    warnings.extend(listing_warnings);
    let mut levels: Vec<Vec<String>> = found.iter().filter_map(level_of).collect();
    levels.sort();
    levels.dedup();
    let mut out = Vec::new();
    for level in levels {
        let members: Vec<&Found> = found
            .iter()
            .filter(|f| level_of(f).as_ref() == Some(&level))
            .collect();
        let root = std::iter::once(shown.as_str())
            .chain(level.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("!");
        if let Some(l) = read_level(&root, &members, limits, product_hint, warnings) {
            out.push(l);
        }
    }
    out
}

fn read_level(
    root: &str,
    members: &[&Found],
    limits: &ReadLimits,
    product_hint: Option<Product>,
    warnings: &mut Vec<Warning>,
) -> Option<Located> {
    let mut files = Vec::new();
    let mut stash = root.to_ascii_lowercase().contains("stash");
    for found in members {
        let input = &found.input;
        let member = match &input.location {
            Location::Member(m) => m.member.name.as_str(),
            _ => continue,
        };
        let base = member.rsplit(['/', '\\']).next().unwrap_or(member);
        stash |= base.to_ascii_lowercase().starts_with("atlassian-stash");
        let Some(role) = config_role_of(member) else {
            continue;
        };
        let text = match read_member(found, limits) {
            Ok(t) => t,
            Err(msg) => {
                warnings.push(Warning::new(&input.display, msg));
                continue;
            }
        };
        if role == Role::FisheyeConfig && !looks_like_fisheye_config(&text) {
            continue;
        }
        files.push(ConfigFile {
            path: input.display.clone(),
            role,
            text,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if !files
        .iter()
        .any(|f| f.role.is_web_config() || f.role == Role::ApplicationXml)
    {
        return None;
    }
    // What source attributed to this level (application.xml, the zip's name, its logs),
    // else what the configuration files belong to, else --product.
    let product = members
        .iter()
        .find_map(|f| f.input.product)
        .or_else(|| files.iter().find_map(|f| f.role.product()))
        .or(product_hint);
    let Some(product) = product else {
        warnings.push(Warning::new(
            root,
            "cannot tell which product this support zip is from (no application.xml product, no atlassian-<product>.log member, no product in its name): configuration not checked; pass --product",
        ));
        return None;
    };
    let version = files
        .iter()
        .find(|f| f.role == Role::ApplicationXml)
        .and_then(|f| {
            node::from_application_xml(&f.text)
                .version
                .map(|v| (v, f.path.clone()))
        });
    Some(Located {
        product,
        stash,
        roots: vec![root.to_string()],
        install_dir: None,
        from_zip: true,
        version,
        files,
    })
}
