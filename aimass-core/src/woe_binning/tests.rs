use super::*;
use serde_json::json;

/// x uniform 0..1000; bad likelier above 600 and much likelier above 900; 5 % NULL; some -1.
fn data() -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..4000u64 {
        let v = ((i * 7919) % 1000) as f64;
        let h = (i * 2654435761) % 100;
        let p = if v > 900.0 {
            60
        } else if v > 600.0 {
            25
        } else {
            5
        };
        x.push(if i % 20 == 0 {
            f64::NAN
        } else if i % 50 == 1 {
            -1.0
        } else {
            v
        });
        y.push(if h < p { 1.0 } else { 0.0 });
    }
    (x, y)
}

fn ranges(b: &ColumnBinning) -> Vec<&Bin> {
    b.bins.iter().filter(|b| matches!(b.kind, BinKind::Range { .. })).collect()
}

#[test]
fn every_method_respects_max_bins_min_share_and_counts() {
    let (x, y) = data();
    let o = BinningOptions { special_values: vec![-1.0], ..Default::default() };
    for m in [Method::Quantile, Method::EqualWidth, Method::Tree, Method::Chimerge, Method::Monotonic] {
        let b = bin_numeric("x", &x, &y, m, &o).unwrap();
        let r = ranges(&b);
        assert!(r.len() <= 10 && !r.is_empty(), "{m:?}: {} bins", r.len());
        assert!(r.iter().all(|b| b.count as f64 >= 0.05 * 4000.0), "{m:?}: a bin under 5 %");
        assert_eq!(b.bins.iter().map(|b| b.count).sum::<u64>(), 4000);
        assert!(matches!(b.bins[0].kind, BinKind::Special { value } if value == -1.0));
        assert!(matches!(b.bins.last().unwrap().kind, BinKind::Missing));
        assert!((b.iv - b.bins.iter().map(|b| b.iv).sum::<f64>()).abs() < 1e-12);
    }
}

#[test]
fn tree_finds_the_risk_steps() {
    let (x, y) = data();
    let o = BinningOptions { max_bins: 3, ..Default::default() };
    let b = bin_numeric("x", &x, &y, Method::Tree, &o).unwrap();
    let uppers: Vec<f64> = ranges(&b)
        .iter()
        .filter_map(|b| match b.kind {
            BinKind::Range { upper, .. } => upper,
            _ => None,
        })
        .collect();
    assert_eq!(uppers.len(), 2);
    assert!((uppers[0] - 600.0).abs() <= 40.0 && (uppers[1] - 900.0).abs() <= 40.0, "{uppers:?}");
}

#[test]
fn monotonic_bad_rates_and_chimerge_significance() {
    let (x, y) = data();
    let o = BinningOptions::default();
    let b = bin_numeric("x", &x, &y, Method::Monotonic, &o).unwrap();
    let rates: Vec<f64> = ranges(&b).iter().map(|b| b.bad_rate()).collect();
    assert!(rates.windows(2).all(|w| w[1] >= w[0]), "{rates:?}");
    let b = bin_numeric("x", &x, &y, Method::Chimerge, &o).unwrap();
    assert!(ranges(&b).len() >= 2);
}

#[test]
fn user_breaks_and_woe() {
    let (x, y) = data();
    let mut o = BinningOptions::default();
    o.breaks.insert("x".into(), vec![600.0, 900.0]);
    let b = bin_numeric("x", &x, &y, Method::Tree, &o).unwrap();
    let r = ranges(&b);
    assert_eq!(r.len(), 3);
    let tb = b.bins.iter().map(|b| b.bads as f64).sum::<f64>();
    let tg = b.bins.iter().map(|b| b.goods as f64).sum::<f64>();
    let w = ((r[2].bads as f64 / tb) / (r[2].goods as f64 / tg)).ln();
    assert!((r[2].woe - w).abs() < 1e-12);
    assert!(r[2].woe > r[0].woe);
}

#[test]
fn categories_are_grouped_by_bad_rate() {
    let cats = ["a", "b", "c", "d"];
    let mut v = Vec::new();
    let mut y = Vec::new();
    for i in 0..2000usize {
        let c = cats[i % 4];
        v.push(if i % 100 == 7 { None } else { Some(c) });
        let h = (i as u64 * 2654435761) % 100;
        let bad = match c {
            "a" | "b" => h < 10,
            _ => h < 40,
        };
        y.push(bad as u8 as f64);
    }
    let o = BinningOptions { max_bins: 2, ..Default::default() };
    let b = bin_categorical("c", &v, &y, Method::Tree, &o).unwrap();
    let groups: Vec<Vec<String>> = b
        .bins
        .iter()
        .filter_map(|b| match &b.kind {
            BinKind::Categories { values } => Some(values.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(groups, vec![vec!["a".to_owned(), "b".to_owned()], vec!["c".to_owned(), "d".to_owned()]]);
}

#[test]
fn bad_options_and_data_are_errors() {
    for bad in [
        json!({"max_bins": 1}),
        json!({"min_bin_share": 0.9}),
        json!({"min_bin_share": 0.3, "max_bins": 10}),
        json!({"breaks": {"x": [3, 2]}}),
        json!({"breaks": {"x": []}}),
        json!({"special_values": [-1], "breaks": {"x": [-1, 5]}}),
        json!({"special_values": "none"}),
        json!({"bins": 5}),
    ] {
        assert!(BinningOptions::from_json(&bad).is_err(), "{bad}");
    }
    assert!(Method::parse("kmeans").is_err());
    let e = bin_numeric("x", &[1.0, 2.0], &[1.0, 1.0], Method::Tree, &BinningOptions::default()).unwrap_err();
    assert!(e.message.contains("both bad and good"));
    let mut o = BinningOptions::default();
    o.breaks.insert("c".into(), vec![1.0]);
    assert!(bin_categorical("c", &[Some("a")], &[1.0], Method::Tree, &o).is_err());
}
