//! `mlp`: a dense neural net trained with candle (CPU): inputs → 64 → 32 → 1 by default, each
//! hidden layer linear → batch norm → ReLU → dropout, AdamW on the binary cross-entropy of the
//! logits (squared error for regression), early stopping on the loss of a validation part of the
//! training rows, and the best epoch's weights kept.
//!
//! Deterministic under `seed`: initial weights (Kaiming uniform), mini-batch order and dropout
//! masks come from our own generator, not candle's. The fitted net is stored as plain weights with
//! each batch norm folded into a per-unit scale and shift, so scoring a row needs no candle and no
//! allocation beyond two small buffers.
//!
//! | name | default | range | purpose |
//! |---|---|---|---|
//! | hidden | [64, 32] | 1 – 4 layers of 1 – 1024 units | hidden layer sizes |
//! | batch_norm | true | | batch normalization after each hidden linear layer |
//!
//! Sample weights (`weight_column`) weight each row's loss.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Algorithm, FitContext, FittedModel, Progress};
use crate::error::{AimassError, Result};
use crate::json_options::{Options, Param};
use crate::split::{self, SplitMix64};
use crate::task::Task;

pub const NAME: &str = "mlp";
const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f64 = 0.1;

/// One fitted dense layer: `out = scale ⊙ (W x + b) + shift`, then ReLU unless it is the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    /// Row-major `outputs × inputs`.
    pub weights: Vec<f64>,
    pub bias: Vec<f64>,
    /// Batch norm folded in (empty when none).
    pub scale: Vec<f64>,
    pub shift: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpModel {
    pub layers: Vec<Dense>,
    pub binary: bool,
    /// Regression nets learn the standardized target: prediction = center + scale · output.
    pub target_center: f64,
    pub target_scale: f64,
}

impl MlpModel {
    /// The output before the link: log-odds for binary models.
    pub fn raw(&self, x: &[f64]) -> f64 {
        let mut a: Vec<f64> = x.to_vec();
        let last = self.layers.len() - 1;
        for (k, l) in self.layers.iter().enumerate() {
            let mut out = Vec::with_capacity(l.outputs);
            for o in 0..l.outputs {
                let w = &l.weights[o * l.inputs..(o + 1) * l.inputs];
                let mut z = l.bias[o] + w.iter().zip(&a).map(|(w, x)| w * x).sum::<f64>();
                if !l.scale.is_empty() {
                    z = l.scale[o] * z + l.shift[o];
                }
                out.push(if k < last { z.max(0.0) } else { z });
            }
            a = out;
        }
        self.target_center + self.target_scale * a[0]
    }

    pub fn predict(&self, x: &[f64]) -> f64 {
        let z = self.raw(x);
        if self.binary {
            super::linear_model::sigmoid(z)
        } else {
            z
        }
    }

    pub fn n_inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    pub fn validate(&self) -> bool {
        !self.layers.is_empty()
            && self.layers.last().is_some_and(|l| l.outputs == 1)
            && self.layers.windows(2).all(|w| w[0].outputs == w[1].inputs)
            && self.layers.iter().all(|l| {
                l.weights.len() == l.inputs * l.outputs
                    && l.bias.len() == l.outputs
                    && l.scale.len() == l.shift.len()
                    && (l.scale.is_empty() || l.scale.len() == l.outputs)
            })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    pub task: Task,
    pub hidden: Vec<usize>,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub dropout: f64,
    pub batch_norm: bool,
    pub patience: usize,
    pub validation_fraction: f64,
    pub seed: u64,
}

const EPOCHS: Param = Param::integer("epochs", 1, 10_000, 200, "Most passes over the training rows.");
const BATCH_SIZE: Param = Param::integer("batch_size", 1, 65_536, 256, "Rows per step.");
const LEARNING_RATE: Param = Param::number("learning_rate", 1e-9, 1.0, 1e-3, "AdamW step.");
const WEIGHT_DECAY: Param = Param::number("weight_decay", 0.0, 10.0, 1e-2, "AdamW decoupled weight decay.");
const DROPOUT: Param =
    Param::number("dropout", 0.0, 0.9, 0.5, "Share of hidden units dropped while training.");
const PATIENCE: Param =
    Param::integer("patience", 1, 1000, 10, "Epochs without a better validation loss before stopping.");
const VALIDATION_FRACTION: Param = Param::number(
    "validation_fraction",
    1e-6,
    0.5,
    0.1,
    "Training rows held out (stratified) for early stopping.",
);
const SEED: Param =
    Param::integer("seed", i64::MIN, i64::MAX, 42, "Weights, batches, dropout and the validation rows.");
const HIDDEN: Param = Param::shaped(
    "hidden",
    "integer list",
    "1 – 4 sizes of 1 – 1024",
    "[64, 32]",
    "Units of each hidden layer.",
);
const BATCH_NORM: Param = Param::boolean("batch_norm", true, "Batch normalisation after each hidden layer.");
pub const PARAMS: &[Param] = &[
    HIDDEN,
    EPOCHS,
    BATCH_SIZE,
    LEARNING_RATE,
    WEIGHT_DECAY,
    DROPOUT,
    BATCH_NORM,
    PATIENCE,
    VALIDATION_FRACTION,
    SEED,
];

impl Mlp {
    pub fn from_json(value: &Value, task: Task) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let hidden = match o.shaped(&HIDDEN) {
            Value::Array(a) if (1..=4).contains(&a.len()) => a
                .iter()
                .map(|v| match v.as_u64() {
                    Some(n @ 1..=1024) => Ok(n as usize),
                    _ => Err(AimassError::invalid_parameter(format!(
                        "hyperparams \"hidden\" sizes must be 1 – 1024, not {v}"
                    ))),
                })
                .collect::<Result<_>>()?,
            v => {
                return Err(AimassError::invalid_parameter(format!(
                    "hyperparams \"hidden\" must list 1 – 4 layer sizes, not {v}"
                )))
            }
        };
        let p = Self {
            task,
            hidden,
            epochs: o.int(&EPOCHS)? as usize,
            batch_size: o.int(&BATCH_SIZE)? as usize,
            learning_rate: o.num(&LEARNING_RATE)?,
            weight_decay: o.num(&WEIGHT_DECAY)?,
            dropout: o.num(&DROPOUT)?,
            batch_norm: o.flag(&BATCH_NORM)?,
            patience: o.int(&PATIENCE)? as usize,
            validation_fraction: o.num(&VALIDATION_FRACTION)?,
            seed: o.int(&SEED)? as u64,
        };
        o.finish()?;
        Ok(p)
    }
}

fn candle_error(e: candle_core::Error) -> AimassError {
    AimassError::internal(format!("neural net training failed: {e}"))
}

fn unit(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// The trainable tensors of one layer.
struct Layer {
    w: Var,
    b: Var,
    /// Batch norm: learned scale and shift, and the running mean and variance.
    bn: Option<(Var, Var, Vec<f64>, Vec<f64>)>,
}

struct Net {
    layers: Vec<Layer>,
    dropout: f64,
}

impl Net {
    fn new(
        sizes: &[usize],
        batch_norm: bool,
        dropout: f64,
        rng: &mut SplitMix64,
    ) -> candle_core::Result<Net> {
        let dev = Device::Cpu;
        let mut layers = Vec::new();
        for (k, w) in sizes.windows(2).enumerate() {
            let (inputs, outputs) = (w[0], w[1]);
            // Kaiming uniform, as torch.nn.Linear: U(−1/√in, 1/√in) for weights and bias.
            let bound = 1.0 / (inputs as f64).sqrt();
            let mut draw =
                |n: usize| -> Vec<f32> { (0..n).map(|_| ((2.0 * unit(rng) - 1.0) * bound) as f32).collect() };
            let wt = Tensor::from_vec(draw(inputs * outputs), (outputs, inputs), &dev)?;
            let bt = Tensor::from_vec(draw(outputs), outputs, &dev)?;
            let hidden = k + 2 < sizes.len();
            let bn = if hidden && batch_norm {
                Some((
                    Var::from_tensor(&Tensor::ones(outputs, DType::F32, &dev)?)?,
                    Var::from_tensor(&Tensor::zeros(outputs, DType::F32, &dev)?)?,
                    vec![0.0; outputs],
                    vec![1.0; outputs],
                ))
            } else {
                None
            };
            layers.push(Layer { w: Var::from_tensor(&wt)?, b: Var::from_tensor(&bt)?, bn });
        }
        Ok(Net { layers, dropout })
    }

    fn vars(&self) -> Vec<Var> {
        let mut v = Vec::new();
        for l in &self.layers {
            v.push(l.w.clone());
            v.push(l.b.clone());
            if let Some((g, b, _, _)) = &l.bn {
                v.push(g.clone());
                v.push(b.clone());
            }
        }
        v
    }

    /// Forward pass; in training, batch statistics, running averages and dropout masks.
    fn forward(&mut self, x: &Tensor, train: bool, rng: &mut SplitMix64) -> candle_core::Result<Tensor> {
        let mut a = x.clone();
        let last = self.layers.len() - 1;
        let dropout = self.dropout;
        for (k, l) in self.layers.iter_mut().enumerate() {
            let mut z = a.matmul(&l.w.as_tensor().t()?)?.broadcast_add(l.b.as_tensor())?;
            if let Some((gamma, beta, mean, var)) = &mut l.bn {
                let (m, v) = if train {
                    let m = z.mean_keepdim(0)?;
                    let v = z.broadcast_sub(&m)?.sqr()?.mean_keepdim(0)?;
                    let (mv, vv) = (m.flatten_all()?.to_vec1::<f32>()?, v.flatten_all()?.to_vec1::<f32>()?);
                    let n = z.dim(0)? as f64;
                    for (i, (a, b)) in mv.iter().zip(&vv).enumerate() {
                        mean[i] = (1.0 - BN_MOMENTUM) * mean[i] + BN_MOMENTUM * *a as f64;
                        // Running variance unbiased, as torch.
                        let unbiased = if n > 1.0 { *b as f64 * n / (n - 1.0) } else { *b as f64 };
                        var[i] = (1.0 - BN_MOMENTUM) * var[i] + BN_MOMENTUM * unbiased;
                    }
                    (m, v)
                } else {
                    let dev = z.device().clone();
                    let f = |v: &Vec<f64>| {
                        Tensor::from_vec(v.iter().map(|&x| x as f32).collect::<Vec<_>>(), (1, v.len()), &dev)
                    };
                    (f(mean)?, f(var)?)
                };
                z = z
                    .broadcast_sub(&m)?
                    .broadcast_div(&(v + BN_EPS)?.sqrt()?)?
                    .broadcast_mul(gamma.as_tensor())?
                    .broadcast_add(beta.as_tensor())?;
            }
            if k < last {
                z = z.relu()?;
                if train && dropout > 0.0 {
                    let (rows, cols) = z.dims2()?;
                    let keep = 1.0 / (1.0 - dropout);
                    let mask: Vec<f32> = (0..rows * cols)
                        .map(|_| if unit(rng) < dropout { 0.0 } else { keep as f32 })
                        .collect();
                    let mask = Tensor::from_vec(mask, (rows, cols), z.device())?;
                    z = (z * mask)?;
                }
            }
            a = z;
        }
        a.squeeze(1)
    }

    /// The fitted layers, batch norm folded into scale and shift.
    fn export(&self, binary: bool, target: (f64, f64)) -> candle_core::Result<MlpModel> {
        let mut layers = Vec::new();
        for l in &self.layers {
            let w = l.w.as_tensor().to_vec2::<f32>()?;
            let (outputs, inputs) = (w.len(), w.first().map_or(0, Vec::len));
            let (scale, shift) = match &l.bn {
                Some((g, b, mean, var)) => {
                    let (g, b) = (g.as_tensor().to_vec1::<f32>()?, b.as_tensor().to_vec1::<f32>()?);
                    let scale: Vec<f64> =
                        (0..outputs).map(|i| g[i] as f64 / (var[i] + BN_EPS).sqrt()).collect();
                    let shift: Vec<f64> = (0..outputs).map(|i| b[i] as f64 - scale[i] * mean[i]).collect();
                    (scale, shift)
                }
                None => (Vec::new(), Vec::new()),
            };
            layers.push(Dense {
                inputs,
                outputs,
                weights: w.into_iter().flatten().map(f64::from).collect(),
                bias: l.b.as_tensor().to_vec1::<f32>()?.into_iter().map(f64::from).collect(),
                scale,
                shift,
            });
        }
        Ok(MlpModel { layers, binary, target_center: target.0, target_scale: target.1 })
    }
}

/// Weighted mean loss of logits `z` against `y`: binary cross-entropy in its stable form
/// `max(z, 0) − z·y + ln(1 + e^(−|z|))`, or the squared error.
fn loss(z: &Tensor, y: &Tensor, w: &Tensor, binary: bool) -> candle_core::Result<Tensor> {
    let l = if binary {
        ((z.relu()? - (z * y)?)? + ((z.abs()?.neg()?.exp()? + 1.0)?.log()?))?
    } else {
        (z - y)?.sqr()?
    };
    (l * w)?.sum_all()? / w.sum_all()?.to_scalar::<f32>()? as f64
}

fn gather(v: &[f32], rows: &[usize]) -> candle_core::Result<Tensor> {
    Tensor::from_vec(rows.iter().map(|&i| v[i]).collect::<Vec<_>>(), rows.len(), &Device::Cpu)
}

fn rows_tensor(x: &[f32], width: usize, rows: &[usize]) -> candle_core::Result<Tensor> {
    let mut v = Vec::with_capacity(rows.len() * width);
    for &r in rows {
        v.extend_from_slice(&x[r * width..(r + 1) * width]);
    }
    Tensor::from_vec(v, (rows.len(), width), &Device::Cpu)
}

impl Mlp {
    fn train(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<MlpModel> {
        let (n, width) = x.dim();
        let binary = self.task == Task::Binary;
        let yv = y.as_slice().unwrap_or_default();
        let held = if binary {
            split::stratified(yv, self.validation_fraction, self.seed)
        } else {
            split::random(n, self.validation_fraction, self.seed)
        };
        let (fit_rows, val_rows): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| !held[i]);
        if fit_rows.is_empty() || val_rows.is_empty() {
            return Err(AimassError::data("too few rows to hold out a validation part for the neural net"));
        }
        let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        // Regression learns the standardized target.
        let target = if binary {
            (0.0, 1.0)
        } else {
            let m = yv.iter().sum::<f64>() / n as f64;
            let sd = (yv.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n as f64).sqrt();
            (m, if sd > 0.0 { sd } else { 1.0 })
        };
        let yf: Vec<f32> = yv.iter().map(|&v| ((v - target.0) / target.1) as f32).collect();
        let wf: Vec<f32> = ctx.row_weights(n).into_iter().map(|w| w as f32).collect();
        if val_rows.iter().all(|&i| wf[i] == 0.0) {
            return Err(AimassError::data("the validation rows of the neural net all weigh 0"));
        }
        let run = || -> candle_core::Result<std::result::Result<MlpModel, AimassError>> {
            let mut rng = SplitMix64::new(self.seed);
            let mut sizes = vec![width];
            sizes.extend(&self.hidden);
            sizes.push(1);
            let mut net = Net::new(&sizes, self.batch_norm, self.dropout, &mut rng)?;
            let params =
                ParamsAdamW { lr: self.learning_rate, weight_decay: self.weight_decay, ..Default::default() };
            let mut opt = AdamW::new(net.vars(), params)?;
            let xv = rows_tensor(&xf, width, &val_rows)?;
            let (yv, wv) = (gather(&yf, &val_rows)?, gather(&wf, &val_rows)?);
            let mut order = fit_rows.clone();
            let mut best: Option<(f64, usize, MlpModel)> = None;
            for epoch in 0..self.epochs {
                rng.shuffle(&mut order);
                for batch in order.chunks(self.batch_size) {
                    if let Err(e) = crate::interrupt::check() {
                        return Ok(Err(e));
                    }
                    // Batch norm needs two rows to estimate a variance.
                    if batch.len() < 2 && self.batch_norm {
                        continue;
                    }
                    let xb = rows_tensor(&xf, width, batch)?;
                    if batch.iter().all(|&i| wf[i] == 0.0) {
                        continue;
                    }
                    let (yb, wb) = (gather(&yf, batch)?, gather(&wf, batch)?);
                    let z = net.forward(&xb, true, &mut rng)?;
                    opt.backward_step(&loss(&z, &yb, &wb, binary)?)?;
                }
                let val =
                    loss(&net.forward(&xv, false, &mut rng)?, &yv, &wv, binary)?.to_scalar::<f32>()? as f64;
                if !val.is_finite() {
                    return Ok(Err(AimassError::data(
                        "the neural net diverged (non-finite validation loss)",
                    )
                    .with_hint("Lower learning_rate or check the features for extreme values.")));
                }
                if best.as_ref().is_none_or(|b| val < b.0) {
                    best = Some((val, epoch, net.export(binary, target)?));
                }
                let b = best.as_ref().map(|b| (b.0, b.1)).unwrap_or((val, epoch));
                let p = Progress {
                    stage: NAME,
                    round: epoch + 1,
                    total: self.epochs,
                    metric: if binary { "validation log loss" } else { "validation MSE" },
                    score: Some(val),
                    best: Some(b.0),
                };
                if let Err(e) = (ctx.on_round)(&p) {
                    return Ok(Err(e));
                }
                if epoch - b.1 >= self.patience {
                    break;
                }
            }
            Ok(best.map(|b| b.2).ok_or_else(|| AimassError::internal("no epoch ran")))
        };
        run().map_err(candle_error)?
    }
}

impl Algorithm for Mlp {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        json!({
            "hidden": self.hidden, "epochs": self.epochs, "batch_size": self.batch_size,
            "learning_rate": self.learning_rate, "weight_decay": self.weight_decay, "dropout": self.dropout,
            "batch_norm": self.batch_norm, "patience": self.patience,
            "validation_fraction": self.validation_fraction, "seed": self.seed,
        })
    }

    fn takes_weights(&self) -> bool {
        true
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        if x.nrows() < 10 || x.ncols() == 0 {
            return Err(AimassError::data("a neural net needs at least 10 rows and an input"));
        }
        Ok(FittedModel::Mlp(self.train(x, y, ctx)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc_ks;
    use crate::preprocess::Recipe;

    /// A ring: y = 1 inside radius 1 (not linearly separable).
    fn ring(n: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
        let mut rng = SplitMix64::new(seed);
        let x = Array2::from_shape_fn((n, 2), |_| unit(&mut rng) * 4.0 - 2.0);
        let y =
            Array1::from_iter(x.rows().into_iter().map(|r| ((r[0] * r[0] + r[1] * r[1]) < 1.0) as u8 as f64));
        (x, y)
    }

    fn fit(m: &Mlp, x: &Array2<f64>, y: &Array1<f64>) -> MlpModel {
        let recipe = Recipe { steps: vec![] };
        let FittedModel::Mlp(m) = m.fit(x, y, &FitContext::new(&recipe)).unwrap() else { panic!() };
        m
    }

    #[test]
    fn learns_a_ring_and_is_deterministic() {
        let (x, y) = ring(2000, 1);
        let (xt, yt) = ring(1000, 2);
        let mlp = Mlp::from_json(&json!({"epochs": 60, "dropout": 0.1, "learning_rate": 0.01}), Task::Binary)
            .unwrap();
        let m = fit(&mlp, &x, &y);
        assert!(m.validate());
        let p: Vec<f64> = xt.rows().into_iter().map(|r| m.predict(&r.to_vec())).collect();
        let (auc, _) = auc_ks(&p, yt.as_slice().unwrap());
        assert!(auc > 0.95, "AUC {auc}");
        assert_eq!(m, fit(&mlp, &x, &y), "the same net under the same seed");
    }

    #[test]
    fn bad_hyperparameters() {
        for bad in [
            json!({"hidden": []}),
            json!({"hidden": [0]}),
            json!({"hidden": [8, 8, 8, 8, 8]}),
            json!({"dropout": 1}),
        ] {
            assert!(Mlp::from_json(&bad, Task::Binary).is_err(), "{bad}");
        }
    }
}
