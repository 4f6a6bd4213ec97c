//! Vocabulary shared by every stage: the Atlassian products, rule severities, what an input
//! file is for, and log timestamps. Kept apart so that rules, sources, the scanner and reports
//! agree on names without depending on each other.

use jiff::civil::DateTime;
use jiff::tz::Offset;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// An Atlassian server / Data Center product whose logs linkdoctor understands.
/// Stash is reported as Bitbucket and Crucible as Fisheye: they share layouts and formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    Jira,
    Confluence,
    #[serde(alias = "stash")]
    Bitbucket,
    Bamboo,
    Crowd,
    #[serde(alias = "crucible")]
    Fisheye,
}

impl Product {
    pub const ALL: [Product; 6] = [
        Product::Jira,
        Product::Confluence,
        Product::Bitbucket,
        Product::Bamboo,
        Product::Crowd,
        Product::Fisheye,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Product::Jira => "jira",
            Product::Confluence => "confluence",
            Product::Bitbucket => "bitbucket",
            Product::Bamboo => "bamboo",
            Product::Crowd => "crowd",
            Product::Fisheye => "fisheye",
        }
    }

    /// The product whose name (or former name: `stash`, `crucible`, `fecru`) is part of a word
    /// or text such as a folder, host or zip name (`jira-home`, `confluence.example.com`).
    pub fn named_in(text: &str) -> Option<Product> {
        const WORDS: [(&str, Product); 9] = [
            ("jira", Product::Jira),
            ("confluence", Product::Confluence),
            ("bitbucket", Product::Bitbucket),
            ("stash", Product::Bitbucket),
            ("bamboo", Product::Bamboo),
            ("crowd", Product::Crowd),
            ("fisheye", Product::Fisheye),
            ("crucible", Product::Fisheye),
            ("fecru", Product::Fisheye),
        ];
        let lower = text.to_ascii_lowercase();
        WORDS
            .iter()
            .find(|(w, _)| lower.contains(w))
            .map(|(_, p)| *p)
    }

    /// Parses a product name as users type it (`stash` and `crucible` included).
    pub fn parse(s: &str) -> Option<Product> {
        match s.to_ascii_lowercase().as_str() {
            "jira" => Some(Product::Jira),
            "confluence" => Some(Product::Confluence),
            "bitbucket" | "stash" => Some(Product::Bitbucket),
            "bamboo" => Some(Product::Bamboo),
            "crowd" => Some(Product::Crowd),
            "fisheye" | "crucible" => Some(Product::Fisheye),
            _ => None,
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How bad a finding is. Ordered: `Info < Warning < Error < Critical`.
/// Which end of an application link an event comes from: the consumer (the end that made
/// the request) or the provider (the end that refused it). Decided per event from the
/// winning rule's `side` metadata (rules/*.yaml), never from phrases in report code.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    #[default]
    Consumer,
    Provider,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    #[default]
    Error,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity '{other}' (expected info, warning, error or critical)"
            )),
        }
    }
}

/// What a file is for, judged from the support-zip folders, the install and home layouts,
/// and the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The product's own log (`atlassian-jira.log`, `<home>/log`, `application-logs/`).
    Application,
    /// Tomcat's logs (`catalina.out`, `<install>/logs`, `tomcat-logs/`).
    Tomcat,
    /// Configuration files (`application-config/`, `server.xml`).
    Configuration,
    /// The support zip's system properties (`application-properties/application.xml`).
    Properties,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Application => "application",
            Role::Tomcat => "tomcat",
            Role::Configuration => "configuration",
            Role::Properties => "properties",
        }
    }
}

/// A log timestamp: the wall-clock time written in the line and, when the line says so, its
/// UTC offset. Without an offset the time is the JVM's local time, whose zone is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTime {
    pub civil: DateTime,
    pub offset: Option<Offset>,
}

impl LogTime {
    /// Seconds since the Unix epoch, when the offset is known (or assumed with `assume`).
    pub fn epoch_seconds(&self, assume: Option<Offset>) -> Option<i64> {
        let off = self.offset.or(assume)?;
        off.to_timestamp(self.civil).ok().map(|t| t.as_second())
    }
}

impl LogTime {
    /// This time with its UTC offset: its own, else the one `zone` had at that wall-clock
    /// time (the zone `--since` uses: the server's `-Duser.timezone` from a support zip,
    /// `--timezone`, or this machine's). Ambiguous or skipped wall-clock times (DST changes)
    /// take the earlier offset, as `--since` does.
    pub fn resolved(self, zone: &jiff::tz::TimeZone) -> LogTime {
        if self.offset.is_some() {
            return self;
        }
        let offset = zone
            .to_ambiguous_timestamp(self.civil)
            .compatible()
            .ok()
            .map(|ts| zone.to_offset(ts));
        LogTime {
            civil: self.civil,
            offset,
        }
    }

    /// Parses the form [`LogTime`] is displayed in: `2024-01-05T10:22:33.000+01:00`, with
    /// or without the offset (`Z` is read as `+00:00`).
    pub fn parse(text: &str) -> Option<LogTime> {
        let t = text.trim();
        let (civil, offset) = match t.strip_suffix('Z') {
            Some(c) => (c, Some(Offset::UTC)),
            None => {
                let date_end = t.find('T')?;
                match t[date_end..].rfind(['+', '-']) {
                    Some(at) => {
                        let (c, o) = t.split_at(date_end + at);
                        (c, Some(parse_offset(o)?))
                    }
                    None => (t, None),
                }
            }
        };
        Some(LogTime {
            civil: civil.parse().ok()?,
            offset,
        })
    }
}

/// `+01:00`, `-05:30` as an offset.
fn parse_offset(text: &str) -> Option<Offset> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = text[1..].split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=23).contains(&h) || !(0..=59).contains(&m) {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

impl Ord for LogTime {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.epoch_seconds(None), other.epoch_seconds(None)) {
            (Some(_), Some(_)) => {
                let a = self.offset.and_then(|o| o.to_timestamp(self.civil).ok());
                let b = other.offset.and_then(|o| o.to_timestamp(other.civil).ok());
                a.cmp(&b)
            }
            _ => self.civil.cmp(&other.civil),
        }
    }
}

impl PartialOrd for LogTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for LogTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.civil.strftime("%Y-%m-%dT%H:%M:%S%.3f"))?;
        if let Some(off) = self.offset {
            let secs = off.seconds();
            let sign = if secs < 0 { '-' } else { '+' };
            let a = secs.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)?;
        }
        Ok(())
    }
}

impl Serialize for LogTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LogTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        LogTime::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a time: `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_resolve_and_round_trip() {
        let civil: DateTime = "2024-07-01T10:00:00.250".parse().unwrap();
        let local = LogTime {
            civil,
            offset: None,
        };
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        let r = local.resolved(&berlin);
        assert_eq!(r.to_string(), "2024-07-01T10:00:00.250+02:00");
        assert_eq!(LogTime::parse(&r.to_string()), Some(r));
        assert_eq!(LogTime::parse(&local.to_string()), Some(local));
        let ny = LogTime::parse("2024-01-01T00:00:00.000-05:00").unwrap();
        assert_eq!(ny.offset.map(|o| o.seconds()), Some(-5 * 3600));
        assert_eq!(ny.resolved(&berlin), ny);
        assert!(LogTime::parse("yesterday").is_none());
        assert!(LogTime::parse("2024-01-01T00:00:00+25:00").is_none());
    }

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Info < Severity::Warning);
        assert!(Severity::Warning < Severity::Error);
        assert!(Severity::Error < Severity::Critical);
        assert_eq!("warn".parse::<Severity>().unwrap(), Severity::Warning);
        assert!("loud".parse::<Severity>().is_err());
    }

    #[test]
    fn product_aliases() {
        assert_eq!(Product::parse("Stash"), Some(Product::Bitbucket));
        assert_eq!(Product::parse("crucible"), Some(Product::Fisheye));
        assert_eq!(Product::parse("nope"), None);
        assert_eq!(Product::named_in("STASH-home"), Some(Product::Bitbucket));
        assert_eq!(Product::named_in("fecru-4.8"), Some(Product::Fisheye));
        assert_eq!(Product::named_in("wiki.example.com"), None);
    }
}
