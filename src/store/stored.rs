//! The journal's stored value, laid out in one place: the version byte, the encoded event
//! body, then the 32-byte link hash `blake3(previous hash ‖ body)`. Committing writes it
//! here (`encode_event`); `check`, backups, certificates, the journal copy and recovery cut and
//! verify it here (`StoredEvent`), so a second engine that stores the same bytes — the city
//! server — checks chains with the same code.

use super::codec::{self, CodecError, VALUE_VERSION};
use crate::domain::EventBody;

/// Bytes of the link hash at the end of every stored value.
pub const HASH_LEN: usize = 32;

/// The chain link: blake3 over the previous event's hash and the encoded body.
pub fn link_hash(prev: &[u8; 32], body: &[u8]) -> [u8; 32] {
    *blake3::Hasher::new().update(prev).update(body).finalize().as_bytes()
}

/// Encodes an event for the journal in one pass and returns its hash with the stored value —
/// exactly `codec::encode` of the `Event` (bincode writes a byte array as plain bytes; the
/// golden tests pin this, and every reader below relies on it).
pub fn encode_event(prev: &[u8; 32], body: &EventBody) -> Result<([u8; 32], Vec<u8>), CodecError> {
    let mut stored = Vec::with_capacity(192);
    stored.push(VALUE_VERSION);
    codec::encode_bare(body, &mut stored)?;
    let hash = link_hash(prev, &stored[1..]);
    stored.extend_from_slice(&hash);
    Ok((hash, stored))
}

/// A stored value cut into its parts, without decoding the body.
#[derive(Debug, Clone, Copy)]
pub struct StoredEvent<'a> {
    version: u8,
    body: &'a [u8],
    hash: [u8; HASH_LEN],
}

impl<'a> StoredEvent<'a> {
    /// `None` when the value is too short to hold a version byte and a hash.
    pub fn split(value: &'a [u8]) -> Option<StoredEvent<'a>> {
        let body_end = value.len().checked_sub(HASH_LEN).filter(|n| *n >= 1)?;
        let (head, hash) = value.split_at(body_end);
        Some(StoredEvent { version: head[0], body: &head[1..], hash: hash.try_into().ok()? })
    }

    /// The encoded body (what the hash covers, after the previous hash).
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The hash this value stores (its own link, the next value's `prev`).
    pub fn hash(&self) -> [u8; HASH_LEN] {
        self.hash
    }

    /// Whether this value continues a chain whose last hash is `prev`: written in the current
    /// layout (the version byte is outside the hash, so it is checked on its own) and linked
    /// from `prev` over exactly its body bytes.
    pub fn follows(&self, prev: &[u8; HASH_LEN]) -> bool {
        self.version == VALUE_VERSION && link_hash(prev, self.body) == self.hash
    }
}

/// Whether `len` is a length a stored value can have in a flat file of records (the journal
/// copy, a backup): a version byte and a hash at least, at most the decode limit past them.
pub fn is_value_len(len: u64) -> bool {
    (1 + HASH_LEN as u64..=codec::DECODE_LIMIT as u64 + 1 + HASH_LEN as u64).contains(&len)
}

/// The event a stored value holds (its seq names it in errors).
pub fn decode_stored(seq: u64, value: &[u8]) -> Result<crate::domain::Event, CodecError> {
    codec::decode(super::tree::JOURNAL.name, &seq.to_be_bytes(), value)
}

/// The hash stored at the end of `value`, if it is long enough to hold one.
pub fn stored_hash(value: &[u8]) -> Option<[u8; HASH_LEN]> {
    StoredEvent::split(value).map(|s| s.hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_follows_its_previous_hash_only() {
        let prev = [7u8; 32];
        let body = [1u8, 2, 3];
        let hash = link_hash(&prev, &body);
        let value = [&[VALUE_VERSION][..], &body, &hash].concat();
        let s = StoredEvent::split(&value).unwrap();
        assert!(s.follows(&prev));
        assert!(!s.follows(&[0u8; 32]), "another chain");
        let mut other_version = value.clone();
        other_version[0] = VALUE_VERSION + 1;
        assert!(!StoredEvent::split(&other_version).unwrap().follows(&prev), "the version is checked");
        let mut flipped = value.clone();
        flipped[2] ^= 1;
        assert!(!StoredEvent::split(&flipped).unwrap().follows(&prev), "one body bit");
        assert!(StoredEvent::split(&value[..32]).is_none(), "too short for a hash and a version");
        assert_eq!(stored_hash(&value), Some(hash));
    }
}
