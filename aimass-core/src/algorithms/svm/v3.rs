//! Format version 3's types that version 4 changed, frozen: only the SVM. Version 3 stored
//! linfa-svm 0.8's `Svm<f64, Pr>` (with serde's derive, in postcard); these structs mirror its
//! fields in its declaration order, so a version-3 artifact is read without linfa, then upgraded
//! to [`SvmModel`]. Do not edit: this is how the SVMs in customers' databases are laid out.
//! Every other type of version 3 is unchanged in version 4 and read by the current types.

use serde::Deserialize;

use super::model::{Boundary, Kernel};
use super::SvmModel;

/// aimass 0.1–0.3's `SvmModel` (its Platt cache was `#[serde(skip)]`).
#[derive(Deserialize)]
pub(crate) struct SvmV3 {
    n_inputs: usize,
    model: LinfaSvm,
}

/// linfa-svm 0.8.1's `Svm<f64, Pr>`.
#[derive(Deserialize)]
#[allow(dead_code)] // Read to keep the layout; not used.
struct LinfaSvm {
    alpha: Vec<f64>,
    rho: f64,
    r: Option<f64>,
    exit_reason: ExitReason,
    iterations: usize,
    obj: f64,
    kernel_method: KernelMethod,
    sep_hyperplane: SeparatingHyperplane,
    probability_coeffs: Option<(f64, f64)>,
    phantom: std::marker::PhantomData<()>,
}

#[derive(Deserialize)]
enum ExitReason {
    ReachedThreshold,
    ReachedIterations,
}

/// linfa-kernel 0.8.1's `KernelMethod<f64>`.
#[derive(Deserialize)]
enum KernelMethod {
    /// `exp(−‖a − b‖² / eps)`.
    Gaussian(f64),
    Linear,
    /// `(a · b + constant)^degree`.
    Polynomial(f64, f64),
}

/// linfa-svm 0.8.1's `SeparatingHyperplane<f64>` (ndarray's serde form inside).
#[derive(Deserialize)]
enum SeparatingHyperplane {
    Linear(ndarray::Array1<f64>),
    WeightedCombination(ndarray::Array2<f64>),
}

impl SvmV3 {
    /// The same model in version 4's terms. linfa scored with the coefficients α_i y_i whose
    /// magnitude is over 100 ε, zipped with the support vectors (the shorter list decides), and
    /// took Platt's sigmoid in f32: all kept, so the scores do not change. A model without Platt
    /// coefficients gets NaN ones, which validation refuses (linfa panicked at its first score),
    /// as it refuses support vectors of another width than the inputs.
    pub(crate) fn upgrade(self) -> Result<SvmModel, &'static str> {
        let m = self.model;
        let kernel = match m.kernel_method {
            KernelMethod::Gaussian(eps) => Kernel::Rbf { width: eps },
            KernelMethod::Linear => Kernel::Linear,
            KernelMethod::Polynomial(coef0, degree) => Kernel::Polynomial { coef0, degree },
        };
        let boundary = match m.sep_hyperplane {
            SeparatingHyperplane::Linear(w) => Boundary::Linear { weights: w.to_vec() },
            SeparatingHyperplane::WeightedCombination(sv) => {
                let coefficients: Vec<f64> =
                    m.alpha.iter().copied().filter(|a| a.abs() > 100.0 * f64::EPSILON).collect();
                if sv.ncols() != self.n_inputs {
                    return Err("the SVM's support vectors do not have the width of its inputs");
                }
                let kept = coefficients.len().min(sv.nrows());
                let vectors = sv.rows().into_iter().take(kept).flat_map(|r| r.to_vec()).collect();
                Boundary::SupportVectors { vectors, coefficients: coefficients[..kept].to_vec() }
            }
        };
        Ok(SvmModel {
            n_inputs: self.n_inputs,
            kernel,
            boundary,
            rho: m.rho,
            platt: m.probability_coeffs.unwrap_or((f64::NAN, f64::NAN)),
            platt_in_f32: true,
        })
    }
}
