//! The narrow interface between the scanner and whatever classifies what it finds (compare
//! `grep-matcher::Matcher` under ripgrep's searcher). The scanner knows nothing of rules: it
//! asks a [`Classifier`] where the next candidate lies in a buffer, and, for the event around
//! it, which cause it is. The rule catalog compiles to this interface (`rules::Catalog`);
//! the examples runner and the lint sit above both the catalog and the scanner.

use crate::model::{Product, Side};
use std::collections::BTreeMap;

/// Index of a cause (a rule) in the classifier that produced it.
pub type CauseIndex = usize;

/// The result of classifying one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The winning cause.
    pub rule: CauseIndex,
    /// Other causes that matched the same event, most specific first.
    pub also: Vec<CauseIndex>,
    /// Values extracted from the event (oauth_problem, url, host, ...).
    pub fields: BTreeMap<String, String>,
    /// Which end of a link wrote the event (the winning rule's `side` metadata).
    pub side: Side,
}

/// Finds candidate events in buffers and classifies them.
pub trait Classifier: Sync {
    /// The span of the first candidate at or after `from` in `haystack`: a place an event
    /// worth classifying may contain. `None` when there is none.
    fn find_candidate(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)>;

    /// Classifies the text of one event; `product` is the log's product when known.
    fn classify(&self, event: &str, product: Option<Product>) -> Option<Classification>;

    /// Where cause `rule` matched in `event` (for the evidence line).
    fn match_span(&self, rule: CauseIndex, event: &str) -> Option<(usize, usize)>;

    /// How many causes the classifier knows (indices are below this).
    fn cause_count(&self) -> usize;

    /// Builds now what classifying the first events would otherwise build then (compiled
    /// patterns): called by a scanner that would wait idle meanwhile, for the first window of
    /// a stream decoded on another thread ([`crate::scan::scan_windows`]).
    fn prepare(&self) {}
}
