//! The one place values become bytes: bincode 2 (standard config, size-limited) behind a version
//! byte. A value that does not decode is an error naming its tree and key, never a panic.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Format version written before every value. A future format gets a new number and is read
/// beside this one.
pub const VALUE_VERSION: u8 = 1;

/// Largest value we will encode or decode. The largest real record is a busy volunteer's
/// account (totals plus a delta-encoded list of their entries, 1–3 bytes each): 16 MiB holds
/// millions of entries. A corrupt length prefix still cannot make the decoder allocate more
/// than the bytes it was given plus serde's 1 MiB pre-allocation cap.
pub const DECODE_LIMIT: usize = 16 * 1024 * 1024;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode the value at {tree}/{key}: {detail}")]
pub struct CodecError {
    pub tree: &'static str,
    pub key: String,
    pub detail: String,
}

/// Encodes a value for storage: the version byte, then the value. Encoding our own types
/// cannot fail short of a bug, which surfaces as an error value rather than a panic.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    out.push(VALUE_VERSION);
    encode_bare(value, &mut out)?;
    Ok(out)
}

/// Appends the value without the version byte (the bytes the journal hash covers). Refuses a
/// value `decode` would refuse to read back, so nothing unreadable is ever stored.
pub fn encode_bare<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let fail = |detail: String| CodecError { tree: "(encode)", key: String::new(), detail };
    let start = out.len();
    bincode::serde::encode_into_std_write(value, out, config()).map_err(|e| fail(e.to_string()))?;
    let written = out.len() - start;
    if written > DECODE_LIMIT {
        out.truncate(start);
        return Err(fail(format!("a {written}-byte value is over the {DECODE_LIMIT}-byte limit")));
    }
    Ok(())
}

/// [`encode`] with another version byte: for a record whose layout changed, written in its
/// new layout and read beside the old (see `records::AccountRecord`).
pub fn encode_as<T: Serialize>(version: u8, value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = encode(value)?;
    out[0] = version;
    Ok(out)
}

/// A stored value's version byte and body, for a record read in more than one layout.
pub fn split_version<'b>(
    tree: &'static str,
    key: &[u8],
    bytes: &'b [u8],
) -> Result<(u8, &'b [u8]), CodecError> {
    let (&version, body) = bytes.split_first().ok_or_else(|| CodecError {
        tree,
        key: describe_key(key),
        detail: "empty value".into(),
    })?;
    Ok((version, body))
}

/// Decodes a body [`split_version`] gave: all of it, or with `prefix` its leading fields only.
pub fn decode_body<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    body: &[u8],
    prefix: bool,
) -> Result<T, CodecError> {
    let fail = |detail: String| CodecError { tree, key: describe_key(key), detail };
    if body.len() > DECODE_LIMIT {
        return Err(fail(format!("{} bytes is over the {DECODE_LIMIT}-byte limit", body.len())));
    }
    let (value, used) = bincode::serde::decode_from_slice(body, config()).map_err(|e| fail(e.to_string()))?;
    if !prefix && used != body.len() {
        return Err(fail(format!("{} trailing bytes", body.len() - used)));
    }
    Ok(value)
}

/// A version byte no reader here knows.
pub fn unknown_version(tree: &'static str, key: &[u8], version: u8) -> CodecError {
    CodecError { tree, key: describe_key(key), detail: format!("unknown format version {version}") }
}

/// Decodes a stored value, checking the version byte and that every byte was consumed.
pub fn decode<T: DeserializeOwned>(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<T, CodecError> {
    let fail = |detail: String| CodecError { tree, key: describe_key(key), detail };
    let (&version, body) = bytes.split_first().ok_or_else(|| fail("empty value".into()))?;
    if version != VALUE_VERSION {
        return Err(fail(format!("unknown format version {version}")));
    }
    if body.len() > DECODE_LIMIT {
        return Err(fail(format!("{} bytes is over the {DECODE_LIMIT}-byte limit", body.len())));
    }
    let (value, used) = bincode::serde::decode_from_slice(body, config()).map_err(|e| fail(e.to_string()))?;
    if used != body.len() {
        return Err(fail(format!("{} trailing bytes", body.len() - used)));
    }
    Ok(value)
}

/// Decodes the leading fields of a stored value, ignoring what follows. For reading the
/// totals at the front of an account record without decoding its history.
pub fn decode_prefix<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, CodecError> {
    let fail = |detail: String| CodecError { tree, key: describe_key(key), detail };
    let (&version, body) = bytes.split_first().ok_or_else(|| fail("empty value".into()))?;
    if version != VALUE_VERSION {
        return Err(fail(format!("unknown format version {version}")));
    }
    bincode::serde::decode_from_slice(body, config()).map(|(v, _)| v).map_err(|e| fail(e.to_string()))
}

/// Keys are shown as a number when they are one (8 bytes), else as text or hex.
pub fn describe_key(key: &[u8]) -> String {
    if let Ok(bytes) = <[u8; 8]>::try_from(key) {
        return u64::from_be_bytes(bytes).to_string();
    }
    match std::str::from_utf8(key) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => s.to_string(),
        _ => key.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bad_bytes() {
        let bytes = encode(&("陈华佩".to_string(), 750u32)).unwrap();
        let back: (String, u32) = decode("t", b"k", &bytes).unwrap();
        assert_eq!(back, ("陈华佩".to_string(), 750));

        assert!(decode::<u32>("t", b"k", &[]).is_err());
        assert!(decode::<u32>("t", b"k", &[9, 1]).is_err(), "unknown version");
        let mut trailing = encode(&5u32).unwrap();
        trailing.push(0);
        let err = decode::<u32>("volunteers", &7u64.to_be_bytes(), &trailing).unwrap_err();
        assert_eq!(err.tree, "volunteers");
        assert_eq!(err.key, "7");
        assert!(err.detail.contains("trailing"));
    }

    #[test]
    fn a_busy_volunteers_history_round_trips_and_oversized_values_are_never_written() {
        let mut record = crate::store::records::AccountRecord::default();
        for seq in (1..=200_000u64).map(|i| i * 37) {
            record.push(seq);
        }
        let bytes = encode(&record).unwrap();
        let back: crate::store::records::AccountRecord = decode("accounts", b"k", &bytes).unwrap();
        assert_eq!(back, record);
        assert!(encode(&vec![7u8; DECODE_LIMIT + 1]).is_err());
        let mut big = vec![VALUE_VERSION];
        big.extend(std::iter::repeat_n(b'a', DECODE_LIMIT + 1));
        let err = decode::<String>("volunteers", &7u64.to_be_bytes(), &big).unwrap_err();
        assert!(err.detail.contains("limit"), "{err}");
    }

    #[test]
    fn a_huge_length_prefix_is_refused_without_allocating() {
        // version, then a string whose varint length claims 2^32 bytes.
        let bytes = [VALUE_VERSION, 252, 0, 0, 0, 1];
        assert!(decode::<String>("t", b"k", &bytes).is_err());
    }
}
