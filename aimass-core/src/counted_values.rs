//! Distinct values counted by flag: the exact, mergeable state of `aimass.auc`, `ks`, `gini`,
//! `iv` and `psi` of numbers.
//!
//! A state keeps each distinct value once with its two counts (rows with the flag false, rows
//! with it true), and the NULL rows apart. Every metric of these aggregates depends only on those
//! counts, and every count is a whole number, so a state merged from parts in any order (parallel
//! workers, Citus shards) gives the same bits as one built from all the rows at once. What a
//! state holds grows with the distinct values, not the rows: tied scores, binned or rounded
//! values, and categories coded as numbers take little room.
//!
//! [`growing`] is its byte form in the extension: a `bytea` transition value (so that Citus can
//! send it from the workers as it is; an `internal` state cannot leave its node) that takes rows
//! in place, in a tail of unsorted rows with room left, and sorts that tail into the counts when
//! it is full.

use crate::binning;
use crate::error::{AimassError, Result};
use crate::metrics::auc_ks_of_counts;
use crate::stability::psi_counts;
use crate::woe::{information_value, BinCounts};

/// Rows counted by distinct value and flag.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueCounts {
    /// The distinct present values, ascending (no NaN; −0 is kept as 0).
    pub values: Vec<f64>,
    /// `counts[i]`: the rows of `values[i]` with the flag false and with the flag true.
    pub counts: Vec<[u64; 2]>,
    /// The rows whose value is NULL, by flag.
    pub missing: [u64; 2],
}

/// The value as a state keeps it: NaN for NULL, −0 as 0 (the two are equal as SQL sees them).
fn kept(value: Option<f64>) -> f64 {
    match value {
        Some(v) if !v.is_nan() => v + 0.0,
        _ => f64::NAN,
    }
}

impl ValueCounts {
    /// The counts of (value, flag) rows; NaN is NULL.
    pub fn of_rows(rows: impl IntoIterator<Item = (Option<f64>, bool)>) -> ValueCounts {
        let mut out = ValueCounts::default();
        let mut present = Vec::new();
        for (v, flag) in rows {
            let v = kept(v);
            if v.is_nan() {
                out.missing[flag as usize] += 1;
            } else {
                present.push((v, flag));
            }
        }
        present.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for (v, flag) in present {
            if out.values.last() != Some(&v) {
                out.values.push(v);
                out.counts.push([0; 2]);
            }
            out.counts.last_mut().expect("pushed above")[flag as usize] += 1;
        }
        out
    }

    /// The counts of both: each value once, its counts added.
    pub fn merged(&self, other: &ValueCounts) -> Result<ValueCounts> {
        let add = |a: [u64; 2], b: [u64; 2]| -> Result<[u64; 2]> {
            match (a[0].checked_add(b[0]), a[1].checked_add(b[1])) {
                (Some(x), Some(y)) => Ok([x, y]),
                _ => Err(AimassError::internal("a count of rows overflowed")),
            }
        };
        let mut out = ValueCounts {
            values: Vec::with_capacity(self.values.len() + other.values.len()),
            counts: Vec::with_capacity(self.values.len() + other.values.len()),
            missing: add(self.missing, other.missing)?,
        };
        let (mut i, mut j) = (0, 0);
        while i < self.values.len() || j < other.values.len() {
            let order = match (self.values.get(i), other.values.get(j)) {
                (Some(a), Some(b)) => a.total_cmp(b),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (v, c) = match order {
                std::cmp::Ordering::Less => {
                    i += 1;
                    (self.values[i - 1], self.counts[i - 1])
                }
                std::cmp::Ordering::Greater => {
                    j += 1;
                    (other.values[j - 1], other.counts[j - 1])
                }
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    (self.values[i - 1], add(self.counts[i - 1], other.counts[j - 1])?)
                }
            };
            out.values.push(v);
            out.counts.push(c);
        }
        Ok(out)
    }

    /// The rows counted, NULL ones too.
    pub fn rows(&self) -> u64 {
        self.present(None) + self.missing[0] + self.missing[1]
    }

    /// Lists every row counted (NaN for a NULL value, 1 or 0 for the flag), in ascending order of
    /// value, NULLs last: the rows again, in another order.
    pub fn list_rows(&self, values: &mut Vec<f64>, flags: &mut Vec<f64>) {
        for (&v, c) in self.values.iter().zip(&self.counts) {
            for (flag, &n) in c.iter().enumerate() {
                values.extend(std::iter::repeat_n(v, n as usize));
                flags.extend(std::iter::repeat_n(flag as f64, n as usize));
            }
        }
        for (flag, &n) in self.missing.iter().enumerate() {
            values.extend(std::iter::repeat_n(f64::NAN, n as usize));
            flags.extend(std::iter::repeat_n(flag as f64, n as usize));
        }
    }

    /// The present rows with `flag` (or all with `None`).
    fn present(&self, flag: Option<bool>) -> u64 {
        self.counts.iter().map(|c| flag.map_or(c[0] + c[1], |f| c[f as usize])).sum()
    }

    /// The default bins' edges ([`binning::decile_edges`]) of the present rows with `flag` (all
    /// rows with `None`), as if every row were listed in order.
    fn decile_edges(&self, flag: Option<bool>) -> Vec<f64> {
        let mut cumulative = Vec::with_capacity(self.values.len());
        let mut total = 0u64;
        for c in &self.counts {
            total += flag.map_or(c[0] + c[1], |f| c[f as usize]);
            cumulative.push(total);
        }
        // The value of rank r: the first value whose cumulative count passes r.
        binning::decile_edges_by_rank(total as usize, |r| {
            self.values[cumulative.partition_point(|&c| c <= r as u64)]
        })
    }

    /// AUC of the values as scores against the flags as labels (NULL scores left out).
    pub fn auc(&self) -> Option<f64> {
        Some(self.auc_ks().0).filter(|x| !x.is_nan())
    }

    pub fn ks(&self) -> Option<f64> {
        Some(self.auc_ks().1).filter(|x| !x.is_nan())
    }

    pub fn gini(&self) -> Option<f64> {
        self.auc().map(|a| 2.0 * a - 1.0)
    }

    fn auc_ks(&self) -> (f64, f64) {
        auc_ks_of_counts(&self.counts)
    }

    /// IV of the values against the flags as labels (true = bad), over the values' default bins
    /// (NULL a bin of its own).
    pub fn iv(&self) -> Option<f64> {
        let edges = self.decile_edges(None);
        let mut bins = vec![BinCounts::default(); binning::bin_count(&edges)];
        for (&v, c) in self.values.iter().zip(&self.counts) {
            let b = &mut bins[binning::bin_of(&edges, v)];
            b.good += c[0] as f64;
            b.bad += c[1] as f64;
        }
        let null = bins.last_mut().expect("bin_count is at least 2");
        null.good += self.missing[0] as f64;
        null.bad += self.missing[1] as f64;
        Some(information_value(&bins)).filter(|x| !x.is_nan())
    }

    /// PSI of the flag-false rows (actual) against the flag-true rows (reference), over the
    /// reference's default bins.
    pub fn psi(&self) -> Option<f64> {
        let edges = self.decile_edges(Some(true));
        let mut reference = vec![0.0; binning::bin_count(&edges)];
        let mut actual = reference.clone();
        for (&v, c) in self.values.iter().zip(&self.counts) {
            let b = binning::bin_of(&edges, v);
            reference[b] += c[1] as f64;
            actual[b] += c[0] as f64;
        }
        let null = reference.len() - 1;
        reference[null] += self.missing[1] as f64;
        actual[null] += self.missing[0] as f64;
        Some(psi_counts(&reference, &actual)).filter(|x| !x.is_nan())
    }
}

/// The byte form of a [`ValueCounts`] that takes rows in place (little-endian):
///
/// ```text
/// header (40 bytes)   "AVC2", sorted entries (u32), their bytes (u32), tail rows (u32),
///                     tail room (u32), 4 bytes unused, NULL rows with flag false (u64), with
///                     flag true (u64)
/// sorted entries      each: the value's order key less the previous entry's (LEB128), its
///                     rows with flag false (LEB128), with flag true (LEB128)
/// tail                value (f64), flag (u8): 9 bytes a row, `tail room` of them
/// ```
///
/// The entries are compact because Citus sends a worker's state as it is (in hex): a value that
/// repeats costs its bytes once, and a distinct one about 8 bytes (close values have small
/// gaps between their keys: scores 1e-5 apart take 6 bytes; counts under 128 take a byte). The bytes may come from anywhere (a SQL
/// caller, another node): every reader checks them.
pub mod growing {
    use super::{kept, ValueCounts};
    use crate::error::{AimassError, Result};

    const MAGIC: &[u8; 4] = b"AVC2";
    pub const HEADER: usize = 40;
    const ROW: usize = 9;
    /// The tail of a new state, and the least tail a state grows by.
    pub const FIRST_TAIL: usize = 16;
    /// A tail never grows past this many rows unless the sorted entries are more (then half of
    /// them): what is left unused in the tail when a state is sent (Citus sends it as it is)
    /// stays under about half the entries' bytes (a quarter on average), and a few values
    /// repeated over many rows keep a small state. Sorting a full tail into the entries then
    /// costs a few entries decoded and written again a row (a quarter of the entries made the
    /// AUC of 1M mostly distinct values 1.3–1.5× slower, all of them about as fast as half).
    const TAIL_AT_MOST: usize = 1024;

    fn bad() -> AimassError {
        AimassError::internal("an aimass aggregate state is malformed")
    }

    fn u32_at(b: &[u8], at: usize) -> usize {
        u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as usize
    }

    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
    }

    /// A value's key: unsigned integers in the order of `f64::total_cmp`.
    fn key(v: f64) -> u64 {
        let bits = v.to_bits();
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | 1 << 63
        }
    }

    fn value_of(key: u64) -> f64 {
        f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
    }

    fn leb128_len(mut x: u64) -> usize {
        let mut n = 1;
        while x >= 0x80 {
            x >>= 7;
            n += 1;
        }
        n
    }

    fn put_leb128(out: &mut Vec<u8>, mut x: u64) {
        while x >= 0x80 {
            out.push(x as u8 | 0x80);
            x >>= 7;
        }
        out.push(x as u8);
    }

    fn get_leb128(b: &[u8], at: &mut usize) -> Result<u64> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*at).ok_or_else(bad)?;
            *at += 1;
            x |= ((byte & 0x7f) as u64)
                .checked_shl(shift)
                .filter(|_| shift < 63 || byte <= 1)
                .ok_or_else(bad)?;
            if byte & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err(bad())
    }

    /// The bytes of the sorted entries of `counts`.
    fn entries_len(counts: &ValueCounts) -> u128 {
        let mut previous = 0;
        let mut n = 0u128;
        for (&v, c) in counts.values.iter().zip(&counts.counts) {
            let k = key(v);
            n += (leb128_len(k - previous) + leb128_len(c[0]) + leb128_len(c[1])) as u128;
            previous = k;
        }
        n
    }

    /// The bytes of a state holding `counts` with a tail of `tail` rows (before it is written:
    /// the caller checks it against its limits first).
    pub fn bytes_for(counts: &ValueCounts, tail: usize) -> u128 {
        HEADER as u128 + entries_len(counts) + tail as u128 * ROW as u128
    }

    /// (sorted entries, their bytes, tail rows, tail room), checked against the length.
    fn header(state: &[u8]) -> Result<(usize, usize, usize, usize)> {
        if state.len() < HEADER || &state[..4] != MAGIC {
            return Err(bad());
        }
        let (sorted, bytes, used, room) =
            (u32_at(state, 4), u32_at(state, 8), u32_at(state, 12), u32_at(state, 16));
        if used > room || HEADER as u128 + bytes as u128 + room as u128 * ROW as u128 != state.len() as u128 {
            return Err(bad());
        }
        Ok((sorted, bytes, used, room))
    }

    /// The state of `counts` with an empty tail of `tail` rows.
    pub fn written(counts: &ValueCounts, tail: usize) -> Result<Vec<u8>> {
        let entries = entries_len(counts);
        if counts.values.len() > u32::MAX as usize || entries > u32::MAX as u128 || tail > u32::MAX as usize {
            return Err(AimassError::internal("an aggregate state too large to write"));
        }
        let mut out = Vec::with_capacity((HEADER as u128 + entries + (tail * ROW) as u128) as usize);
        out.extend_from_slice(MAGIC);
        for x in [counts.values.len(), entries as usize, 0, tail, 0] {
            out.extend_from_slice(&(x as u32).to_le_bytes());
        }
        out.extend_from_slice(&counts.missing[0].to_le_bytes());
        out.extend_from_slice(&counts.missing[1].to_le_bytes());
        let mut previous = 0;
        for (&v, c) in counts.values.iter().zip(&counts.counts) {
            let k = key(v);
            put_leb128(&mut out, k - previous);
            put_leb128(&mut out, c[0]);
            put_leb128(&mut out, c[1]);
            previous = k;
        }
        out.resize(out.len() + tail * ROW, 0);
        Ok(out)
    }

    /// Adds a row in place: `Ok(false)` when the tail is full (the caller grows the state with
    /// [`grown`]). A NULL value only counts.
    pub fn push(state: &mut [u8], value: Option<f64>, flag: bool) -> Result<bool> {
        let (_, bytes, used, room) = header(state)?;
        let v = kept(value);
        if v.is_nan() {
            let at = 24 + 8 * flag as usize;
            let n = u64_at(state, at).checked_add(1).ok_or_else(bad)?;
            state[at..at + 8].copy_from_slice(&n.to_le_bytes());
            return Ok(true);
        }
        if used == room {
            return Ok(false);
        }
        let at = HEADER + bytes + used * ROW;
        state[at..at + 8].copy_from_slice(&v.to_le_bytes());
        state[at + 8] = flag as u8;
        state[12..16].copy_from_slice(&(used as u32 + 1).to_le_bytes());
        Ok(true)
    }

    /// The counts a state holds, its tail sorted in.
    pub fn read(state: &[u8]) -> Result<ValueCounts> {
        let (sorted, bytes, used, _) = header(state)?;
        let mut counts = ValueCounts {
            values: Vec::with_capacity(sorted.min(bytes / 3)),
            counts: Vec::with_capacity(sorted.min(bytes / 3)),
            missing: [u64_at(state, 24), u64_at(state, 32)],
        };
        let entries = &state[HEADER..HEADER + bytes];
        let (mut at, mut previous) = (0, 0u64);
        for i in 0..sorted {
            let gap = get_leb128(entries, &mut at)?;
            if gap == 0 && i > 0 {
                return Err(bad());
            }
            previous = previous.checked_add(gap).ok_or_else(bad)?;
            let v = value_of(previous);
            if v.is_nan() {
                return Err(bad());
            }
            counts.values.push(v);
            counts.counts.push([get_leb128(entries, &mut at)?, get_leb128(entries, &mut at)?]);
        }
        if at != bytes {
            return Err(bad());
        }
        if used == 0 {
            return Ok(counts);
        }
        let start = HEADER + bytes;
        let tail = ValueCounts::of_rows((0..used).map(|r| {
            let at = start + r * ROW;
            let v = f64::from_le_bytes(state[at..at + 8].try_into().expect("8 bytes"));
            (Some(v), state[at + 8] != 0)
        }));
        counts.merged(&tail)
    }

    /// The room of the next tail for a state whose tail of `room` rows filled up and that now
    /// holds `sorted` entries: twice the last, at most [`TAIL_AT_MOST`] or half the entries.
    pub fn next_tail(sorted: usize, room: usize) -> usize {
        (room * 2).max(FIRST_TAIL).min(TAIL_AT_MOST.max(sorted / 2))
    }

    /// What a state whose tail is full grows into: its counts (tail sorted in) and the room of
    /// its next tail.
    pub fn grown(state: &[u8]) -> Result<(ValueCounts, usize)> {
        let (_, _, _, room) = header(state)?;
        let counts = read(state)?;
        let tail = next_tail(counts.values.len(), room);
        Ok((counts, tail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc_ks;
    use crate::stability::psi_numeric;

    /// Rows with ties, NULLs, −0 and both flags.
    fn rows() -> Vec<(Option<f64>, bool)> {
        (0..500)
            .map(|i| {
                let v = match i % 23 {
                    0 => None,
                    1 => Some(-0.0),
                    2 => Some(0.0),
                    _ => Some(((i * 37) % 101) as f64 / 7.0),
                };
                (v, (i * 7) % 3 == 0)
            })
            .collect()
    }

    /// IV over the default bins of every row listed (the definition the counts must meet).
    fn iv_listed(rows: &[(Option<f64>, bool)]) -> f64 {
        let values: Vec<f64> = rows.iter().map(|r| r.0.unwrap_or(f64::NAN)).collect();
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_unstable_by(f64::total_cmp);
        let edges = binning::decile_edges(&sorted);
        let mut bins = vec![BinCounts::default(); binning::bin_count(&edges)];
        for (&v, r) in values.iter().zip(rows) {
            let b = &mut bins[binning::bin_of(&edges, v)];
            if r.1 {
                b.bad += 1.0
            } else {
                b.good += 1.0
            }
        }
        information_value(&bins)
    }

    #[test]
    fn counts_give_the_metrics_of_the_rows_listed_bit_for_bit() {
        let rows = rows();
        let c = ValueCounts::of_rows(rows.iter().copied());
        let scored: Vec<(f64, f64)> =
            rows.iter().filter_map(|r| r.0.map(|v| (v, r.1 as u8 as f64))).collect();
        let (s, y): (Vec<f64>, Vec<f64>) = scored.into_iter().unzip();
        let (auc, ks) = auc_ks(&s, &y);
        assert_eq!(c.auc().unwrap().to_bits(), auc.to_bits());
        assert_eq!(c.ks().unwrap().to_bits(), ks.to_bits());
        assert_eq!(c.iv().unwrap().to_bits(), iv_listed(&rows).to_bits());
        let values: Vec<f64> = rows.iter().map(|r| r.0.unwrap_or(f64::NAN)).collect();
        let flags: Vec<bool> = rows.iter().map(|r| r.1).collect();
        assert_eq!(c.psi().unwrap().to_bits(), psi_numeric(&values, &flags).to_bits());
        // −0 and 0 are one value.
        assert_eq!(c.values.iter().filter(|v| **v == 0.0).count(), 1);
    }

    #[test]
    fn merged_parts_in_any_order_equal_the_whole() {
        let rows = rows();
        let whole = ValueCounts::of_rows(rows.iter().copied());
        let a = ValueCounts::of_rows(rows[..170].iter().copied());
        let b = ValueCounts::of_rows(rows[170..].iter().copied());
        assert_eq!(a.merged(&b).unwrap(), whole);
        assert_eq!(b.merged(&a).unwrap(), whole);
        assert_eq!(ValueCounts::default().merged(&whole).unwrap(), whole);
        // Listing the rows again and counting them gives the same counts.
        let (mut values, mut flags) = (Vec::new(), Vec::new());
        whole.list_rows(&mut values, &mut flags);
        assert_eq!(values.len() as u64, whole.rows());
        let listed = values.iter().zip(&flags).map(|(&v, &f)| ((!v.is_nan()).then_some(v), f == 1.0));
        assert_eq!(ValueCounts::of_rows(listed), whole);
    }

    #[test]
    fn a_growing_state_takes_rows_in_place_and_reads_back_the_counts() {
        let rows = rows();
        let mut state = growing::written(&ValueCounts::default(), growing::FIRST_TAIL).unwrap();
        let mut grew = 0;
        for &(v, f) in &rows {
            if !growing::push(&mut state, v, f).unwrap() {
                let (counts, tail) = growing::grown(&state).unwrap();
                state = growing::written(&counts, tail).unwrap();
                assert_eq!(state.len() as u128, growing::bytes_for(&counts, tail));
                assert!(growing::push(&mut state, v, f).unwrap());
                grew += 1;
            }
        }
        assert!(grew >= 3, "the tail filled and grew {grew} times");
        assert_eq!(growing::read(&state).unwrap(), ValueCounts::of_rows(rows.iter().copied()));
    }

    #[test]
    fn entries_keep_every_value_and_count_exactly_in_few_bytes() {
        let values = vec![
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            0.0,
            5e-324,
            0.1,
            0.1 + 1e-17,
            7.0,
            f64::MAX,
            f64::INFINITY,
        ];
        let counts: Vec<[u64; 2]> = (0..values.len() as u64).map(|i| [i * 1_000_003, u64::MAX - i]).collect();
        let c = ValueCounts { values, counts, missing: [3, u64::MAX] };
        assert_eq!(growing::read(&growing::written(&c, 0).unwrap()).unwrap(), c);
        // 10,000 distinct scores 1e-5 apart, counted once each: a gap of about 2^37 (6 bytes) and
        // two counts of a byte, 8 bytes an entry (24 unencoded).
        let close = ValueCounts::of_rows((0..10_000).map(|i| (Some(0.2 + i as f64 * 1e-5), i % 5 == 0)));
        let bytes = growing::written(&close, 0).unwrap();
        assert!(bytes.len() <= growing::HEADER + 10_000 * 8 + 10, "{} bytes", bytes.len());
        assert_eq!(growing::read(&bytes).unwrap(), close);
    }

    #[test]
    fn malformed_state_bytes_are_refused() {
        let counts = ValueCounts { values: vec![1.0, 2.0], counts: vec![[1, 0], [0, 1]], missing: [0; 2] };
        let state = growing::written(&counts, 4).unwrap();
        assert_eq!(growing::read(&state).unwrap(), counts);
        assert!(growing::read(&state[..state.len() - 1]).is_err());
        assert!(growing::read(b"nothing").is_err());
        // A repeated value (a gap of 0), an entry cut short, a count past 64 bits.
        let mut repeated = state.clone();
        let second = growing::HEADER + 10 + 1 + 1;
        repeated[second] = 0;
        assert!(growing::read(&repeated).is_err());
        let mut cut = state.clone();
        cut[4..8].copy_from_slice(&3u32.to_le_bytes());
        assert!(growing::read(&cut).is_err());
        let mut long = growing::written(&ValueCounts::default(), 0).unwrap();
        long[4..8].copy_from_slice(&1u32.to_le_bytes());
        long[8..12].copy_from_slice(&13u32.to_le_bytes());
        long.extend_from_slice(&[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0]);
        assert!(growing::read(&long).is_err());
        let mut overfull = state.clone();
        overfull[12..16].copy_from_slice(&5u32.to_le_bytes());
        assert!(growing::push(&mut overfull, Some(1.0), true).is_err());
    }

    #[test]
    fn the_tail_grows_geometrically_within_its_bound() {
        assert_eq!(growing::next_tail(0, growing::FIRST_TAIL), 32);
        assert_eq!(growing::next_tail(10, 1024), 1024);
        assert_eq!(growing::next_tail(1_000_000, 1024), 2048);
        assert_eq!(growing::next_tail(1_000_000, 400_000), 500_000);
    }
}
