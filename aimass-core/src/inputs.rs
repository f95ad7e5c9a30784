//! The encoded inputs a fit reads, one block of rows at a time.
//!
//! A fit sees its inputs as [`Inputs`]: rows × inputs numbers it asks for by row. A matrix held
//! whole is one kind; the training call passes another, which encodes the requested rows from the
//! table's columns on demand (`core::train`), so that algorithms reading their inputs in passes
//! (logistic regression's Newton iterations, gradient boosting's binning) never hold the whole
//! encoded matrix: 800k rows × 86 inputs are 550 MB as float64, against one block of 4096 rows.

use ndarray::{Array2, ArrayView2, ArrayViewMut2};

use crate::error::{AimassError, Result};
use crate::{interrupt, memory};

/// A zero matrix of `rows` × `cols` float64, within aimass.max_memory and allocated fallibly.
pub fn dense(rows: usize, cols: usize) -> Result<Array2<f64>> {
    let cells = rows.saturating_mul(cols);
    let data = memory::vec_filled(
        cells,
        0.0f64,
        &format!("a matrix of {rows} rows x {cols} encoded inputs"),
        "Use fewer hashing buckets or categories (preprocess), fewer features, or fewer rows.",
    )?;
    Array2::from_shape_vec((rows, cols), data)
        .map_err(|e| AimassError::internal(format!("matrix shape: {e}")))
}

/// Rows per block.
pub const BLOCK_ROWS: usize = 4096;

/// Rows × inputs numbers, read by row.
pub trait Inputs: Sync {
    fn nrows(&self) -> usize;
    fn ncols(&self) -> usize;
    /// Writes the rows `rows` (each below `nrows`) into the first `rows.len()` rows of `out`
    /// (which has `ncols` columns).
    fn rows_into(&self, rows: &[usize], out: ArrayViewMut2<'_, f64>) -> Result<()>;

    /// All rows as one matrix.
    fn to_matrix(&self) -> Result<Array2<f64>> {
        let mut x = dense(self.nrows(), self.ncols())?;
        let all: Vec<usize> = (0..self.nrows()).collect();
        for (start, chunk) in all.chunks(BLOCK_ROWS).enumerate() {
            interrupt::check()?;
            let at = start * BLOCK_ROWS;
            self.rows_into(chunk, x.slice_mut(ndarray::s![at..at + chunk.len(), ..]))?;
        }
        Ok(x)
    }
}

impl Inputs for ArrayView2<'_, f64> {
    fn nrows(&self) -> usize {
        self.dim().0
    }
    fn ncols(&self) -> usize {
        self.dim().1
    }
    fn rows_into(&self, rows: &[usize], mut out: ArrayViewMut2<'_, f64>) -> Result<()> {
        for (&r, mut o) in rows.iter().zip(out.rows_mut()) {
            o.assign(&self.row(r));
        }
        Ok(())
    }
    fn to_matrix(&self) -> Result<Array2<f64>> {
        Ok(self.to_owned())
    }
}

impl Inputs for Array2<f64> {
    fn nrows(&self) -> usize {
        self.dim().0
    }
    fn ncols(&self) -> usize {
        self.dim().1
    }
    fn rows_into(&self, rows: &[usize], out: ArrayViewMut2<'_, f64>) -> Result<()> {
        self.view().rows_into(rows, out)
    }
    fn to_matrix(&self) -> Result<Array2<f64>> {
        Ok(self.clone())
    }
}

/// Calls `f` with consecutive blocks of the rows `rows` (at most [`BLOCK_ROWS`] each): the
/// block's position in `rows` and its encoded rows.
pub fn for_each_block(
    x: &dyn Inputs,
    rows: &[usize],
    mut f: impl FnMut(usize, ArrayView2<'_, f64>) -> Result<()>,
) -> Result<()> {
    let mut block = dense(BLOCK_ROWS.min(rows.len()), x.ncols())?;
    for (k, chunk) in rows.chunks(BLOCK_ROWS).enumerate() {
        interrupt::check()?;
        let mut part = block.slice_mut(ndarray::s![..chunk.len(), ..]);
        x.rows_into(chunk, part.view_mut())?;
        f(k * BLOCK_ROWS, block.slice(ndarray::s![..chunk.len(), ..]))?;
    }
    Ok(())
}

/// The error of a row with a missing input given to an algorithm that cannot take one.
pub fn missing_refused(algorithm: &str) -> AimassError {
    AimassError::invalid_parameter(format!("algorithm \"{algorithm}\" cannot take missing values"))
        .with_hint("Give preprocess an impute method other than \"keep\".")
}
