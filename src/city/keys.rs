//! Counters' keys on the city's database: enrollment and revocation by the city's admin
//! (`hourbank city enroll|revoke`, with the admin's database login), and what the service
//! looks up for every request: the key, and whether a request's nonce was seen.

use ed25519_dalek::VerifyingKey;

use super::{CityError, Server};
use crate::domain::CounterCode;

const ZERO: [u8; 32] = [0; 32];

/// A counter's enrolled key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolledKey {
    pub key: VerifyingKey,
    pub revoked: bool,
    /// The counter's head on the server at enrollment: events up to it were pushed before
    /// signatures (verified by their chain alone).
    pub enrolled_head: u64,
}

/// What `enroll` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrolled {
    New {
        head: u64,
    },
    /// The same key was enrolled before: nothing changed.
    Already,
}

fn parse_key(bytes: Vec<u8>) -> Result<VerifyingKey, CityError> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .ok()
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| CityError::Failed { what: "the counter's key", message: "not an ed25519 key".into() })
}

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

impl Server {
    /// Enrolls `key` as counter `code`'s. The same key again changes nothing; another key for a
    /// counter enrolled before is refused (a replaced machine gets a new code: the old key's
    /// signatures must stay verifiable).
    pub fn enroll(&mut self, code: &CounterCode, key: &VerifyingKey) -> Result<Enrolled, CityError> {
        let code = code.as_str();
        let mut tx = self.client().transaction().map_err(sql("a transaction"))?;
        tx.execute(
            "INSERT INTO hb_counters (code, name) VALUES ($1, $1) ON CONFLICT (code) DO NOTHING",
            &[&code],
        )
        .map_err(sql("the counter's row"))?;
        tx.execute(
            "INSERT INTO hb_events (counter, seq, prev_hash, hash, stored) VALUES ($1, 0, $2, $2, $3) ON CONFLICT (counter, seq) DO NOTHING",
            &[&code, &ZERO.to_vec(), &Vec::<u8>::new()],
        )
        .map_err(sql("the counter's genesis"))?;
        let before = tx
            .query_opt("SELECT public_key FROM hb_keys WHERE counter = $1", &[&code])
            .map_err(sql("the counter's key"))?;
        if let Some(row) = before {
            let known: Vec<u8> = row.get(0);
            if known.as_slice() == key.as_bytes() {
                return Ok(Enrolled::Already);
            }
            return Err(CityError::Refused {
                what: "the enrollment",
                code: "HB001".into(),
                message: format!(
                    "counter {code} is enrolled with another key; a replaced counter gets a new code (revoke the old one)"
                ),
            });
        }
        let head: i64 = tx
            .query_one("SELECT max(seq) FROM hb_events WHERE counter = $1", &[&code])
            .map_err(sql("the counter's head"))?
            .get(0);
        tx.execute(
            "INSERT INTO hb_keys (counter, public_key, enrolled_head) VALUES ($1, $2, $3)",
            &[&code, &key.as_bytes().to_vec(), &head],
        )
        .map_err(sql("the counter's key"))?;
        tx.commit().map_err(sql("the enrollment"))?;
        Ok(Enrolled::New { head: head as u64 })
    }

    /// Revokes counter `code`'s key: the service refuses it from now on; its past events stay
    /// valid. `false` when it was not enrolled (or revoked already).
    pub fn revoke(&mut self, code: &CounterCode) -> Result<bool, CityError> {
        let n = self
            .client()
            .execute(
                "UPDATE hb_keys SET revoked_at = now() WHERE counter = $1 AND revoked_at IS NULL",
                &[&code.as_str()],
            )
            .map_err(sql("the revocation"))?;
        Ok(n == 1)
    }

    /// Counter `code`'s key, if enrolled.
    pub fn enrolled_key(&mut self, code: &str) -> Result<Option<EnrolledKey>, CityError> {
        let row = self
            .client()
            .query_opt(
                "SELECT public_key, revoked_at IS NOT NULL, enrolled_head FROM hb_keys WHERE counter = $1",
                &[&code],
            )
            .map_err(sql("the counter's key"))?;
        let Some(row) = row else { return Ok(None) };
        let bytes: Vec<u8> = row.get(0);
        let key = <[u8; 32]>::try_from(bytes.as_slice())
            .ok()
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| CityError::Failed {
                what: "the counter's key",
                message: "not an ed25519 key".into(),
            })?;
        Ok(Some(EnrolledKey { key, revoked: row.get(1), enrolled_head: row.get::<_, i64>(2) as u64 }))
    }

    /// Counter `code`'s key, and whether `nonce` is new for it (recorded if so), in one round
    /// trip: what the service asks for every request. The nonce's insert does not wait for the
    /// disk (`synchronous_commit = off`): a crash of the database may forget the last moment's
    /// nonces, and a request replayed after that is one the service answered already (a push
    /// then finds its rows stored, a grant its id taken, a read changes nothing).
    pub fn key_and_nonce(
        &mut self,
        code: &str,
        nonce: &str,
    ) -> Result<Option<(EnrolledKey, bool)>, CityError> {
        let mut tx = self.client().transaction().map_err(sql("a transaction"))?;
        tx.batch_execute("SET LOCAL synchronous_commit = off").map_err(sql("the request's nonce"))?;
        let row = tx
            .query_opt(
                "WITH fresh AS (
                     INSERT INTO hb_nonces (counter, nonce)
                     SELECT counter, $2 FROM hb_keys WHERE counter = $1
                     ON CONFLICT (counter, nonce) DO NOTHING RETURNING 1)
                 SELECT public_key, revoked_at IS NOT NULL, enrolled_head, (SELECT count(*) FROM fresh)
                 FROM hb_keys WHERE counter = $1",
                &[&code, &nonce],
            )
            .map_err(sql("the counter's key"))?;
        tx.commit().map_err(sql("the request's nonce"))?;
        let Some(row) = row else { return Ok(None) };
        let key = parse_key(row.get(0))?;
        let enrolled = EnrolledKey { key, revoked: row.get(1), enrolled_head: row.get::<_, i64>(2) as u64 };
        Ok(Some((enrolled, row.get::<_, i64>(3) == 1)))
    }

    /// Forgets nonces older than `keep_ms` (a request that old is refused by its time anyway).
    pub fn sweep_nonces(&mut self, keep_ms: i64) -> Result<(), CityError> {
        self.client()
            .execute(
                "DELETE FROM hb_nonces WHERE seen_at < now() - ($1::BIGINT * interval '1 second')",
                &[&(keep_ms / 1000)],
            )
            .map_err(sql("the old nonces"))?;
        Ok(())
    }
}
