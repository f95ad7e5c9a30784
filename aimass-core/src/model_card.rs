//! The model card: one self-contained document about one model, for a model risk committee.
//!
//! HTML (inline CSS and SVG charts, no script, no external asset) or markdown. Sections: the
//! model and its project, the training data snapshot, the features with their preprocessing, the
//! hyperparameters, the metrics on train and test, the ROC and KS curves, the lift chart and the
//! calibration plot (binary models, from the curves stored at training), the top features, and
//! the project's deployment history. Every name from the catalog is escaped.

use std::fmt::Write;

use serde_json::Value;

use crate::curves::Curves;
use crate::importance::Importance;

/// One row of a project's deployment history.
pub struct DeploymentEvent {
    pub at: String,
    pub by: String,
    pub model_id: i64,
    pub strategy: String,
    pub role: String,
    pub share: Option<f64>,
}

/// Everything a card shows, read from the catalog.
pub struct Card {
    pub model_id: i64,
    pub project: String,
    pub algorithm: String,
    pub task: String,
    pub created_at: String,
    pub created_by: String,
    /// `aimass.snapshots` as JSON.
    pub snapshot: Value,
    /// `aimass.models.features`: `[{name, type, kind}]`.
    pub features: Value,
    /// `aimass.models.preprocessing`: `{"steps": [{kind: {...}}]}`.
    pub preprocessing: Value,
    pub hyperparams: Value,
    pub target: Value,
    pub metrics: Value,
    pub importance: Option<Importance>,
    pub deployments: Vec<DeploymentEvent>,
    pub generated_at: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "html" => Some(Format::Html),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

pub fn render(card: &Card, format: Format) -> String {
    match format {
        Format::Html => html(card),
        Format::Markdown => markdown(card),
    }
}

/// Metric names in the order a risk analyst reads them; others follow alphabetically.
const METRIC_ORDER: &[&str] = &[
    "rows",
    "auc",
    "gini",
    "ks",
    "log_loss",
    "brier",
    "positive_rate",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "threshold",
    "rmse",
    "mae",
    "r2",
];

fn metric_names(metrics: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for part in ["train", "test"] {
        if let Some(Value::Object(m)) = metrics.get(part) {
            for (k, v) in m {
                if v.is_number() && !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    }
    let rank = |n: &String| METRIC_ORDER.iter().position(|o| o == n).unwrap_or(METRIC_ORDER.len());
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    names
}

fn number(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) => format!("{x:.4}"),
        None => "–".to_owned(),
    }
}

/// A JSON value in one short line: scalars as they are, arrays and objects summarized.
fn short(v: &Value) -> String {
    match v {
        Value::Null => "none".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(_) => number(Some(v)),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => format!("{} values", a.len()),
        Value::Object(o) => format!("{} entries", o.len()),
    }
}

/// Per feature (by name) its preprocessing in one line: "impute=median, fill=46, scaling=standard".
fn preprocessing_of(card: &Card, name: &str) -> String {
    let steps = card.preprocessing.get("steps").and_then(Value::as_array);
    let step = steps.into_iter().flatten().find_map(|s| {
        let (kind, body) = s.as_object()?.iter().next()?;
        (body.get("name").and_then(Value::as_str) == Some(name)).then_some((kind, body))
    });
    let Some((kind, Value::Object(body))) = step else { return String::new() };
    let mut parts = vec![kind.clone()];
    for (k, v) in body {
        if k != "name" && !v.is_null() {
            parts.push(format!("{k}={}", short(v)));
        }
    }
    parts.join(", ")
}

fn snapshot_rows(card: &Card) -> Vec<(&'static str, String)> {
    let s = &card.snapshot;
    let text = |k: &str| s.get(k).map(short).unwrap_or_default();
    vec![
        ("relation", text("relation")),
        ("rows", text("row_count")),
        ("train rows", text("train_rows")),
        ("test rows", text("test_rows")),
        ("split", s.get("split").map(|v| v.to_string()).unwrap_or_default()),
        ("content hash", text("content_hash")),
        ("taken at", text("created_at")),
    ]
}

fn curves(card: &Card) -> Option<Curves> {
    serde_json::from_value(card.metrics.get("curves")?.clone()).ok()
}

type Points = Vec<(f64, f64)>;

/// The KS curve from the ROC points: cumulative bads and goods against the population share,
/// and the KS (the stored metric of those rows; the thinned curve's maximum without one).
fn ks_series(card: &Card, c: &Curves) -> (Points, Points, f64) {
    let share = |p: &[f64; 2]| p[1] * c.positive_rate + p[0] * (1.0 - c.positive_rate);
    let bads = c.roc.iter().map(|p| (share(p), p[1])).collect();
    let goods = c.roc.iter().map(|p| (share(p), p[0])).collect();
    let stored = card.metrics.get(&c.part).and_then(|m| m.get("ks")).and_then(Value::as_f64);
    let ks = stored.unwrap_or_else(|| c.roc.iter().map(|p| p[1] - p[0]).fold(0.0, f64::max));
    (bads, goods, ks)
}

// ---------------------------------------------------------------------------------------------
// HTML

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

struct Line<'a> {
    label: &'a str,
    color: &'a str,
    points: Vec<(f64, f64)>,
    dashed: bool,
    dots: bool,
}

const W: f64 = 360.0;
const H: f64 = 260.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;

/// A line (and optionally bar) chart as an inline SVG, axes from 0 to `x_max` and `y_max`.
fn svg_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    x_max: f64,
    y_max: f64,
    lines: &[Line<'_>],
    bars: &[f64],
) -> String {
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let x = |v: f64| LEFT + (v / x_max).clamp(0.0, 1.0) * pw;
    let y = |v: f64| TOP + ph - (v / y_max).clamp(0.0, 1.0) * ph;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title><rect width="{W}" height="{H}" fill="#fff"/><text x="{cx}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{t}</text>"##,
        t = escape_html(title),
        cx = W / 2.0
    );
    for i in 0..=4 {
        let f = i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{x0}" y1="{yy}" x2="{x1}" y2="{yy}" stroke="#e3e3e3"/><text x="{tx}" y="{ty}" text-anchor="end" font-size="10">{yl}</text><text x="{xx}" y="{bx}" text-anchor="middle" font-size="10">{xl}</text>"##,
            x0 = LEFT,
            x1 = LEFT + pw,
            yy = y(f * y_max),
            tx = LEFT - 4.0,
            ty = y(f * y_max) + 3.0,
            yl = tick(f * y_max),
            xx = x(f * x_max),
            bx = TOP + ph + 14.0,
            xl = tick(f * x_max),
        );
    }
    let _ = write!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#888"/><text x="{cx}" y="{H_}" text-anchor="middle" font-size="11">{xl}</text><text x="12" y="{cy}" text-anchor="middle" font-size="11" transform="rotate(-90 12 {cy})">{yl}</text>"##,
        cx = LEFT + pw / 2.0,
        H_ = H - 6.0,
        cy = TOP + ph / 2.0,
        xl = escape_html(x_label),
        yl = escape_html(y_label),
    );
    if !bars.is_empty() {
        let bw = pw / bars.len() as f64;
        for (i, &b) in bars.iter().enumerate() {
            let _ = write!(
                s,
                r##"<rect x="{bx:.1}" y="{by:.1}" width="{w:.1}" height="{h:.1}" fill="#4c78a8"><title>{lab}: {v:.3}</title></rect>"##,
                bx = LEFT + i as f64 * bw + 2.0,
                by = y(b),
                w = (bw - 4.0).max(1.0),
                h = TOP + ph - y(b),
                lab = i + 1,
                v = b,
            );
        }
    }
    for (k, l) in lines.iter().enumerate() {
        let pts: Vec<String> = l.points.iter().map(|&(a, b)| format!("{:.1},{:.1}", x(a), y(b))).collect();
        let dash = if l.dashed { r#" stroke-dasharray="4 3""# } else { "" };
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"##,
            pts.join(" "),
            l.color
        );
        if l.dots {
            for &(a, b) in &l.points {
                let _ =
                    write!(s, r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"##, x(a), y(b), l.color);
            }
        }
        if !l.label.is_empty() {
            let ly = TOP + 12.0 + k as f64 * 13.0;
            let _ = write!(
                s,
                r##"<line x1="{a}" y1="{ly}" x2="{b}" y2="{ly}" stroke="{c}" stroke-width="2"{dash}/><text x="{t}" y="{ty}" font-size="10">{lab}</text>"##,
                a = LEFT + 8.0,
                b = LEFT + 24.0,
                c = l.color,
                t = LEFT + 28.0,
                ty = ly + 3.0,
                lab = escape_html(l.label),
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn tick(v: f64) -> String {
    if v == 0.0 || v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn charts_html(card: &Card, c: &Curves) -> String {
    let diagonal = |label: &'static str| Line {
        label,
        color: "#999",
        points: vec![(0.0, 0.0), (1.0, 1.0)],
        dashed: true,
        dots: false,
    };
    let roc = svg_chart(
        "ROC curve",
        "false positive rate",
        "true positive rate",
        1.0,
        1.0,
        &[
            Line {
                label: "model",
                color: "#e45756",
                points: c.roc.iter().map(|p| (p[0], p[1])).collect(),
                dashed: false,
                dots: false,
            },
            diagonal("random"),
        ],
        &[],
    );
    let (bads, goods, ks_value) = ks_series(card, c);
    let ks = svg_chart(
        &format!("KS curve (KS = {ks_value:.3})"),
        "share of population, riskiest first",
        "cumulative share",
        1.0,
        1.0,
        &[
            Line { label: "bads", color: "#e45756", points: bads, dashed: false, dots: false },
            Line { label: "goods", color: "#4c78a8", points: goods, dashed: false, dots: false },
        ],
        &[],
    );
    let lifts: Vec<f64> = c.lift.iter().map(|r| r.lift).collect();
    let lift_max = lifts.iter().copied().fold(1.0, f64::max).ceil();
    let lift = svg_chart(
        "Lift by decile",
        "bucket (1 = riskiest)",
        "lift",
        1.0,
        lift_max,
        &[Line { label: "", color: "#999", points: vec![(0.0, 1.0), (1.0, 1.0)], dashed: true, dots: false }],
        &lifts,
    );
    let cal_points: Vec<(f64, f64)> =
        c.calibration.iter().map(|r| (r.mean_predicted, r.observed_rate)).collect();
    let cal_max = cal_points.iter().map(|p| p.0.max(p.1)).fold(0.05, f64::max).min(1.0);
    let calibration = svg_chart(
        "Calibration",
        "mean predicted probability",
        "observed rate",
        cal_max,
        cal_max,
        &[
            Line { label: "model", color: "#e45756", points: cal_points, dashed: false, dots: true },
            Line {
                label: "perfect",
                color: "#999",
                points: vec![(0.0, 0.0), (cal_max, cal_max)],
                dashed: true,
                dots: false,
            },
        ],
        &[],
    );
    format!(
        r#"<h2>Curves</h2><p>On the {} rows ({} rows, positive rate {:.4}).</p><div class="charts">{roc}{ks}{lift}{calibration}</div>"#,
        escape_html(&c.part),
        c.rows,
        c.positive_rate
    )
}

fn table_html(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", escape_html(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", escape_html(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

fn feature_rows(card: &Card) -> Vec<Vec<String>> {
    let importance = |name: &str| {
        card.importance
            .as_ref()
            .and_then(|i| i.features.iter().find(|f| f.0 == name))
            .map(|f| format!("{:.1} %", f.1 * 100.0))
            .unwrap_or_default()
    };
    card.features
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let name = f.get("name").and_then(Value::as_str).unwrap_or_default();
            vec![
                name.to_owned(),
                f.get("type").map(short).unwrap_or_default(),
                f.get("kind").map(short).unwrap_or_default(),
                preprocessing_of(card, name),
                importance(name),
            ]
        })
        .collect()
}

fn top_features(card: &Card, n: usize) -> Vec<(String, f64)> {
    let mut top = card.importance.as_ref().map(|i| i.features.clone()).unwrap_or_default();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    top.truncate(n);
    top
}

fn metrics_rows(card: &Card) -> Vec<Vec<String>> {
    metric_names(&card.metrics)
        .into_iter()
        .map(|m| {
            vec![
                m.clone(),
                number(card.metrics.get("train").and_then(|t| t.get(&m))),
                number(card.metrics.get("test").and_then(|t| t.get(&m))),
            ]
        })
        .collect()
}

fn deployment_rows(card: &Card) -> Vec<Vec<String>> {
    card.deployments
        .iter()
        .map(|d| {
            let this = if d.model_id == card.model_id { " (this model)" } else { "" };
            vec![
                d.at.clone(),
                d.by.clone(),
                format!("{}{this}", d.model_id),
                d.strategy.clone(),
                match d.share {
                    Some(s) => format!("{} (share {s})", d.role),
                    None => d.role.clone(),
                },
            ]
        })
        .collect()
}

fn hyperparam_rows(card: &Card) -> Vec<Vec<String>> {
    match &card.hyperparams {
        Value::Object(o) => o.iter().map(|(k, v)| vec![k.clone(), v.to_string()]).collect(),
        _ => Vec::new(),
    }
}

fn html(card: &Card) -> String {
    let title = format!("Model card: {} / model {}", card.project, card.model_id);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{t}</title><style>
body{{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}th,td{{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}}
th{{background:#f3f3f3}}.charts svg{{margin:0 12px 12px 0;border:1px solid #eee}}.bar{{background:#4c78a8;height:10px;display:inline-block}}
</style></head><body><h1>{t}</h1>"#,
        t = escape_html(&title)
    );
    let model_rows = vec![
        vec!["project".to_owned(), card.project.clone()],
        vec!["model id".to_owned(), card.model_id.to_string()],
        vec!["algorithm".to_owned(), card.algorithm.clone()],
        vec!["task".to_owned(), card.task.clone()],
        vec!["target".to_owned(), card.target.to_string()],
        vec!["trained at".to_owned(), card.created_at.clone()],
        vec!["trained by".to_owned(), card.created_by.clone()],
    ];
    s.push_str("<h2>Model</h2>");
    s.push_str(&table_html(&["", ""], &model_rows));
    s.push_str("<h2>Training data</h2>");
    let snap: Vec<Vec<String>> =
        snapshot_rows(card).into_iter().map(|(k, v)| vec![k.to_owned(), v]).collect();
    s.push_str(&table_html(&["", ""], &snap));
    s.push_str("<h2>Metrics</h2>");
    s.push_str(&table_html(&["metric", "train", "test"], &metrics_rows(card)));
    match curves(card) {
        Some(c) => s.push_str(&charts_html(card, &c)),
        None if card.task == "binary" => s.push_str(
            "<h2>Curves</h2><p>No curves were stored with this model (trained before aimass 0.2).</p>",
        ),
        None => {}
    }
    s.push_str("<h2>Top features</h2>");
    match &card.importance {
        Some(i) => {
            let _ = write!(
                s,
                "<p>Importance by {}, as a share of the total.</p><table><tbody>",
                escape_html(i.method)
            );
            for (name, share) in top_features(card, 10) {
                let _ = write!(
                    s,
                    r#"<tr><td>{}</td><td>{:.1} %</td><td><span class="bar" style="width:{:.0}px"></span></td></tr>"#,
                    escape_html(&name),
                    share * 100.0,
                    share * 300.0
                );
            }
            s.push_str("</tbody></table>");
        }
        None => {
            let _ = write!(
                s,
                "<p>Not available for {} models; use aimass.explain for per-row reason codes.</p>",
                escape_html(&card.algorithm)
            );
        }
    }
    s.push_str("<h2>Features and preprocessing</h2>");
    s.push_str(&table_html(&["feature", "type", "kind", "preprocessing", "importance"], &feature_rows(card)));
    s.push_str("<h2>Hyperparameters</h2>");
    s.push_str(&table_html(&["hyperparameter", "value"], &hyperparam_rows(card)));
    s.push_str("<h2>Deployment history</h2>");
    if card.deployments.is_empty() {
        s.push_str("<p>The project has never been deployed.</p>");
    } else {
        s.push_str(&table_html(&["deployed at", "by", "model", "strategy", "role"], &deployment_rows(card)));
    }
    let _ = write!(
        s,
        "<p><small>Generated by aimass at {}.</small></p></body></html>",
        escape_html(&card.generated_at)
    );
    s
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// Markdown cells: no table breaks, no raw HTML.
fn escape_md(s: &str) -> String {
    s.replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn table_md(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| {} |", head.iter().map(|h| escape_md(h)).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(head.len()));
    for r in rows {
        let _ = writeln!(s, "| {} |", r.iter().map(|c| escape_md(c)).collect::<Vec<_>>().join(" | "));
    }
    s.push('\n');
    s
}

fn markdown(card: &Card) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Model card: {} / model {}\n", escape_md(&card.project), card.model_id);
    let _ = writeln!(
        s,
        "{} {} model, trained by {} at {}. Target: {}.\n",
        escape_md(&card.algorithm),
        escape_md(&card.task),
        escape_md(&card.created_by),
        escape_md(&card.created_at),
        escape_md(&card.target.to_string())
    );
    s.push_str("## Training data\n\n");
    let snap: Vec<Vec<String>> =
        snapshot_rows(card).into_iter().map(|(k, v)| vec![k.to_owned(), v]).collect();
    s.push_str(&table_md(&["", ""], &snap));
    s.push_str("## Metrics\n\n");
    s.push_str(&table_md(&["metric", "train", "test"], &metrics_rows(card)));
    if let Some(c) = curves(card) {
        let (_, _, ks) = ks_series(card, &c);
        let _ = writeln!(
            s,
            "## Lift and calibration\n\nOn the {} rows ({} rows, positive rate {:.4}, KS {ks:.4}).\n",
            escape_md(&c.part),
            c.rows,
            c.positive_rate
        );
        let lift: Vec<Vec<String>> = c
            .lift
            .iter()
            .map(|l| {
                vec![
                    l.bucket.to_string(),
                    l.rows.to_string(),
                    format!("{:.4}", l.bad_rate),
                    format!("{:.2}", l.lift),
                    format!("{:.4}", l.capture_rate),
                    format!("{:.4}", l.ks),
                ]
            })
            .collect();
        s.push_str(&table_md(&["bucket", "rows", "bad rate", "lift", "captured", "ks"], &lift));
        let cal: Vec<Vec<String>> = c
            .calibration
            .iter()
            .map(|r| {
                vec![
                    r.bucket.to_string(),
                    format!("{:.4}", r.mean_predicted),
                    format!("{:.4}", r.observed_rate),
                ]
            })
            .collect();
        s.push_str(&table_md(&["bucket", "mean predicted", "observed"], &cal));
    }
    s.push_str("## Top features\n\n");
    match &card.importance {
        Some(i) => {
            let _ = writeln!(s, "Importance by {}, as a share of the total.\n", i.method);
            let rows: Vec<Vec<String>> = top_features(card, 10)
                .into_iter()
                .map(|(n, v)| vec![n, format!("{:.1} %", v * 100.0)])
                .collect();
            s.push_str(&table_md(&["feature", "importance"], &rows));
        }
        None => {
            let _ = writeln!(s, "Not available for {} models.\n", escape_md(&card.algorithm));
        }
    }
    s.push_str("## Features and preprocessing\n\n");
    s.push_str(&table_md(&["feature", "type", "kind", "preprocessing", "importance"], &feature_rows(card)));
    s.push_str("## Hyperparameters\n\n");
    s.push_str(&table_md(&["hyperparameter", "value"], &hyperparam_rows(card)));
    s.push_str("## Deployment history\n\n");
    if card.deployments.is_empty() {
        s.push_str("The project has never been deployed.\n\n");
    } else {
        s.push_str(&table_md(&["deployed at", "by", "model", "strategy", "role"], &deployment_rows(card)));
    }
    let _ = writeln!(s, "_Generated by aimass at {}._", escape_md(&card.generated_at));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curves::summary;
    use serde_json::json;

    fn card(project: &str) -> Card {
        let scores: Vec<f64> = (0..200).map(|i| i as f64 / 200.0).collect();
        let labels: Vec<bool> = (0..200).map(|i| i % 3 == 0 || i > 150).collect();
        Card {
            model_id: 7,
            project: project.to_owned(),
            algorithm: "logistic".into(),
            task: "binary".into(),
            created_at: "2026-11-28 10:00:00+00".into(),
            created_by: "analyst".into(),
            snapshot: json!({"relation": "credit", "row_count": 200, "content_hash": "abc"}),
            features: json!([{"name": "age", "type": "integer", "kind": "numeric"}]),
            preprocessing: json!({"steps": [{"numeric": {"name": "age", "impute": "median", "fill": 46.0}}]}),
            hyperparams: json!({"c": 1.0}),
            target: json!({"name": "bad", "positive": "true"}),
            metrics: json!({"train": {"auc": 0.8, "rows": 150}, "test": {"auc": 0.75, "rows": 50},
                            "curves": serde_json::to_value(summary("test", &scores, &labels, 101)).unwrap()}),
            importance: Some(Importance {
                method: "absolute coefficient",
                features: vec![("age".into(), 1.0)],
            }),
            deployments: vec![DeploymentEvent {
                at: "2026-11-28".into(),
                by: "admin".into(),
                model_id: 7,
                strategy: "best_score".into(),
                role: "champion".into(),
                share: None,
            }],
            generated_at: "now".into(),
        }
    }

    #[test]
    fn html_is_self_contained_with_four_charts() {
        let h = render(&card("credit"), Format::Html);
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert_eq!(h.matches("<svg").count(), 4);
        assert!(!h.contains("<script") && !h.contains("src=") && !h.contains("href="));
        assert!(h.contains("<td>0.7500</td>") && h.contains("impute=median") && h.contains("(this model)"));
    }

    #[test]
    fn names_are_escaped() {
        let h = render(&card("<script>alert('x')</script>"), Format::Html);
        assert!(!h.contains("<script>"));
        assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        let m = render(&card("a | b"), Format::Markdown);
        assert!(m.contains("# Model card: a \\| b / model 7"));
        let m = render(&card("<b>x</b>"), Format::Markdown);
        assert!(m.contains("# Model card: &lt;b&gt;x&lt;/b&gt; / model 7"));
    }

    #[test]
    fn markdown_has_the_sections() {
        let m = render(&card("credit"), Format::Markdown);
        for section in [
            "## Training data",
            "## Metrics",
            "## Lift and calibration",
            "## Top features",
            "## Deployment history",
        ] {
            assert!(m.contains(section), "{section}");
        }
        assert!(m.contains("| auc | 0.8000 | 0.7500 |"));
    }
}
