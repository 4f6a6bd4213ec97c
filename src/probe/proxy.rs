//! Outbound HTTP proxy: which proxy a URL goes through (`--proxy`, else `HTTPS_PROXY` /
//! `HTTP_PROXY` and their lower-case forms, with `NO_PROXY` exceptions, as curl reads them),
//! and the `CONNECT` tunnel for https. A 407 is named as such: the proxy wants credentials
//! the product's JVM (`http.proxyUser`) or this probe did not give.

use super::target::{Scheme, Target};
use std::io::{Read, Write};

/// One proxy: where it listens and the credentials of its URL, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `user:password` from the proxy URL, sent as Basic `Proxy-Authorization`; never shown.
    credentials: Option<String>,
}

impl Proxy {
    /// Parses `http://[user:password@]host[:port]` (the scheme may be left out; port 3128
    /// by default, as for curl 1080 is only for SOCKS).
    pub fn parse(url: &str) -> Result<Proxy, String> {
        let with_scheme = if url.contains("://") {
            url.to_string()
        } else {
            format!("http://{url}")
        };
        let after_scheme = with_scheme.split_once("://").map_or("", |(_, r)| r);
        let authority = after_scheme.split('/').next().unwrap_or("");
        let credentials = authority.rsplit_once('@').map(|(c, _)| c.to_string());
        let mut t = Target::parse(&with_scheme).map_err(|e| format!("proxy: {e}"))?;
        if t.scheme == Scheme::Https {
            return Err("proxy: only http:// proxies are supported (the JVM's http.proxyHost speaks plain HTTP to its proxy)".into());
        }
        if !authority
            .rsplit_once('@')
            .map_or(authority, |(_, a)| a)
            .contains(':')
            || authority.ends_with(']')
        {
            t.port = 3128;
        }
        Ok(Proxy {
            host: t.host,
            port: t.port,
            credentials,
        })
    }

    /// `proxy.example.com:3128`, without credentials.
    pub fn display(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `Proxy-Authorization` header line (with CRLF), or nothing.
    pub fn auth_header(&self) -> String {
        self.credentials
            .as_deref()
            .map(|c| format!("Proxy-Authorization: Basic {}\r\n", base64(c.as_bytes())))
            .unwrap_or_default()
    }
}

/// Proxy settings for a whole run.
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    https: Option<Proxy>,
    http: Option<Proxy>,
    no_proxy: Vec<String>,
}

impl ProxySettings {
    /// `--proxy` wins for both schemes; otherwise the environment, read through `env` (so
    /// tests pass their own).
    pub fn new(flag: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |upper: &str| {
            env(upper)
                .or_else(|| env(&upper.to_ascii_lowercase()))
                .filter(|v| !v.trim().is_empty())
        };
        let no_proxy = var("NO_PROXY")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(p) = flag {
            let p = Proxy::parse(p)?;
            return Ok(ProxySettings {
                https: Some(p.clone()),
                http: Some(p),
                no_proxy,
            });
        }
        let parse = |v: Option<String>, name: &str| {
            v.map(|v| Proxy::parse(&v).map_err(|e| format!("{name}: {e}")))
                .transpose()
        };
        Ok(ProxySettings {
            https: parse(var("HTTPS_PROXY"), "HTTPS_PROXY")?,
            http: parse(var("HTTP_PROXY"), "HTTP_PROXY")?,
            no_proxy,
        })
    }

    /// The proxy `target` goes through, unless `NO_PROXY` names its host (`*`, the host
    /// itself or a domain it is under).
    pub fn for_target(&self, target: &Target) -> Option<&Proxy> {
        let host = target.host.as_str();
        let excepted = self.no_proxy.iter().any(|n| {
            let n = n.split(':').next().unwrap_or(n);
            n == "*" || host == n || host.ends_with(&format!(".{n}"))
        });
        if excepted {
            return None;
        }
        match target.scheme {
            Scheme::Https => self.https.as_ref(),
            Scheme::Http => self.http.as_ref(),
        }
    }
}

/// Why a proxy did not open the tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TunnelError {
    /// 407 Proxy Authentication Required, with the scheme the proxy asks for.
    AuthRequired { challenge: Option<String> },
    /// Any other answer than 2xx: the status line.
    Refused { status: u16, line: String },
    /// The proxy closed, timed out or did not speak HTTP.
    Broken(String),
}

/// Sends `CONNECT host:port` on `stream` and reads the proxy's answer head.
pub fn connect_tunnel<S: Read + Write>(
    stream: &mut S,
    proxy: &Proxy,
    target: &Target,
) -> Result<(), TunnelError> {
    let req = format!(
        "CONNECT {a} HTTP/1.1\r\nHost: {a}\r\nUser-Agent: linkdoctor/{v}\r\n{auth}\r\n",
        a = target.authority(),
        v = env!("CARGO_PKG_VERSION"),
        auth = proxy.auth_header()
    );
    stream
        .write_all(req.as_bytes())
        .map_err(|e| TunnelError::Broken(e.to_string()))?;
    let head = super::http::read_head(stream).map_err(|e| TunnelError::Broken(e.to_string()))?;
    match head.status {
        200..=299 => Ok(()),
        407 => Err(TunnelError::AuthRequired {
            challenge: head.header("proxy-authenticate").map(str::to_string),
        }),
        status => Err(TunnelError::Refused {
            status,
            line: head.status_line.clone(),
        }),
    }
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_and_no_proxy() {
        let s = ProxySettings::new(
            None,
            env(&[
                ("https_proxy", "http://u:p@proxy.corp:8080"),
                ("NO_PROXY", "localhost,.internal.example"),
            ]),
        )
        .unwrap();
        let t = |u: &str| Target::parse(u).unwrap();
        let p = s.for_target(&t("https://jira.example.com")).unwrap();
        assert_eq!(p.display(), "proxy.corp:8080");
        assert_eq!(p.auth_header(), "Proxy-Authorization: Basic dTpw\r\n");
        assert!(s.for_target(&t("https://localhost:8443")).is_none());
        assert!(s.for_target(&t("https://wiki.internal.example")).is_none());
        assert!(s.for_target(&t("http://jira.example.com")).is_none());
        let flag = ProxySettings::new(Some("proxy:3129"), env(&[])).unwrap();
        assert_eq!(
            flag.for_target(&t("http://x")).unwrap().display(),
            "proxy:3129"
        );
        assert_eq!(Proxy::parse("proxy.corp").unwrap().port, 3128);
        assert!(ProxySettings::new(Some("https://p"), env(&[])).is_err());
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }
}
