//! Pairing the two ends of a link when logs of both products were scanned together.
//!
//! An OAuth failure is logged twice: by the provider (the end that refused the request:
//! "Problem encountered authenticating OAuth client for url ...", "Rejecting OAuth request
//! for url ...") and by the consumer (the end that sent it: "Failed to get token from service
//! provider, problem was: ...", a ResponseException carrying the oauth_problem). Both name the
//! same problem. For `signature_invalid` the two URLs tell the cause: the consumer signs the URL
//! it called, the provider checks the URL it reconstructs from the request, and when a proxy
//! or connector setting drops the scheme, host or port the two differ.
//! Network and TLS failures name the remote URL; when the host belongs to a product whose logs
//! were scanned too, the pair is reported as well.

//!
//! What pairing needs is gathered per event into [`LinkObservations`], a few bounded count
//! tables that merge exactly, and the pairs are made from them once the scan is over.

use super::bounded::{BoundedCounts, BoundedMap, count, merge_counts};
use super::{Observation, extract_host_origin};
use crate::model::{Product, Side};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Distinct remote hosts, and URLs per side, remembered.
const MAX_HOSTS: usize = 1024;
const MAX_URLS: usize = 64;

/// One side of a link, as seen in one product's logs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LinkSide {
    pub product: Product,
    /// Rules that fired on this side, with counts.
    pub rules: BTreeMap<String, usize>,
    /// URLs (scheme://host:port) this side's events name, with counts.
    pub urls: BTreeMap<String, usize>,
}

/// A link whose two ends both left evidence in the scanned logs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LinkPair {
    /// The end that made the failing requests.
    pub consumer: LinkSide,
    /// The end that was called (and, for OAuth, refused).
    pub provider: LinkSide,
    /// What comparing the two sides shows, in sentences.
    pub notes: Vec<String>,
}

/// Events counted by rule, with the URLs (scheme://host:port) they name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Tally {
    events: u64,
    urls: BoundedCounts<String>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            events: 0,
            urls: BoundedMap::new(MAX_URLS),
        }
    }
}

impl Tally {
    fn add(&mut self, url: Option<String>, n: u64) {
        self.events += n;
        if let Some(u) = url {
            count(&mut self.urls, u, n);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.events += other.events;
        merge_counts(&mut self.urls, other.urls);
    }
}

/// What the events of a scan show about links, gathered for pairing. A partial report
/// carries it whole (serde), so pairs made after a merge are those of one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkObservations {
    /// Products whose logs produced events.
    scanned: BTreeSet<Product>,
    /// Hosts each product answers on, from its own provider-side lines, with counts.
    own_hosts: BoundedMap<String, BTreeMap<Product, u64>>,
    /// Consumer-side events: (product, remote host, rule) -> tally.
    consumer: BoundedMap<(Product, String, String), Tally>,
    /// Provider-side events: (product, rule) -> tally.
    #[serde(with = "super::bounded::entries")]
    provider: BTreeMap<(Product, String), Tally>,
}

impl Default for LinkObservations {
    fn default() -> Self {
        LinkObservations {
            scanned: BTreeSet::new(),
            own_hosts: BoundedMap::new(MAX_HOSTS),
            consumer: BoundedMap::new(MAX_HOSTS),
            provider: BTreeMap::new(),
        }
    }
}

impl LinkObservations {
    /// Records one event of `rule` in a log of `product`.
    pub fn observe(&mut self, product: Option<Product>, rule: &str, e: &Observation) {
        let Some(here) = product else { return };
        self.scanned.insert(here);
        let url = e.fields.get("url").and_then(|u| extract_host_origin(u));
        let host = e.fields.get("host");
        if e.side == Side::Provider {
            if let Some(h) = host
                && let Some(owners) = self.own_hosts.entry(h.clone())
            {
                *owners.entry(here).or_default() += 1;
            }
            self.provider
                .entry((here, rule.to_string()))
                .or_default()
                .add(url, 1);
        } else if let Some(h) = host
            && let Some(t) = self.consumer.entry((here, h.clone(), rule.to_string()))
        {
            t.add(url, 1);
        }
    }

    /// Are the bounded tables within their caps (as a deserialised one must be)?
    pub fn is_within_caps(&self) -> bool {
        self.own_hosts.is_within_cap()
            && self.consumer.is_within_cap()
            && self.consumer.map().values().all(|t| t.urls.is_within_cap())
            && self.provider.values().all(|t| t.urls.is_within_cap())
    }

    pub fn merge(&mut self, other: LinkObservations) {
        self.scanned.extend(other.scanned);
        self.own_hosts.merge(other.own_hosts, |a, b| {
            for (p, n) in b {
                *a.entry(p).or_default() += n;
            }
        });
        self.consumer.merge(other.consumer, Tally::merge);
        for (k, t) in other.provider {
            self.provider.entry(k).or_default().merge(t);
        }
    }

    /// The product a host name most likely belongs to: the one whose provider-side lines
    /// name that host most often, else one whose name is part of the host name
    /// (`jira.example.com`).
    fn product_of_host(&self, host: &str) -> Option<Product> {
        if let Some(owners) = self.own_hosts.map().get(host)
            && let Some((p, _)) = owners
                .iter()
                .max_by(|(pa, na), (pb, nb)| na.cmp(nb).then(pb.cmp(pa)))
        {
            return Some(*p);
        }
        Product::named_in(host.split(':').next().unwrap_or(host))
    }

    /// Pairs consumer-side and provider-side evidence across products.
    pub fn pairs(&self) -> Vec<LinkPair> {
        // (consumer, provider) -> (consumer side, provider side)
        let mut pairs: BTreeMap<(Product, Product), (LinkSide, LinkSide)> = BTreeMap::new();
        let side = |p: Product| LinkSide {
            product: p,
            rules: BTreeMap::new(),
            urls: BTreeMap::new(),
        };
        for ((here, host, rule), tally) in self.consumer.map() {
            let Some(remote) = self.product_of_host(host) else {
                continue;
            };
            if remote == *here || !self.scanned.contains(&remote) {
                continue;
            }
            let entry = pairs
                .entry((*here, remote))
                .or_insert_with(|| (side(*here), side(remote)));
            add_side(&mut entry.0, rule, tally);
        }
        // Provider-side evidence joins every pair whose provider it is and whose consumer
        // side shows the same rule.
        for ((here, rule), tally) in &self.provider {
            for ((_, provider), (consumer, prov)) in pairs.iter_mut() {
                if provider == here && consumer.rules.contains_key(rule) {
                    add_side(prov, rule, tally);
                }
            }
        }
        pairs
            .into_values()
            .map(|(consumer, provider)| {
                let notes = notes(&consumer, &provider);
                LinkPair {
                    consumer,
                    provider,
                    notes,
                }
            })
            .collect()
    }
}

fn add_side(side: &mut LinkSide, rule: &str, tally: &Tally) {
    let n = usize::try_from(tally.events).unwrap_or(usize::MAX);
    *side.rules.entry(rule.to_string()).or_default() += n;
    for (u, c) in tally.urls.map() {
        *side.urls.entry(u.clone()).or_default() += usize::try_from(*c).unwrap_or(usize::MAX);
    }
}

fn notes(consumer: &LinkSide, provider: &LinkSide) -> Vec<String> {
    let mut notes = Vec::new();
    let shared: Vec<&String> = consumer
        .rules
        .keys()
        .filter(|r| provider.rules.contains_key(*r))
        .collect();
    if !shared.is_empty() {
        let list: Vec<&str> = shared.iter().map(|s| s.as_str()).collect();
        notes.push(format!(
            "both ends logged {}: {} sent the requests and {} refused them",
            list.join(", "),
            consumer.product,
            provider.product
        ));
    } else {
        notes.push(format!(
            "{} failed to reach {}, whose own logs were scanned too; read both sides' findings together",
            consumer.product, provider.product
        ));
    }
    if shared.iter().any(|r| r.contains("signature")) {
        let c: Vec<&String> = consumer.urls.keys().collect();
        let p: Vec<&String> = provider
            .urls
            .keys()
            .filter(|u| !consumer.urls.contains_key(*u))
            .collect();
        if let (Some(cu), Some(pu)) = (c.first(), p.first()) {
            notes.push(format!(
                "{} signed requests for {cu} but {} checked them as {pu}: the provider rebuilds the URL from what reaches Tomcat, so its proxy settings (proxyName, proxyPort, scheme in server.xml, or bitbucket.properties) or its base URL do not match the URL the link uses (OAuth Troubleshooting Guide, \"OAuth signature rejected\", https://confluence.atlassian.com/kb/oauth-troubleshooting-guide-719095274.html; Application Links Troubleshooting Guide, checklist items 2 and 6)",
                consumer.product, provider.product
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event of `url`; the provider's when its evidence is one of the provider lines of
    /// the OAuth rules (as their `provider_if` metadata says).
    fn event(evidence: &str, url: &str) -> Observation {
        let mut fields = BTreeMap::new();
        fields.insert("url".to_string(), url.to_string());
        fields.insert(
            "host".to_string(),
            crate::rules::extract::host_of(url).unwrap(),
        );
        Observation {
            line: 1,
            time: None,
            rule: 0,
            also: vec![],
            fields,
            side: if evidence.contains("Rejecting OAuth request")
                || evidence.contains("Problem encountered authenticating OAuth client")
            {
                Side::Provider
            } else {
                Side::Consumer
            },
            evidence: evidence.into(),
            text: None,
            dated_by_mtime: false,
        }
    }

    fn pair(events: &[(Product, &Observation, &str)]) -> Vec<LinkPair> {
        let mut obs = LinkObservations::default();
        for (p, e, rule) in events {
            obs.observe(Some(*p), rule, e);
        }
        obs.pairs()
    }

    #[test]
    fn signature_invalid_pairs_and_compares_urls() {
        let c = event(
            "Request to Confluence failed: oauth_problem=signature_invalid",
            "https://confluence.example.com/rest/api/content",
        );
        let p = event(
            "Problem encountered authenticating OAuth client for url \"http://confluence-node1:8090/rest/api/content\", error was \"signature_invalid\"",
            "http://confluence-node1:8090/rest/api/content",
        );
        let events = vec![
            (Product::Jira, &c, "oauth-signature-invalid"),
            (Product::Confluence, &p, "oauth-signature-invalid"),
        ];
        let pairs = pair(&events);
        // Observed in two halves and merged: the same pairs.
        let (mut a, mut b) = (LinkObservations::default(), LinkObservations::default());
        a.observe(Some(Product::Jira), events[0].2, events[0].1);
        b.observe(Some(Product::Confluence), events[1].2, events[1].1);
        b.merge(a);
        assert_eq!(b.pairs(), pairs);
        assert_eq!(pairs.len(), 1);
        let pr = &pairs[0];
        assert_eq!(pr.consumer.product, Product::Jira);
        assert_eq!(pr.provider.product, Product::Confluence);
        assert!(
            pr.notes[1].contains("https://confluence.example.com"),
            "{:?}",
            pr.notes
        );
        assert!(
            pr.notes[1].contains("http://confluence-node1:8090"),
            "{:?}",
            pr.notes
        );
    }

    #[test]
    fn one_end_only_is_not_a_pair() {
        let c = event("x", "https://confluence.example.com/rest");
        assert!(pair(&[(Product::Jira, &c, "network-read-timeout")]).is_empty());
    }
}
