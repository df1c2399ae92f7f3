//! Key layouts. Integers are big-endian so that sled's byte order is numeric order.

use crate::domain::NameKind;

pub fn u64_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub fn read_u64(key: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(key).ok().map(u64::from_be_bytes)
}

/// `history`: volunteer id ‖ seq, so one prefix scan lists a volunteer's entries in order.
pub fn history_key(volunteer: u64, seq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&volunteer.to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

pub fn split_history_key(key: &[u8]) -> Option<(u64, u64)> {
    if key.len() != 16 {
        return None;
    }
    Some((read_u64(&key[..8])?, read_u64(&key[8..])?))
}

/// `names`: kind byte ‖ UTF-8 name.
pub fn name_key(kind: NameKind, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(kind as u8);
    k.extend_from_slice(name.as_bytes());
    k
}

/// `import_refs`: source ‖ 0x00 ‖ row id. Sources are validated to contain no NUL.
pub fn import_key(source: &str, row_id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(source.len() + 1 + row_id.len());
    k.extend_from_slice(source.as_bytes());
    k.push(0);
    k.extend_from_slice(row_id.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_keys_sort_numerically() {
        assert!(u64_key(2) < u64_key(256));
        assert!(history_key(1, u64::MAX) < history_key(2, 0));
        assert_eq!(split_history_key(&history_key(7, 9)), Some((7, 9)));
        assert_eq!(read_u64(&u64_key(42)), Some(42));
    }
}
