//! The catalog of `check` findings: for every id `check` can report, what it means, what to
//! do and where Atlassian documents it. `linkdoctor explain ID` reads it, as it reads the
//! rule catalog for log findings; a test runs `check` on the fixtures and fails on an id
//! missing here.

/// One kind of configuration finding.
#[derive(Debug)]
pub struct CheckKind {
    pub id: &'static str,
    pub title: &'static str,
    pub cause: &'static str,
    pub remediation: &'static [&'static str],
    pub references: &'static [&'static str],
}

const GUIDE: &str = "Application Links Troubleshooting Guide, checklist item 2 (upgrades overwrite server.xml) - https://confluence.atlassian.com/kb/application-links-troubleshooting-guide-718668765.html";
const FLOWCHART: &str = "Application Links Troubleshooting Flowchart (reverse proxy, base URL, application URL) - https://confluence.atlassian.com/kb/application-links-troubleshooting-flowchart-719096352.html";
const SIGNATURE: &str = "OAuth Troubleshooting Guide, 'OAuth signature rejected' - https://confluence.atlassian.com/kb/oauth-troubleshooting-guide-719095274.html";
const SSL: &str = "Connecting to SSL services (KB) - https://confluence.atlassian.com/kb/connecting-to-ssl-services-802171215.html";
const CLOCK: &str = "OAuth error oauth_problem=timestamp_refused (KB) - https://confluence.atlassian.com/kb/oauth-error-oauth_problem-timestamp_refused-720406801.html";
const AUTH: &str = "Application Links Troubleshooting Guide, checklist item 7 (authentication type) - https://confluence.atlassian.com/kb/application-links-troubleshooting-guide-718668765.html";

pub const KINDS: &[CheckKind] = &[
    CheckKind {
        id: "scheme-secure-mismatch",
        title: "Connector scheme and secure flag disagree",
        cause: "A connector says scheme=\"https\" without secure=\"true\", or the reverse. Behind a TLS-terminating proxy Tomcat then builds URLs with the wrong scheme, and OAuth signatures computed by the other end no longer match.",
        remediation: &[
            "Set scheme=\"https\" and secure=\"true\" together on the connector the proxy forwards HTTPS traffic to (scheme=\"http\" and secure=\"false\" on a plain one); for Bitbucket 5+ set server.scheme and server.secure in bitbucket.properties.",
            "Restart the application and test the link from both ends.",
        ],
        references: &[SIGNATURE, FLOWCHART],
    },
    CheckKind {
        id: "tls-connector-not-https",
        title: "TLS connector whose scheme is not https",
        cause: "SSLEnabled=\"true\" terminates TLS in Tomcat, but the connector's scheme is not https, so the application builds http:// URLs for requests that arrived over HTTPS.",
        remediation: &["Set scheme=\"https\" and secure=\"true\" on the TLS connector."],
        references: &[SSL, SIGNATURE],
    },
    CheckKind {
        id: "proxy-name-without-port",
        title: "proxyName without proxyPort",
        cause: "The connector names the proxy host but not its port, so Tomcat uses its own port in the URLs it builds: the URL the remote end signed differs from the one checked.",
        remediation: &[
            "Add proxyPort (443 for HTTPS, 80 for HTTP) next to proxyName, with the matching scheme and secure attributes.",
        ],
        references: &[SIGNATURE, FLOWCHART],
    },
    CheckKind {
        id: "proxy-port-scheme-mismatch",
        title: "Proxy port does not match the scheme",
        cause: "proxyPort is 443 with scheme http, or 80 with scheme https: the URLs Tomcat builds mix the two, and OAuth signatures fail.",
        remediation: &[
            "Make proxyPort, scheme and secure agree with what users type: 443 with https and secure=\"true\", 80 with http.",
        ],
        references: &[SIGNATURE, FLOWCHART],
    },
    CheckKind {
        id: "keystore-missing",
        title: "HTTPS connector without a keystore",
        cause: "A connector terminates TLS but names no keystore, so Tomcat falls back to a default one that usually does not exist or holds no certificate for this host.",
        remediation: &[
            "Set keystoreFile (or server.ssl.key-store for Bitbucket 5+) to the keystore holding this server's certificate, and its password.",
        ],
        references: &[SSL],
    },
    CheckKind {
        id: "keystore-unreadable",
        title: "Keystore missing or unreadable",
        cause: "The keystore the connector names does not exist or cannot be read by the application's user: the connector does not start and HTTPS is down.",
        remediation: &[
            "Restore the keystore at the configured path (an upgrade may have replaced the folder it was in) and give the application's user read access.",
        ],
        references: &[SSL, GUIDE],
    },
    CheckKind {
        id: "base-url-mismatch",
        title: "Connector disagrees with the base URL",
        cause: "The scheme, host, port or context path the connector presents differs from the base URL: the remote application signs requests for one URL and this one checks them against another.",
        remediation: &[
            "Make the base URL exactly what users and linked applications use, and the connector (proxyName, proxyPort, scheme, path) present the same.",
            "If the link's application URL differs from the base URL, relocate or recreate the link.",
        ],
        references: &[FLOWCHART, SIGNATURE],
    },
    CheckKind {
        id: "proxied-connector-not-reached",
        title: "Base URL bypasses the proxied connector",
        cause: "The base URL reaches a connector directly although another connector is configured for the reverse proxy: requests through the proxy and direct ones disagree on the URL.",
        remediation: &[
            "Point the base URL at the proxy (the proxied connector's proxyName and proxyPort), or remove the proxy settings if no proxy is in front.",
        ],
        references: &[FLOWCHART],
    },
    CheckKind {
        id: "base-url-no-connector",
        title: "No connector serves the base URL",
        cause: "No connector listens on, or is proxied for, the scheme and port of the base URL.",
        remediation: &[
            "Add or fix the connector (port, or proxyName/proxyPort/scheme) that the base URL reaches, or correct the base URL.",
        ],
        references: &[FLOWCHART, GUIDE],
    },
    CheckKind {
        id: "shared-server-xml-ignored",
        title: "A server.xml this version does not read",
        cause: "Customisations sit in a server.xml that this product version no longer reads (for example Bitbucket 5+ reads bitbucket.properties), so they are not in effect.",
        remediation: &[
            "Move the proxy and HTTPS settings into the file this version reads (bitbucket.properties for Bitbucket 5+), then restart.",
        ],
        references: &[GUIDE],
    },
    CheckKind {
        id: "timezone-differs",
        title: "JVM time zones differ between linked servers",
        cause: "The servers checked together set different -Duser.timezone values. OAuth compares timestamps; a wrong zone on one side refuses requests as outside the five-minute window.",
        remediation: &[
            "Check that each server's -Duser.timezone is its real zone and its operating system clock is synchronised with NTP (Application Links Troubleshooting Guide, checklist item 9).",
        ],
        references: &[CLOCK],
    },
    CheckKind {
        id: "trusted-applications-configured",
        title: "Trusted Applications is configured",
        cause: "The link uses Trusted Applications, which is deprecated for application links; Atlassian recommends OAuth on both ends.",
        remediation: &[
            "Switch the link's incoming and outgoing authentication to OAuth (with impersonation where the user bases match) on both ends, then turn Trusted Applications off.",
        ],
        references: &[AUTH],
    },
    CheckKind {
        id: "basic-auth-configured",
        title: "Basic HTTP authentication is configured",
        cause: "The link uses Basic HTTP authentication, which sends a password with every request and is deprecated for application links.",
        remediation: &["Switch the link to OAuth on both ends and remove the stored credentials."],
        references: &[AUTH],
    },
    CheckKind {
        id: "baseline-lost",
        title: "A setting of the baseline was lost in the upgrade",
        cause: "A web-server setting present in the pre-upgrade snapshot (or the whole configuration) is gone: upgrades replace server.xml and drop reverse-proxy and HTTPS customisations.",
        remediation: &[
            "Add the setting back with the value the baseline shows, in the file in effect for this version, then restart.",
        ],
        references: &[GUIDE],
    },
    CheckKind {
        id: "baseline-changed",
        title: "A setting changed in the upgrade",
        cause: "A web-server setting has another value than in the pre-upgrade snapshot.",
        remediation: &[
            "Check whether the change was intended; if not, restore the baseline's value and restart.",
        ],
        references: &[GUIDE],
    },
    CheckKind {
        id: "baseline-connector-lost",
        title: "A connector of the baseline is gone",
        cause: "A connector (often the one the reverse proxy forwards to) existed before the upgrade and no longer does.",
        remediation: &[
            "Recreate the connector from the baseline (port, proxyName, proxyPort, scheme, secure) in the file in effect, then restart.",
        ],
        references: &[GUIDE],
    },
    CheckKind {
        id: "baseline-effective-file-changed",
        title: "The configuration in effect moved",
        cause: "The upgrade changed which file holds the web-server settings (for example server.xml to bitbucket.properties): customisations in the old file are no longer read.",
        remediation: &["Carry the proxy and HTTPS settings over into the new file, then restart."],
        references: &[GUIDE],
    },
    CheckKind {
        id: "baseline-environment-changed",
        title: "The environment changed since the baseline",
        cause: "A JVM setting recorded in the baseline (such as -Duser.timezone) or the base URL differs after the upgrade.",
        remediation: &[
            "Restore the setting in setenv.sh (or the service configuration) if the change was not intended.",
        ],
        references: &[GUIDE, CLOCK],
    },
];

/// The kind with this id.
pub fn find(id: &str) -> Option<&'static CheckKind> {
    KINDS.iter().find(|k| k.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_cite_addresses() {
        let mut ids: Vec<&str> = KINDS.iter().map(|k| k.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), KINDS.len());
        for k in KINDS {
            assert!(!k.remediation.is_empty(), "{}", k.id);
            assert!(
                k.references.iter().all(|r| r.contains("https://")),
                "{}",
                k.id
            );
        }
        assert!(find("baseline-lost").is_some());
        assert!(find("nope").is_none());
    }
}
