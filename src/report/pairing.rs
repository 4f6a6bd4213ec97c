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

use super::extract_host_origin;
use crate::model::Product;
use crate::scan::Event;
use crate::source::Input;
use serde::Serialize;
use std::collections::BTreeMap;

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

fn is_provider_line(evidence: &str) -> bool {
    evidence.contains("Problem encountered authenticating OAuth client")
        || evidence.contains("Rejecting OAuth request")
}

/// The product a host name most likely belongs to: one whose provider-side lines name that
/// host, else one whose name is part of the host name (`jira.example.com`).
fn product_of_host(host: &str, own_hosts: &BTreeMap<String, Product>) -> Option<Product> {
    if let Some(p) = own_hosts.get(host) {
        return Some(*p);
    }
    Product::named_in(host.split(':').next().unwrap_or(host))
}

/// Pairs consumer-side and provider-side evidence across products. `events` are every
/// classified event with its input and rule id.
pub fn pair(events: &[(&Input, &Event, &str)]) -> Vec<LinkPair> {
    // Hosts each product answers on, from its own provider-side lines.
    let mut own_hosts: BTreeMap<String, Product> = BTreeMap::new();
    for (input, e, _) in events {
        if let (Some(p), Some(h)) = (input.product, e.fields.get("host"))
            && is_provider_line(&e.evidence)
        {
            own_hosts.entry(h.clone()).or_insert(p);
        }
    }
    let scanned: Vec<Product> = {
        let mut v: Vec<Product> = events.iter().filter_map(|(i, _, _)| i.product).collect();
        v.sort();
        v.dedup();
        v
    };
    // (consumer, provider) -> (consumer side, provider side)
    let mut pairs: BTreeMap<(Product, Product), (LinkSide, LinkSide)> = BTreeMap::new();
    let side = |p: Product| LinkSide {
        product: p,
        rules: BTreeMap::new(),
        urls: BTreeMap::new(),
    };
    let mut provider_events: Vec<(Product, &Event, &str)> = Vec::new();
    for (input, e, rule) in events {
        let Some(here) = input.product else { continue };
        if is_provider_line(&e.evidence) {
            provider_events.push((here, e, rule));
            continue;
        }
        let Some(host) = e.fields.get("host") else {
            continue;
        };
        let Some(remote) = product_of_host(host, &own_hosts) else {
            continue;
        };
        if remote == here || !scanned.contains(&remote) {
            continue;
        }
        let entry = pairs
            .entry((here, remote))
            .or_insert_with(|| (side(here), side(remote)));
        *entry.0.rules.entry(rule.to_string()).or_default() += 1;
        if let Some(origin) = e.fields.get("url").and_then(|u| extract_host_origin(u)) {
            *entry.0.urls.entry(origin).or_default() += 1;
        }
    }
    // Provider-side evidence joins every pair whose provider it is and whose consumer side
    // shows the same rule.
    for (here, e, rule) in provider_events {
        for ((_, provider), (consumer, prov)) in pairs.iter_mut() {
            if *provider != here || !consumer.rules.contains_key(rule) {
                continue;
            }
            *prov.rules.entry(rule.to_string()).or_default() += 1;
            if let Some(origin) = e.fields.get("url").and_then(|u| extract_host_origin(u)) {
                *prov.urls.entry(origin).or_default() += 1;
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
                "{} signed requests for {cu} but {} checked them as {pu}: the provider rebuilds the URL from what reaches Tomcat, so its proxy settings (proxyName, proxyPort, scheme in server.xml, or bitbucket.properties) or its base URL do not match the URL the link uses (seed 004 \"OAuth signature rejected\"; checklist 2 and 6)",
                consumer.product, provider.product
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Location;

    fn input(p: Product) -> Input {
        Input {
            display: p.name().into(),
            location: Location::Stdin,
            product: Some(p),
            node: None,
            size: None,
        }
    }

    fn event(evidence: &str, url: &str) -> Event {
        let mut fields = BTreeMap::new();
        fields.insert("url".to_string(), url.to_string());
        fields.insert(
            "host".to_string(),
            crate::rules::extract::host_of(url).unwrap(),
        );
        Event {
            line: 1,
            offset: 0,
            time: None,
            rule: 0,
            also: vec![],
            fields,
            evidence: evidence.into(),
            text: None,
        }
    }

    #[test]
    fn signature_invalid_pairs_and_compares_urls() {
        let jira = input(Product::Jira);
        let conf = input(Product::Confluence);
        let c = event(
            "Request to Confluence failed: oauth_problem=signature_invalid",
            "https://confluence.example.com/rest/api/content",
        );
        let p = event(
            "Problem encountered authenticating OAuth client for url \"http://confluence-node1:8090/rest/api/content\", error was \"signature_invalid\"",
            "http://confluence-node1:8090/rest/api/content",
        );
        let events = vec![
            (&jira, &c, "oauth-signature-invalid"),
            (&conf, &p, "oauth-signature-invalid"),
        ];
        let pairs = pair(&events);
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
        let jira = input(Product::Jira);
        let c = event("x", "https://confluence.example.com/rest");
        assert!(pair(&[(&jira, &c, "network-read-timeout")]).is_empty());
    }
}
