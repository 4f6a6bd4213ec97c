//! Which web-server configuration file a product actually reads, per the Application Links Troubleshooting Guide's table
//! (checklist item 2): Jira, Confluence, Bamboo `<install>/conf/server.xml`; Crowd
//! `<install>/apache-tomcat/conf/server.xml`; Bitbucket 5+ `<home>/shared/bitbucket.properties`;
//! Bitbucket 4.0–4.14 and Stash 3.8–3.11 `<home>/shared/server.xml`, else
//! `<install>/conf/server.xml`; Stash up to 3.7 `<install>/conf/server.xml`; Fisheye/Crucible
//! `config.xml`. When the Bitbucket version is unknown the choice is a guess and says so.

use super::locate::{ConfigFile, Located, Role, major_minor};
use crate::model::Product;

/// The effective file (if any was found) and why it is the one.
pub struct Effective<'a> {
    pub file: Option<&'a ConfigFile>,
    pub reason: String,
    /// A `shared/server.xml` that the product does not read although an admin may think it
    /// does (Bitbucket 5+, Stash 3.7 and earlier).
    pub ignored_shared_server_xml: Option<&'a ConfigFile>,
}

/// Bitbucket's `bitbucket.properties` carries web-server settings only in `server.*` keys.
fn has_server_properties(f: &ConfigFile) -> bool {
    super::properties::parse(&f.text)
        .entries
        .keys()
        .any(|k| k.starts_with("server."))
}

pub fn choose(l: &Located) -> Effective<'_> {
    let simple = |role: Role, what: &str| Effective {
        file: l.file(role),
        reason: what.to_string(),
        ignored_shared_server_xml: None,
    };
    match l.product {
        Product::Jira | Product::Confluence | Product::Bamboo if !l.from_zip => simple(
            Role::InstallServerXml,
            &format!("{} reads <install>/conf/server.xml", l.product),
        ),
        Product::Crowd if !l.from_zip => simple(
            Role::InstallServerXml,
            "Crowd reads <install>/apache-tomcat/conf/server.xml",
        ),
        Product::Fisheye => simple(
            Role::FisheyeConfig,
            "Fisheye/Crucible reads config.xml in FISHEYE_INST",
        ),
        Product::Bitbucket => bitbucket(l),
        _ => simple(
            Role::InstallServerXml,
            "the server.xml the support zip collected",
        ),
    }
}

fn bitbucket(l: &Located) -> Effective<'_> {
    let props = l.file(Role::BitbucketProperties);
    let shared = l.file(Role::SharedServerXml);
    let install = l.file(Role::InstallServerXml);
    let version = l.version.as_ref().and_then(|(v, _)| major_minor(v));
    let name = if l.stash { "Stash" } else { "Bitbucket" };
    match version {
        Some((major, _)) if major >= 5 => Effective {
            file: props,
            reason: if props.is_some() {
                format!(
                    "Bitbucket {major}.x reads <home>/shared/bitbucket.properties (server.xml is no longer used)"
                )
            } else {
                format!(
                    "Bitbucket {major}.x reads <home>/shared/bitbucket.properties, which was not found: defaults apply (port 7990, no proxy)"
                )
            },
            ignored_shared_server_xml: shared,
        },
        Some((major, minor)) if major == 4 || (major == 3 && minor >= 8) => match shared {
            Some(f) => Effective {
                file: Some(f),
                reason: format!(
                    "{name} {major}.{minor} reads <home>/shared/server.xml when it exists"
                ),
                ignored_shared_server_xml: None,
            },
            None => Effective {
                file: install,
                reason: format!(
                    "{name} {major}.{minor} falls back to <install>/conf/server.xml: there is no <home>/shared/server.xml (copy it there so upgrades keep it)"
                ),
                ignored_shared_server_xml: None,
            },
        },
        Some((major, minor)) => Effective {
            file: install,
            reason: format!(
                "{name} {major}.{minor} (3.7 and earlier) reads <install>/conf/server.xml"
            ),
            ignored_shared_server_xml: shared,
        },
        None => {
            // Version unknown: the most specific file present wins.
            let (file, what) = if let Some(p) = props.filter(|p| has_server_properties(p)) {
                (
                    Some(p),
                    "bitbucket.properties has server.* settings, so Bitbucket 5+ is assumed",
                )
            } else if let Some(s) = shared {
                (
                    Some(s),
                    "<home>/shared/server.xml exists, so Bitbucket 4.x / Stash 3.8+ is assumed",
                )
            } else if let Some(i) = install {
                (Some(i), "only <install>/conf/server.xml was found")
            } else {
                (props, "only bitbucket.properties was found")
            };
            Effective {
                file,
                reason: format!("version unknown: {what}"),
                ignored_shared_server_xml: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(version: Option<&str>, roles: &[Role], stash: bool) -> Located {
        Located {
            product: Product::Bitbucket,
            stash,
            roots: vec![],
            install_dir: None,
            from_zip: false,
            version: version.map(|v| (v.to_string(), "test".to_string())),
            files: roles
                .iter()
                .map(|r| ConfigFile {
                    path: format!("{r:?}"),
                    role: *r,
                    text: "server.port=7990\n".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn bitbucket_rows_of_seed_000() {
        let all = [
            Role::BitbucketProperties,
            Role::SharedServerXml,
            Role::InstallServerXml,
        ];
        let l = located(Some("5.16.0"), &all, false);
        let e = choose(&l);
        assert_eq!(e.file.unwrap().role, Role::BitbucketProperties);
        assert!(e.ignored_shared_server_xml.is_some());
        let l = located(Some("4.14.1"), &all, false);
        assert_eq!(choose(&l).file.unwrap().role, Role::SharedServerXml);
        let l = located(Some("3.10.0"), &[Role::InstallServerXml], true);
        assert_eq!(choose(&l).file.unwrap().role, Role::InstallServerXml);
        let l = located(Some("3.7.1"), &all, true);
        let e = choose(&l);
        assert_eq!(e.file.unwrap().role, Role::InstallServerXml);
        assert!(e.ignored_shared_server_xml.is_some());
        let l = located(None, &all, false);
        assert_eq!(choose(&l).file.unwrap().role, Role::BitbucketProperties);
    }
}
