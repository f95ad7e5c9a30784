//! An order-independent content hash of a table's rows: the training snapshot's fingerprint.
//! Each row is hashed with FNV-1a over its values; row hashes are mixed and summed, so the hash
//! does not depend on the order in which PostgreSQL returns the rows.

use crate::data::{Column, RawValue};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn add_value(h: u64, v: &RawValue<'_>) -> u64 {
    match v {
        RawValue::Null => fnv(h, &[0]),
        RawValue::Number(x) => fnv(fnv(h, &[1]), &x.to_le_bytes()),
        RawValue::Text(s) => fnv(fnv(fnv(h, &[2]), s.as_bytes()), &[0xff]),
    }
}

/// Hex digest of the rows of `columns` (all of the same length).
pub fn content_hash(columns: &[&Column]) -> String {
    let n = columns.first().map_or(0, |c| c.len());
    let mut total: u64 = n as u64;
    for i in 0..n {
        let h = columns.iter().fold(FNV_OFFSET, |h, c| add_value(h, &c.raw(i)));
        total = total.wrapping_add(mix(h));
    }
    format!("{total:016x}")
}

/// A well-mixed 64-bit hash of one row's values, salted (the same values give the same hash).
pub fn values_hash(salt: u64, values: &[RawValue<'_>]) -> u64 {
    mix(values.iter().fold(fnv(FNV_OFFSET, &salt.to_le_bytes()), add_value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnBuilder, ColumnKind};

    #[test]
    fn hash_ignores_row_order_but_not_content() {
        let mut b = ColumnBuilder::new("x", ColumnKind::Numeric);
        for v in [Some(1.0), None, Some(3.0)] {
            b.push_number(v).unwrap();
        }
        let f = b.finish();
        let g = f.take(&[2, 0, 1]);
        let h = f.take(&[0, 0, 1]);
        assert_eq!(content_hash(&[&f]), content_hash(&[&g]));
        assert_ne!(content_hash(&[&f]), content_hash(&[&h]));
    }
}
