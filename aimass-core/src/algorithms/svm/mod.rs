//! `svm`: a support vector classifier with Platt-scaled probabilities, for small data: the
//! solver ([`smo`], aimass's own) works on the whole kernel matrix, so training rows are limited.
//!
//! | name | default | range | purpose |
//! |---|---|---|---|
//! | kernel | "rbf" | "rbf", "linear", "polynomial" | kernel |
//! | gamma | "scale" | "scale" or > 0 | rbf: `exp(−gamma·‖x − y‖²)`; "scale" is 1 / (inputs · variance of the inputs), as scikit-learn |
//! | degree, coef0 | 3, 1 | | polynomial kernel `(x·y + coef0)^degree` |

pub mod model;
mod platt;
mod smo;
mod v3;

use ndarray::{Array1, Array2};
use serde_json::{json, Value};

use model::Boundary;
pub use model::SvmModel;

use super::{Algorithm, FitContext, FittedModel};
use crate::error::{AimassError, ErrorKind, Result};
use crate::json_options::{Options, Param};

pub const NAME: &str = "svm";

#[derive(Debug, Clone, PartialEq)]
enum KernelChoice {
    Rbf(Option<f64>),
    Linear,
    Polynomial { degree: f64, coef0: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Svm {
    kernel: KernelChoice,
    c: f64,
    eps: f64,
    max_rows: usize,
}

const C: Param = Param::number("c", 1e-9, 1e6, 1.0, "Penalty of margin violations (both classes).");
const EPS: Param = Param::number("eps", 1e-12, 1.0, 1e-3, "Solver tolerance.");
const MAX_ROWS: Param = Param::integer(
    "max_rows",
    10,
    20_000,
    5000,
    "Refuse larger training sets (the kernel matrix is rows² numbers).",
);
const KERNEL: Param = Param::choice("kernel", &["rbf", "linear", "polynomial"], "rbf", "The kernel.");
const GAMMA: Param = Param::shaped(
    "gamma",
    "text or number",
    "scale, > 0",
    "\"scale\"",
    "rbf kernel width; scale: 1 / (inputs × their variance), as scikit-learn's.",
);
const DEGREE: Param = Param::number("degree", 1.0, 10.0, 3.0, "polynomial kernel: the degree.");
const COEF0: Param = Param::number("coef0", -1e6, 1e6, 1.0, "polynomial kernel: the constant term.");
pub const PARAMS: &[Param] = &[KERNEL, GAMMA, DEGREE, COEF0, C, EPS, MAX_ROWS];

impl Svm {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let kernel_name = o.choice(&KERNEL)?;
        let gamma = match o.shaped(&GAMMA) {
            Value::String(s) if s == "scale" => None,
            v => match v.as_f64() {
                Some(g) if g > 0.0 && g.is_finite() => Some(g),
                _ => {
                    return Err(AimassError::invalid_parameter(format!(
                        "hyperparams \"gamma\" must be \"scale\" or a positive number, not {v}"
                    )))
                }
            },
        };
        let degree = o.num(&DEGREE)?;
        let coef0 = o.num(&COEF0)?;
        let kernel = match kernel_name {
            "linear" => KernelChoice::Linear,
            "polynomial" => KernelChoice::Polynomial { degree, coef0 },
            _ => KernelChoice::Rbf(gamma),
        };
        let p = Self { kernel, c: o.num(&C)?, eps: o.num(&EPS)?, max_rows: o.int(&MAX_ROWS)? as usize };
        o.finish()?;
        Ok(p)
    }
}

impl Algorithm for Svm {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        let mut h = json!({"c": self.c, "eps": self.eps, "max_rows": self.max_rows});
        match &self.kernel {
            KernelChoice::Rbf(g) => {
                h["kernel"] = json!("rbf");
                h["gamma"] = g.map_or(json!("scale"), |g| json!(g));
            }
            KernelChoice::Linear => h["kernel"] = json!("linear"),
            KernelChoice::Polynomial { degree, coef0 } => {
                h["kernel"] = json!("polynomial");
                h["degree"] = json!(degree);
                h["coef0"] = json!(coef0);
            }
        }
        h
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, _ctx: &FitContext<'_>) -> Result<FittedModel> {
        if x.nrows() > self.max_rows {
            return Err(AimassError::new(
                ErrorKind::LimitExceeded,
                format!("svm trains on at most {} rows; the training rows are {}", self.max_rows, x.nrows()),
            )
            .with_hint(
                "Raise hyperparams max_rows (up to 20000), sample the table, or use gradient_boosting.",
            ));
        }
        let positive: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
        let kernel = match &self.kernel {
            KernelChoice::Rbf(g) => {
                let gamma = g.unwrap_or_else(|| {
                    let var = x.var(0.0);
                    1.0 / (x.ncols() as f64 * if var > 0.0 { var } else { 1.0 })
                });
                model::Kernel::Rbf { width: 1.0 / gamma }
            }
            KernelChoice::Linear => model::Kernel::Linear,
            KernelChoice::Polynomial { degree, coef0 } => {
                model::Kernel::Polynomial { coef0: *coef0, degree: *degree }
            }
        };
        let x = x.as_standard_layout();
        let k = smo::kernel_matrix(x.view(), &kernel)?;
        let solution = smo::solve(&k, &positive, &vec![self.c; positive.len()], self.eps)?;
        drop(k);
        // α_i y_i of the support vectors (linfa's threshold for "a support vector" kept).
        let signed: Vec<f64> =
            solution.alpha.iter().zip(&positive).map(|(&a, &p)| if p { a } else { -a }).collect();
        let support: Vec<usize> =
            (0..signed.len()).filter(|&i| signed[i].abs() > 100.0 * f64::EPSILON).collect();
        let boundary = if kernel == model::Kernel::Linear {
            let mut weights = vec![0.0; x.ncols()];
            for &i in &support {
                for (w, v) in weights.iter_mut().zip(x.row(i)) {
                    *w += signed[i] * v;
                }
            }
            Boundary::Linear { weights }
        } else {
            Boundary::SupportVectors {
                vectors: support.iter().flat_map(|&i| x.row(i).to_vec()).collect(),
                coefficients: support.iter().map(|&i| signed[i]).collect(),
            }
        };
        let mut model = SvmModel {
            n_inputs: x.ncols(),
            kernel,
            boundary,
            rho: solution.rho,
            platt: (0.0, 0.0),
            platt_in_f32: false,
        };
        // Platt's sigmoid on the training rows' decision values, as libsvm without its internal
        // cross-validation (and linfa) do.
        let mut decisions = Vec::with_capacity(x.nrows());
        for (r, row) in x.rows().into_iter().enumerate() {
            if r % 256 == 0 {
                crate::interrupt::check()?;
            }
            decisions.push(model.decision(row.to_slice().expect("a standard-layout matrix")));
        }
        model.platt = platt::fit(&decisions, &positive)?;
        Ok(FittedModel::Svm(Box::new(model)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc_ks;
    use crate::preprocess::Recipe;
    use crate::split::SplitMix64;

    #[test]
    fn separates_a_ring_with_probabilities() {
        let mut rng = SplitMix64::new(4);
        let x = Array2::from_shape_fn((400, 2), |_| rng.below(4000) as f64 / 1000.0 - 2.0);
        let y =
            Array1::from_iter(x.rows().into_iter().map(|r| ((r[0] * r[0] + r[1] * r[1]) < 1.0) as u8 as f64));
        let recipe = Recipe { steps: vec![] };
        let FittedModel::Svm(m) =
            Svm::from_json(&json!({})).unwrap().fit(&x, &y, &FitContext::new(&recipe)).unwrap()
        else {
            panic!()
        };
        let p: Vec<f64> = x.rows().into_iter().map(|r| m.predict(r.as_slice().unwrap())).collect();
        assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
        assert!(auc_ks(&p, y.as_slice().unwrap()).0 > 0.95);
        assert!(m.is_consistent());
        assert!(m.predict(&[f64::INFINITY, 0.0]).is_finite() || m.predict(&[f64::INFINITY, 0.0]).is_nan());
        assert!(m.predict(&[f64::NAN, 0.0]).is_nan());
        let wrong_width = SvmModel { n_inputs: 3, ..(*m).clone() };
        assert!(!wrong_width.is_consistent());
        let no_platt = SvmModel { platt: (f64::NAN, 0.0), ..(*m).clone() };
        assert!(!no_platt.is_consistent());
        assert!(Svm::from_json(&json!({"max_rows": 100}))
            .unwrap()
            .fit(&x, &y, &FitContext::new(&recipe))
            .is_err());
    }
}
