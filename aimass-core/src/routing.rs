//! Champion/challenger routing: which of two deployed models serves a scoring call.
//!
//! A challenger takes a `share` of the calls, chosen by a hash of the row's key (or, without a
//! key column, of the model's feature values), salted with the challenger's deployment id: the
//! same customer always meets the same model while a challenge lasts, and each new challenge
//! draws a fresh sample. `share = 0` is shadow mode: the challenger never serves (its scores are
//! only logged).

use crate::data::RawValue;
use crate::hash::values_hash;

/// A challenger of the champion: its model, share of the calls and routing key.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The challenger's deployment id, the salt of the hash.
    pub deployment_id: i64,
    pub share: f64,
    pub key_column: Option<String>,
}

impl Route {
    /// Whether the challenger serves the call whose key (or feature values) is `key`.
    pub fn to_challenger(&self, key: &[RawValue<'_>]) -> bool {
        if self.share <= 0.0 {
            return false;
        }
        let h = values_hash(self.deployment_id as u64, key);
        // The top 53 bits as a uniform number in [0, 1).
        ((h >> 11) as f64 / (1u64 << 53) as f64) < self.share
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(share: f64) -> Route {
        Route { deployment_id: 7, share, key_column: Some("id".into()) }
    }

    #[test]
    fn the_share_is_met_and_a_key_always_meets_the_same_model() {
        let r = route(0.2);
        let keys: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
        let hits = keys.iter().filter(|k| r.to_challenger(&[RawValue::Text(k)])).count();
        assert!((hits as f64 / 20_000.0 - 0.2).abs() < 0.01, "{hits}");
        for k in keys.iter().take(100) {
            let first = r.to_challenger(&[RawValue::Text(k)]);
            assert!((0..5).all(|_| r.to_challenger(&[RawValue::Text(k)]) == first));
        }
    }

    #[test]
    fn shadow_never_serves_and_full_share_always_does() {
        let keys: Vec<String> = (0..1000).map(|i| format!("c{i}")).collect();
        assert!(keys.iter().all(|k| !route(0.0).to_challenger(&[RawValue::Text(k)])));
        assert!(keys.iter().all(|k| route(1.0).to_challenger(&[RawValue::Text(k)])));
    }

    #[test]
    fn a_new_challenge_draws_a_new_sample() {
        let a = route(0.5);
        let b = Route { deployment_id: 8, ..route(0.5) };
        let keys: Vec<String> = (0..2000).map(|i| i.to_string()).collect();
        let differ = keys
            .iter()
            .filter(|k| a.to_challenger(&[RawValue::Text(k)]) != b.to_challenger(&[RawValue::Text(k)]))
            .count();
        assert!(differ > 800 && differ < 1200, "{differ}");
    }

    #[test]
    fn feature_values_route_without_a_key() {
        let r = Route { key_column: None, ..route(0.5) };
        let rows: Vec<[RawValue<'_>; 2]> =
            (0..2000).map(|i| [RawValue::Number(i as f64), RawValue::Text("rent")]).collect();
        let hits = rows.iter().filter(|v| r.to_challenger(&v[..])).count();
        assert!(hits > 900 && hits < 1100, "{hits}");
    }
}
