//! A backup's, a report's and the upgrade's read of the whole journal copy: streamed in chunks
//! of whole records while a second thread re-computes the hash chain of every record and
//! proves it ends at sled's head hash — which, with blake3, proves every byte is the journal.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::journal_copy::{CopyExtent, CopyRefused};
use super::journal_index::{Chain, record_values};
use super::stored::{StoredEvent, is_value_len};

/// Streams records `1..=extent.last_seq` from the copy into `out` in chunks of about 1 MiB of
/// whole records, while a second thread re-computes the hash chain of every record and checks
/// that it ends at `last_hash` (sled's hash of the last event). On an error the caller must
/// discard whatever `out` received.
pub(super) fn stream_verified(
    path: &Path,
    extent: CopyExtent,
    last_hash: &[u8; 32],
    out: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<(), CopyRefused> {
    let file = File::open(path)?;
    if file.metadata()?.len() < extent.len {
        // The copy is shorter than recorded.
        return Err(CopyRefused::Mismatch);
    }
    std::thread::scope(|scope| {
        let (to_verify, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        let (recycle, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        let verifier = scope.spawn(move || {
            let mut chain = Chain::START;
            for chunk in chunks {
                verify_chunk(&mut chain, &chunk)?;
                let _ = recycle.send(chunk);
            }
            Ok::<_, CopyRefused>(chain)
        });
        let fed = feed(file, extent.len, out, &to_verify, &recycled);
        drop(to_verify);
        // The verifier failed.
        let chain = verifier.join().unwrap_or(Err(CopyRefused::Mismatch))?;
        fed?;
        if chain.records != extent.last_seq || &chain.prev != last_hash {
            // The copy does not end at sled's head.
            return Err(CopyRefused::Mismatch);
        }
        Ok(())
    })
}

/// Reads `len` bytes of `file` in blocks, cuts them at record boundaries, hands each chunk of
/// whole records to `out` and then to the verifier. Stops early if the verifier has stopped.
fn feed(
    mut file: File,
    len: u64,
    mut out: impl FnMut(&[u8]) -> std::io::Result<()>,
    to_verify: &std::sync::mpsc::SyncSender<Vec<u8>>,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<(), CopyRefused> {
    const BLOCK: usize = 1 << 20;
    let mut remaining = len;
    let mut carry: Vec<u8> = Vec::new();
    while remaining > 0 {
        let mut chunk = recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(BLOCK + carry.len()));
        chunk.clear();
        chunk.extend_from_slice(&carry);
        let start = chunk.len();
        let n = usize::try_from(remaining.min(BLOCK as u64)).unwrap_or(BLOCK);
        chunk.resize(start + n, 0);
        file.read_exact(&mut chunk[start..])?;
        remaining -= n as u64;
        let whole = whole_records(&chunk)?;
        if remaining == 0 && whole != chunk.len() {
            // The copy ends inside a record.
            return Err(CopyRefused::Mismatch);
        }
        carry.clear();
        carry.extend_from_slice(&chunk[whole..]);
        chunk.truncate(whole);
        if chunk.is_empty() {
            continue; // one record longer than a block: read on
        }
        out(&chunk)?;
        if to_verify.send(chunk).is_err() {
            break; // the verifier found a mismatch and will say which
        }
    }
    Ok(())
}

/// The length of the longest prefix of `bytes` made of whole records.
fn whole_records(bytes: &[u8]) -> Result<usize, CopyRefused> {
    let mut at = 0;
    while let Some(len) = bytes.get(at..at + 4) {
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if !is_value_len(len as u64) {
            // A record length is out of range.
            return Err(CopyRefused::Mismatch);
        }
        if at + 4 + len > bytes.len() {
            break;
        }
        at += 4 + len;
    }
    Ok(at)
}

/// Checks every record of a chunk of whole records, carrying `chain` on: each stored hash must
/// be the link of the previous hash and the record's body (as `stored::encode_event` made it).
fn verify_chunk(chain: &mut Chain, chunk: &[u8]) -> Result<(), CopyRefused> {
    for value in record_values(chunk) {
        // The hash chain breaks (or the record is not in the current layout).
        let Some(stored) = StoredEvent::split(value).filter(|s| s.follows(&chain.prev)) else {
            return Err(CopyRefused::Mismatch);
        };
        chain.prev = stored.hash();
        chain.records += 1;
    }
    Ok(())
}
