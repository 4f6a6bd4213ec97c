//! The typed YAML schema of a rule file. Unknown fields are rejected so that a typo in a
//! user rule is an error with a location instead of a silently ignored key. Fields whose
//! later validation can fail (ids, regexes, literals) keep their YAML location.

use crate::model::{Product, Severity};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// A YAML string together with the line and column it was read from.
pub type Located = Spanned<String>;

/// One file of `rules/*.yaml`: a list of rules under `rules:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub rules: Vec<RuleSpec>,
}

/// The family a rule belongs to; one built-in file per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Oauth,
    Ssl,
    Network,
    Applinks,
    Auth,
    /// Restarts and upgrades: marker rules (see [`MarkerKind`]), never failures.
    Lifecycle,
    /// HTTP answers from the remote (401, 403, 404, 407, 5xx) on link and REST calls.
    Http,
    /// Hung and broken connections: stuck threads on a socket read, resets, broken pipes.
    Hung,
    /// Neighbouring integrations: Crowd, LDAP / Active Directory, Synchrony, outbound
    /// plugin calls (webhooks).
    Integration,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Oauth => "oauth",
            Category::Ssl => "ssl",
            Category::Network => "network",
            Category::Applinks => "applinks",
            Category::Auth => "auth",
            Category::Lifecycle => "lifecycle",
            Category::Http => "http",
            Category::Hung => "hung",
            Category::Integration => "integration",
        }
    }
}

/// What a lifecycle marker rule marks. A rule with `marker:` is never a finding: its events
/// are placed on the report's timeline as restarts or upgrades of the node that logged them,
/// so the reader sees whether a failure began with one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum MarkerKind {
    /// The application or its Tomcat (re)started.
    Restart,
    /// The application was upgraded (upgrade tasks ran, or the version changed).
    Upgrade,
}

impl MarkerKind {
    pub fn name(self) -> &'static str {
        match self {
            MarkerKind::Restart => "restart",
            MarkerKind::Upgrade => "upgrade",
        }
    }
}

/// What kind of remote end a rule's events are about (`remote:` in a rule; see
/// [`RemoteKind::default_for`] for the default by category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RemoteKind {
    /// The other end of an application link (Jira, Confluence, Bitbucket, ...).
    Applink,
    /// A user directory: Crowd, LDAP / Active Directory.
    Directory,
    /// Another integration: a mail server, a CI server, a webhook receiver, Synchrony, Slack.
    Integration,
    /// No remote end: the rule is about this application itself (lifecycle markers).
    None,
}

impl RemoteKind {
    pub fn name(self) -> &'static str {
        match self {
            RemoteKind::Applink => "applink",
            RemoteKind::Directory => "directory",
            RemoteKind::Integration => "integration",
            RemoteKind::None => "none",
        }
    }

    /// The kind a rule of `category` has when it names none: `integration` for the
    /// integration family, `none` for lifecycle markers, `applink` for every other family.
    pub fn default_for(category: Category) -> RemoteKind {
        match category {
            Category::Integration => RemoteKind::Integration,
            Category::Lifecycle => RemoteKind::None,
            _ => RemoteKind::Applink,
        }
    }
}

/// The `side` of a rule: which end of an application link writes its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSide {
    /// The end that made the request (the default).
    #[default]
    Consumer,
    /// The end that answered or refused it.
    Provider,
    /// Either end; `provider_if` decides per event.
    Either,
}

impl RuleSide {
    pub fn name(self) -> &'static str {
        match self {
            RuleSide::Consumer => "consumer",
            RuleSide::Provider => "provider",
            RuleSide::Either => "either",
        }
    }
}

/// One rule as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable kebab-case identifier, unique over the catalog.
    pub id: Located,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    /// Products whose logs this rule applies to; empty means all.
    #[serde(default)]
    pub products: Vec<Product>,
    /// Higher wins when several rules match one event. Default 0.
    #[serde(default)]
    pub priority: i32,
    /// Makes the rule a lifecycle marker (category `lifecycle`): its events mark a restart or
    /// an upgrade on the timeline and are never counted as failures.
    #[serde(default)]
    pub marker: Option<MarkerKind>,
    /// Which end of a link writes this rule's events (default `consumer`); with `either`,
    /// `provider_if` tells the provider's lines apart.
    #[serde(default)]
    pub side: RuleSide,
    /// A rule for a generic symptom (a handshake failed, a manifest could not be fetched, any
    /// `oauth_problem`): it never wins over a rule that is not one, whatever the priorities,
    /// so a specific cause deeper in the same event is the one reported.
    #[serde(default)]
    pub catch_all: bool,
    /// What the remote end of this rule's events is: `applink`, `directory`, `integration`
    /// or `none`. Default by category ([`RemoteKind::default_for`]).
    #[serde(default)]
    pub remote: Option<RemoteKind>,
    /// With `side: either`: a regex that, when it matches the line carrying the rule's
    /// match, marks the event as the provider's.
    #[serde(default)]
    pub provider_if: Option<Located>,
    #[serde(rename = "match")]
    pub matcher: MatchSpec,
    /// Extra named values to pull out of a matching event: name -> regex with one capture group.
    #[serde(default)]
    pub extract: BTreeMap<String, Located>,
    pub cause: String,
    /// Ordered steps; each cites the document (by title) and the checklist item or section it
    /// comes from. Marker rules have none.
    #[serde(default)]
    pub remediation: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    pub examples: Examples,
}

/// How a rule recognises an event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Rare, case-sensitive anchor literals. They feed the scanner's prefilter: an event is a
    /// candidate for this rule only if one of them occurs in it.
    pub literals: Vec<Located>,
    /// Optional regex that must also match the event (the whole multi-line event text).
    #[serde(default)]
    pub regex: Option<Located>,
    /// Optional regex that, when it matches the event, rules this rule out.
    #[serde(default)]
    pub unless: Option<Located>,
    /// Make `regex` and `unless` case-insensitive.
    #[serde(default)]
    pub case_insensitive: bool,
}

/// Examples the rule carries: events that must be classified as this rule, and events that
/// must not match it at all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(rename = "match")]
    pub matching: Vec<ExampleSpec>,
    #[serde(rename = "no_match")]
    pub not_matching: Vec<ExampleSpec>,
}

/// One example: a plain string (scanned with no product known), or a map
/// `{product: jira, text: "..."}` scanned as that product's log, so that the rule's
/// `products` filter takes part.
///
/// Written as a hand-made visitor rather than `#[serde(untagged)]`: untagged enums replace
/// every inner error with "did not match any variant", while this keeps the precise one
/// (an unknown key in the map, a bad product name) with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleSpec {
    pub product: Option<Product>,
    pub text: String,
}

/// The map form of an example.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaggedExample {
    product: Product,
    text: String,
}

impl<'de> Deserialize<'de> for ExampleSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExampleVisitor;
        impl<'de> serde::de::Visitor<'de> for ExampleVisitor {
            type Value = ExampleSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an example log text, or a map {product: <product>, text: <log text>}")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ExampleSpec {
                    product: None,
                    text: v.to_string(),
                })
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let tagged =
                    TaggedExample::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(ExampleSpec {
                    product: Some(tagged.product),
                    text: tagged.text,
                })
            }
        }
        deserializer.deserialize_any(ExampleVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(yaml: &str) -> Result<Examples, serde_saphyr::Error> {
        serde_saphyr::from_str(yaml)
    }

    #[test]
    fn plain_and_tagged_examples() {
        let e = examples(
            "match:\n  - plain line\n  - {product: stash, text: tagged line}\n  - product: jira\n    text: |-\n      a\n      b\nno_match: []\n",
        )
        .unwrap();
        assert_eq!(e.matching[0].product, None);
        assert_eq!(e.matching[0].text, "plain line");
        assert_eq!(e.matching[1].product, Some(Product::Bitbucket));
        assert_eq!(e.matching[2].text, "a\nb");
    }

    #[test]
    fn tagged_example_rejects_unknown_keys_and_products() {
        let err = examples("match:\n  - {product: jira, txt: x}\nno_match: []\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("txt"), "{err}");
        let err = examples("match:\n  - {product: sharepoint, text: x}\nno_match: []\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("sharepoint"), "{err}");
    }
}
