//! Reads the configuration members of a support zip in place, without unpacking it.
//!
//! Members are picked by file name wherever they sit (customers re-zip with extra folders):
//! `server.xml`, `bitbucket.properties`, a `config.xml` with `<web-server>` (Fisheye),
//! `application-properties/application.xml` (version, base URL, JVM arguments),
//! `setenv.sh`/`setenv.bat`, `seraph-config.xml` and files whose name mentions `applink`.
//! Each member is read with a size cap ([`MAX_CONFIG_BYTES`]) and a compression-ratio cap.
//! The product comes from the zip's `atlassian-<product>.log` members, else its file name,
//! else its configuration (bitbucket.properties, Fisheye config.xml). Nested zips (a zip of
//! node zips) are not opened by `check`: unpack the outer zip and pass the node zips.

use super::locate::{ConfigFile, Located, MAX_CONFIG_BYTES, Role};
use super::webconfig::looks_like_fisheye_config;
use crate::model::Product;
use crate::warning::Warning;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Most members of a zip looked at.
const MAX_MEMBERS: usize = 200_000;
/// A member that inflates more than this many times its compressed size is refused.
const MAX_RATIO: u64 = 200;

fn role_of(member: &str) -> Option<Role> {
    let lower = member.to_ascii_lowercase().replace('\\', "/");
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    match name {
        "server.xml" => Some(Role::InstallServerXml),
        "bitbucket.properties" => Some(Role::BitbucketProperties),
        "config.xml" => Some(Role::FisheyeConfig),
        "application.xml" if lower.contains("application-properties") => Some(Role::ApplicationXml),
        "setenv.sh" | "setenv.bat" => Some(Role::JvmScript),
        "seraph-config.xml" => Some(Role::AuthConfig),
        _ if name.contains("applink")
            && [".xml", ".json", ".txt", ".properties"]
                .iter()
                .any(|e| name.ends_with(e)) =>
        {
            Some(Role::AuthConfig)
        }
        _ => None,
    }
}

/// Reads a support zip; `None` when `path` is not a zip (no warning: the caller says so).
pub fn read(path: &Path, warnings: &mut Vec<Warning>) -> Option<Located> {
    let shown = path.display().to_string();
    let mut magic = [0u8; 4];
    let is_zip = File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04";
    if !is_zip {
        return None;
    }
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            warnings.push(Warning::new(&shown, format!("cannot read: {e}")));
            return None;
        }
    };
    let mut archive = match zip::ZipArchive::new(std::io::BufReader::new(file)) {
        Ok(a) => a,
        Err(e) => {
            warnings.push(Warning::new(&shown, format!("corrupt zip: {e}")));
            return None;
        }
    };
    let mut files = Vec::new();
    let mut log_product = None;
    let mut stash = false;
    for i in 0..archive.len().min(MAX_MEMBERS) {
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                warnings.push(Warning::new(&shown, format!("zip member {i}: {e}")));
                continue;
            }
        };
        if member.is_dir() {
            continue;
        }
        let Ok(name) = member.name().map(|n| n.into_owned()) else {
            continue;
        };
        let base = name
            .rsplit('/')
            .next()
            .unwrap_or(&name)
            .to_ascii_lowercase();
        if base.starts_with("atlassian-") && base.contains(".log") {
            log_product = log_product.or_else(|| Product::named_in(&base));
            stash |= base.starts_with("atlassian-stash");
        }
        let Some(role) = role_of(&name) else {
            continue;
        };
        let shown_member = format!("{shown}!{name}");
        let size = member.size();
        let compressed = member.compressed_size().max(1);
        if size > MAX_CONFIG_BYTES || size / compressed > MAX_RATIO {
            warnings.push(Warning::new(
                shown_member,
                format!(
                    "skipped: {size} bytes uncompressed is over the limit for a configuration file"
                ),
            ));
            continue;
        }
        let mut bytes = Vec::new();
        if let Err(e) = (&mut member).take(MAX_CONFIG_BYTES).read_to_end(&mut bytes) {
            warnings.push(Warning::new(shown_member, format!("cannot inflate: {e}")));
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if role == Role::FisheyeConfig && !looks_like_fisheye_config(&text) {
            continue;
        }
        files.push(ConfigFile {
            path: shown_member,
            role,
            text,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let product = log_product
        .or_else(|| {
            path.file_name()
                .and_then(|n| Product::named_in(&n.to_string_lossy()))
        })
        .or_else(|| {
            files.iter().find_map(|f| match f.role {
                Role::BitbucketProperties => Some(Product::Bitbucket),
                Role::FisheyeConfig => Some(Product::Fisheye),
                _ => None,
            })
        });
    let Some(product) = product else {
        if !files.is_empty() {
            warnings.push(Warning::new(
                &shown,
                "cannot tell which product this support zip is from (no atlassian-<product>.log member, no product in its name): configuration not checked",
            ));
        }
        return None;
    };
    if files.is_empty() {
        return None;
    }
    let version = files
        .iter()
        .find(|f| f.role == Role::ApplicationXml)
        .and_then(|f| {
            super::environment::application_xml_version(&f.text).map(|v| (v, f.path.clone()))
        });
    Some(Located {
        product,
        stash: stash || shown.to_ascii_lowercase().contains("stash"),
        roots: vec![shown],
        install_dir: None,
        from_zip: true,
        version,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_member_name() {
        assert_eq!(
            role_of("x/tomcat-config/server.xml"),
            Some(Role::InstallServerXml)
        );
        assert_eq!(
            role_of("application-properties/application.xml"),
            Some(Role::ApplicationXml)
        );
        assert_eq!(role_of("other/application.xml"), None);
        assert_eq!(
            role_of("application-config/applinks.json"),
            Some(Role::AuthConfig)
        );
        assert_eq!(role_of("application-logs/atlassian-jira.log"), None);
    }
}
