//! Settings around the web server: the JVM time zone (`-Duser.timezone`) of a support zip's
//! `application-properties/application.xml` or of start scripts (`setenv.sh`, `setenv.bat`,
//! `_start-webapp.sh`, where `JVM_SUPPORT_RECOMMENDED_ARGS` is set), and signs of the
//! deprecated Trusted Applications or Basic authentication. application.xml and
//! `-Duser.timezone=` are read by [`crate::source::node`], the reader `scan` uses.
//!
//! What configuration can show about authentication is limited, and this module says no
//! more than it sees: a `class` (authenticator, service) naming Trusted Applications in
//! `seraph-config.xml` (web.xml is not read: the products ship Trusted Applications filter
//! classes as standard, so their presence there would prove nothing), or an
//! application-link export (a file whose name mentions `applink`) naming
//! `TrustedAppsAuthenticationProvider` / `BasicAuthenticationProvider`.
//! The authentication of each link is stored in the database; without such an export,
//! check it in the UI (checklist item 7). Comments in XML are ignored.

use super::locate::{ConfigFile, Role};
use super::webconfig::parse_xml;
use crate::source::node;
use crate::warning::Warning;

/// A value read from a file, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub file: String,
    pub line: Option<u64>,
}

/// 1-based line of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> u64 {
    text[..offset.min(text.len())].matches('\n').count() as u64 + 1
}

/// `-Duser.timezone` from application.xml (its JVM arguments, else a time-zone element) or a
/// start script (comment lines skipped), as written.
pub fn timezone(files: &[ConfigFile]) -> Option<Located<String>> {
    for f in files {
        match f.role {
            Role::ApplicationXml => {
                if let Some(p) = node::jvm_time_zone(&f.text) {
                    return Some(Located {
                        value: p.value,
                        file: f.path.clone(),
                        line: Some(line_at(&f.text, p.offset)),
                    });
                }
                if let Some(tz) = node::from_application_xml(&f.text).time_zone {
                    return Some(Located {
                        value: tz,
                        file: f.path.clone(),
                        line: None,
                    });
                }
            }
            Role::JvmScript => {
                for (i, line) in f.text.lines().enumerate() {
                    let t = line.trim_start().to_ascii_lowercase();
                    if t.starts_with('#') || t.starts_with("rem ") || t.starts_with("::") {
                        continue;
                    }
                    if let Some(p) = node::jvm_time_zone(line) {
                        return Some(Located {
                            value: p.value,
                            file: f.path.clone(),
                            line: Some(i as u64 + 1),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// A deprecated authentication method seen in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeprecatedAuth {
    TrustedApplications,
    Basic,
}

fn auth_kind(text: &str) -> Option<DeprecatedAuth> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("trustedapp") || lower.contains("trusted-app") {
        Some(DeprecatedAuth::TrustedApplications)
    } else if lower.contains("basicauthenticationprovider") {
        Some(DeprecatedAuth::Basic)
    } else {
        None
    }
}

/// Every sign of Trusted Applications or Basic authentication in the auth files; a
/// malformed XML file is a warning.
pub fn deprecated_auth(
    files: &[ConfigFile],
    warnings: &mut Vec<Warning>,
) -> Vec<(DeprecatedAuth, Located<String>)> {
    let mut out = Vec::new();
    for f in files.iter().filter(|f| f.role == Role::AuthConfig) {
        let is_xml = f.text.trim_start().starts_with('<');
        if is_xml {
            let doc = match parse_xml(&f.path, &f.text) {
                Ok(d) => d,
                Err(w) => {
                    warnings.push(w);
                    continue;
                }
            };
            // In seraph-config.xml only the classes it wires in (authenticators, services)
            // count; an application-link export is read in full.
            let seraph = f.path.to_ascii_lowercase().ends_with("seraph-config.xml");
            for node in doc.descendants().filter(|n| n.is_element() || n.is_text()) {
                let texts: Vec<&str> = if node.is_element() {
                    node.attributes()
                        .filter(|a| !seraph || a.name() == "class")
                        .map(|a| a.value())
                        .collect()
                } else if seraph {
                    Vec::new()
                } else {
                    node.text().into_iter().collect()
                };
                for t in texts {
                    if let Some(kind) = auth_kind(t) {
                        out.push((
                            kind,
                            Located {
                                value: t.trim().to_string(),
                                file: f.path.clone(),
                                line: Some(u64::from(doc.text_pos_at(node.range().start).row)),
                            },
                        ));
                    }
                }
            }
        } else {
            for (i, line) in f.text.lines().enumerate() {
                if let Some(kind) = auth_kind(line) {
                    out.push((
                        kind,
                        Located {
                            value: line.trim().to_string(),
                            file: f.path.clone(),
                            line: Some(i as u64 + 1),
                        },
                    ));
                }
            }
        }
    }
    out.dedup_by(|a, b| a.0 == b.0 && a.1.file == b.1.file && a.1.line == b.1.line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(role: Role, text: &str) -> ConfigFile {
        ConfigFile {
            path: "WEB-INF/classes/seraph-config.xml".into(),
            role,
            text: text.into(),
        }
    }

    #[test]
    fn application_xml_timezone_and_line() {
        let x = "<properties>\n<java-runtime-environment>\n<JVM-Input-Arguments>-Xmx2g -Duser.timezone=Europe/Berlin</JVM-Input-Arguments>\n</java-runtime-environment></properties>";
        let tz = timezone(&[file(Role::ApplicationXml, x)]).unwrap();
        assert_eq!(tz.value, "Europe/Berlin");
        assert_eq!(tz.line, Some(3));
    }

    #[test]
    fn setenv_comments_are_skipped() {
        let s = "#JVM_SUPPORT_RECOMMENDED_ARGS=\"-Duser.timezone=UTC\"\nJVM_SUPPORT_RECOMMENDED_ARGS=\"-Duser.timezone=America/New_York\"\n";
        let tz = timezone(&[file(Role::JvmScript, s)]).unwrap();
        assert_eq!(tz.value, "America/New_York");
        assert_eq!(tz.line, Some(2));
        let bat = "rem set X=-Duser.timezone=UTC\r\n";
        assert!(timezone(&[file(Role::JvmScript, bat)]).is_none());
    }

    #[test]
    fn auth_signs_ignore_comments() {
        let x = "<security-config>\n<!-- TrustedApplications -->\n<authenticator class=\"com.atlassian.seraph.auth.TrustedApplicationsAuthenticator\"/>\n</security-config>";
        let mut w = Vec::new();
        let found = deprecated_auth(&[file(Role::AuthConfig, x)], &mut w);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, DeprecatedAuth::TrustedApplications);
        assert_eq!(found[0].1.line, Some(3));
        let j =
            "{\"outgoing\": \"com.atlassian.applinks.api.auth.types.BasicAuthenticationProvider\"}";
        let found = deprecated_auth(&[file(Role::AuthConfig, j)], &mut w);
        assert_eq!(found[0].0, DeprecatedAuth::Basic);
        let clean = "<security-config><authenticator class=\"com.atlassian.jira.security.login.JiraSeraphAuthenticator\"/><init-param><param-value>trustedapps-note</param-value></init-param></security-config>";
        assert!(deprecated_auth(&[file(Role::AuthConfig, clean)], &mut w).is_empty());
    }
}
