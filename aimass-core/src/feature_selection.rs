//! Feature selection for scorecards (`aimass.select_features`), as risk teams do it with toad:
//! drop columns with too many NULLs, then those with too little information value, then of each
//! highly correlated pair of numeric columns the one with the lower IV.

/// What selection knows of one candidate column.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub name: String,
    pub iv: f64,
    pub missing_fraction: f64,
    /// Numeric values (NaN = NULL) for correlations; `None` for text columns.
    pub values: Option<Vec<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub name: String,
    pub kept: bool,
    pub reason: String,
    pub iv: f64,
    pub missing_fraction: f64,
    pub correlated_with: Option<String>,
    pub correlation: Option<f64>,
}

/// Pearson correlation over the rows where both are present; NaN when undefined.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> =
        a.iter().zip(b).filter(|(x, y)| !x.is_nan() && !y.is_nan()).map(|(x, y)| (*x, *y)).collect();
    let n = pairs.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (ma, mb) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    sab / (saa * sbb).sqrt()
}

/// Decides on every candidate, in the order given.
pub fn select(
    candidates: &[Candidate],
    min_iv: f64,
    max_missing: f64,
    max_correlation: f64,
) -> Vec<Decision> {
    let mut out: Vec<Decision> = candidates
        .iter()
        .map(|c| Decision {
            name: c.name.clone(),
            kept: true,
            reason: "kept".into(),
            iv: c.iv,
            missing_fraction: c.missing_fraction,
            correlated_with: None,
            correlation: None,
        })
        .collect();
    for d in &mut out {
        if d.missing_fraction > max_missing {
            d.kept = false;
            d.reason = format!("missing fraction {:.4} exceeds {max_missing}", d.missing_fraction);
        } else if d.iv.is_nan() || d.iv < min_iv {
            d.kept = false;
            d.reason = format!("IV {:.4} is below {min_iv}", d.iv);
        }
    }
    // Correlation: strongest IV first; a column correlated with a kept one of higher IV goes.
    let mut order: Vec<usize> =
        (0..candidates.len()).filter(|&i| out[i].kept && candidates[i].values.is_some()).collect();
    order.sort_by(|&a, &b| candidates[b].iv.total_cmp(&candidates[a].iv).then(a.cmp(&b)));
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        let vi = candidates[i].values.as_deref().unwrap_or_default();
        let clash = kept.iter().find_map(|&k| {
            let r = pearson(vi, candidates[k].values.as_deref().unwrap_or_default());
            (r.abs() > max_correlation).then_some((k, r))
        });
        match clash {
            Some((k, r)) => {
                let d = &mut out[i];
                d.kept = false;
                d.reason =
                    format!("correlation {r:.4} with \"{}\", which has a higher IV", candidates[k].name);
                d.correlated_with = Some(candidates[k].name.clone());
                d.correlation = Some(r);
            }
            None => kept.push(i),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, iv: f64, missing: f64, values: Option<Vec<f64>>) -> Candidate {
        Candidate { name: name.into(), iv, missing_fraction: missing, values }
    }

    #[test]
    fn rules_apply_in_order() {
        let x: Vec<f64> = (0..100).map(f64::from).collect();
        let x2: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
        let z: Vec<f64> = x.iter().map(|v| ((v * 7.0) % 13.0) - 6.0).collect();
        let d = select(
            &[
                c("a", 0.30, 0.0, Some(x.clone())),
                c("b", 0.40, 0.0, Some(x2)),
                c("c", 0.01, 0.0, Some(z.clone())),
                c("d", 0.50, 0.99, Some(z.clone())),
                c("e", 0.20, 0.1, Some(z)),
                c("t", 0.25, 0.0, None),
            ],
            0.02,
            0.95,
            0.7,
        );
        let kept: Vec<&str> = d.iter().filter(|d| d.kept).map(|d| d.name.as_str()).collect();
        assert_eq!(kept, ["b", "e", "t"]);
        assert_eq!(d[0].correlated_with.as_deref(), Some("b"));
        assert!((d[0].correlation.unwrap() - 1.0).abs() < 1e-12);
        assert!(d[2].reason.contains("IV"));
        assert!(d[3].reason.contains("missing"));
    }
}
