//! The address a link stores (`https://jira.example.com:8443/jira`), split into what each
//! probe step needs: scheme, host, port (explicit or the scheme's default) and context path.
//! User info (`user:password@`) is dropped and never shown; query and fragment are ignored.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A parsed http or https URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    /// Lower case; an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
    /// The context path without a trailing slash: `""` or `/jira`.
    pub path: String,
}

impl Target {
    /// Parses `url`; the error says what is wrong with it.
    pub fn parse(url: &str) -> Result<Target, String> {
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("not a URL (no scheme://): '{url}'"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(format!("unsupported scheme '{other}' (http or https)")),
        };
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("unclosed IPv6 address in '{url}'"))?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(format!("no host in '{url}'"));
        }
        if host
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "/\\<>\"".contains(c))
        {
            return Err(format!("invalid host name in '{url}'"));
        }
        let port = match port {
            None | Some("") => scheme.default_port(),
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| format!("invalid port '{p}' in '{url}'"))?,
        };
        let path = path.trim_end_matches('/').to_string();
        if path.chars().any(|c| c.is_control() || c == ' ') {
            return Err(format!("invalid path in '{url}'"));
        }
        Ok(Target {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path,
        })
    }

    /// `host:port` as a CONNECT line or a socket address wants it (`[::1]:443`).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `Host` header: the port only when not the default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// A path below the context path: `/jira/rest/applinks/1.0/manifest`.
    pub fn join(&self, below: &str) -> String {
        format!("{}{below}", self.path)
    }

    /// Resolves a redirect's `Location` (absolute, or a path on the same origin).
    pub fn resolve_location(&self, location: &str) -> Result<Target, String> {
        let location = location.trim();
        if location.contains("://") {
            return Target::parse(location);
        }
        if location.starts_with("//") {
            return Target::parse(&format!("{}:{location}", self.scheme.name()));
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            format!("{}/{location}", self.path)
        };
        Target::parse(&format!(
            "{}://{}{path}",
            self.scheme.name(),
            self.host_header()
        ))
    }
}

impl fmt::Display for Target {
    /// `scheme://host[:port]/context` with the default port left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.name(),
            self.host_header(),
            self.path
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_links_store() {
        let t = Target::parse("HTTPS://Jira.Example.COM:8443/jira/").unwrap();
        assert_eq!(
            (t.scheme, t.host.as_str(), t.port, t.path.as_str()),
            (Scheme::Https, "jira.example.com", 8443, "/jira")
        );
        assert_eq!(t.to_string(), "https://jira.example.com:8443/jira");
        let t = Target::parse("http://user:secret@wiki.example.com?x#y").unwrap();
        assert_eq!((t.port, t.path.as_str()), (80, ""));
        assert!(!t.to_string().contains("secret"));
        let t = Target::parse("https://[::1]:9443/x").unwrap();
        assert_eq!(
            (t.host.as_str(), t.authority()),
            ("::1", "[::1]:9443".to_string())
        );
        assert_eq!(t.join("/rest"), "/x/rest");
        for bad in [
            "jira.example.com",
            "ftp://x",
            "https://",
            "https://h:0",
            "https://h:99999",
            "https://[::1",
            "https://a b",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirects_resolve_against_the_origin() {
        let t = Target::parse("http://h:8080/ctx").unwrap();
        assert_eq!(
            t.resolve_location("/login.jsp").unwrap().to_string(),
            "http://h:8080/login.jsp"
        );
        assert_eq!(
            t.resolve_location("https://h/ctx").unwrap().to_string(),
            "https://h/ctx"
        );
        assert_eq!(
            t.resolve_location("//o:1/p").unwrap().to_string(),
            "http://o:1/p"
        );
    }
}
