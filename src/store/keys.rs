//! Key layouts. Integers are big-endian so that sled's byte order is numeric order.

use crate::domain::NameKind;

pub fn u64_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub fn read_u64(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}

/// `names`: kind byte ‖ UTF-8 name.
pub fn name_key(kind: NameKind, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(kind as u8);
    k.extend_from_slice(name.as_bytes());
    k
}

/// `shifts`: a shift by its check-in seq.
pub const SHIFT: u8 = b'S';
/// `shifts`: a volunteer's open shift.
pub const OPEN_SHIFT: u8 = b'O';

/// `shifts` and `limits`: tag byte ‖ big-endian id.
pub fn tagged_key(tag: u8, id: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = tag;
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

/// `limits`: a deposit held for approval, by its seq.
pub const HELD: u8 = b'H';
/// `limits`: an activity retired from the catalog, by its id.
pub const RETIRED_ACTIVITY: u8 = b'R';
/// `limits`: minutes credited to a volunteer for one service day.
pub const DAY_TOTAL: u8 = b'D';
/// `limits`: the minutes a deposit (or a held deposit) added to its day's total, by its seq.
pub const COUNTED: u8 = b'C';

/// `limits`: a city grant journalled here, `G` ‖ the grant's id → the seq that journalled it.
pub const GRANT: u8 = b'G';

pub fn grant_key(grant: &str) -> Vec<u8> {
    [&[GRANT][..], grant.as_bytes()].concat()
}

/// `limits`: a record of the civic points, `P` ‖ the key's bytes (`domain::points::PointsKey`).
pub const POINTS: u8 = b'P';

pub fn points_key(key: &crate::domain::points::PointsKey) -> Vec<u8> {
    [&[POINTS][..], &key.bytes()].concat()
}

/// `limits`: `D` ‖ volunteer id ‖ day, the day with its sign bit flipped so that days sort in
/// order as bytes (all of a volunteer's days sit together, oldest first).
pub fn day_total_key(volunteer: u64, day: crate::domain::Day) -> [u8; 13] {
    let mut k = [0u8; 13];
    k[0] = DAY_TOTAL;
    k[1..9].copy_from_slice(&volunteer.to_be_bytes());
    k[9..].copy_from_slice(&((day.ordinal() as u32) ^ 0x8000_0000).to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_keys_sort_numerically() {
        assert!(u64_key(2) < u64_key(256));
        assert_eq!(read_u64(&u64_key(42)), Some(42));
    }
}
