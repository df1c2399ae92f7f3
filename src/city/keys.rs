//! Counters' keys on the city's database: enrollment and revocation by the city's admin
//! (`hourbank city enroll|revoke`, with the admin's database login), and what the service
//! looks up for every request: the key, and whether a request's nonce was seen.
//!
//! An enrollment is signed by the city's key (`hourbank city keygen`), which the admins keep
//! off the database's machine; the service, `city check` and every counter take a counter's key
//! only where that signature holds. Whoever holds the database alone can neither swap a key
//! nor move an enrollment head (to pass unsigned rows as pushed before enrollment).

use ed25519_dalek::{SigningKey, VerifyingKey};

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
    /// The city key's signature over this enrollment, if it has one.
    pub enrollment: Option<Vec<u8>>,
}

impl EnrolledKey {
    /// Whether the city's key `city` signed this enrollment of counter `code`.
    pub fn vouched_by(&self, code: &str, city: &VerifyingKey) -> bool {
        super::wire::vouched(city, code, &self.key, self.enrolled_head, self.enrollment.as_deref())
    }
}

/// What a request's nonce showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nonce {
    /// New: recorded, the request goes on.
    Fresh,
    /// Seen before: the request is a replay.
    Seen,
    /// The counter's key is revoked (nothing recorded).
    Revoked,
}

impl Nonce {
    pub(super) fn of(revoked: bool, fresh: bool) -> Nonce {
        match (revoked, fresh) {
            (true, _) => Nonce::Revoked,
            (false, true) => Nonce::Fresh,
            (false, false) => Nonce::Seen,
        }
    }
}

/// What `enroll` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrolled {
    New {
        head: u64,
    },
    /// The same key was enrolled and signed by this city key before: nothing changed.
    Already,
    /// The same key was enrolled before without this city key's signature (before the city had
    /// a key): it is signed now, its enrollment head unchanged.
    Signed {
        head: u64,
    },
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

/// The nonces of a batch of requests, recorded where new (see `Server::nonces`).
const NONCES: &str = "WITH asked AS (
         SELECT DISTINCT counter, nonce FROM unnest($1::TEXT[], $2::TEXT[]) AS a(counter, nonce)),
     fresh AS (
         INSERT INTO hb_nonces (counter, nonce)
         SELECT a.counter, a.nonce FROM asked a
         JOIN hb_keys k ON k.counter = a.counter AND k.revoked_at IS NULL
         ON CONFLICT (counter, nonce) DO NOTHING RETURNING counter, nonce)
     SELECT a.counter, a.nonce, k.revoked_at IS NOT NULL,
            EXISTS (SELECT 1 FROM fresh f WHERE f.counter = a.counter AND f.nonce = a.nonce)
     FROM asked a JOIN hb_keys k ON k.counter = a.counter";

impl Server {
    /// Enrolls `key` as counter `code`'s, the enrollment signed by the city's key `city`. The
    /// same key again changes nothing (or adds the signature an enrollment made before the city
    /// had a key lacks); another key for a counter enrolled before is refused (a replaced
    /// machine gets a new code: the old key's signatures must stay verifiable).
    pub fn enroll(
        &mut self,
        code: &CounterCode,
        key: &VerifyingKey,
        city: &SigningKey,
    ) -> Result<Enrolled, CityError> {
        use ed25519_dalek::Signer;
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
            .query_opt(
                "SELECT public_key, enrolled_head, enrollment FROM hb_keys WHERE counter = $1",
                &[&code],
            )
            .map_err(sql("the counter's key"))?;
        if let Some(row) = before {
            let known: Vec<u8> = row.get(0);
            if known.as_slice() == key.as_bytes() {
                let enrolled = EnrolledKey {
                    key: *key,
                    revoked: false,
                    enrolled_head: row.get::<_, i64>(1) as u64,
                    enrollment: row.get(2),
                };
                if enrolled.vouched_by(code, &city.verifying_key()) {
                    return Ok(Enrolled::Already);
                }
                let message = super::wire::enrollment_message(code, key, enrolled.enrolled_head);
                tx.execute(
                    "UPDATE hb_keys SET enrollment = $2 WHERE counter = $1",
                    &[&code, &city.sign(&message).to_bytes().to_vec()],
                )
                .map_err(sql("the counter's enrollment"))?;
                tx.commit().map_err(sql("the enrollment"))?;
                return Ok(Enrolled::Signed { head: enrolled.enrolled_head });
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
        let signature = city.sign(&super::wire::enrollment_message(code, key, head as u64)).to_bytes();
        tx.execute(
            "INSERT INTO hb_keys (counter, public_key, enrolled_head, enrollment) VALUES ($1, $2, $3, $4)",
            &[&code, &key.as_bytes().to_vec(), &head, &signature.to_vec()],
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
                "SELECT public_key, revoked_at IS NOT NULL, enrolled_head, enrollment FROM hb_keys WHERE counter = $1",
                &[&code],
            )
            .map_err(sql("the counter's key"))?;
        let Some(row) = row else { return Ok(None) };
        let key = parse_key(row.get(0))?;
        Ok(Some(EnrolledKey {
            key,
            revoked: row.get(1),
            enrolled_head: row.get::<_, i64>(2) as u64,
            enrollment: row.get(3),
        }))
    }

    /// For each `(counter, nonce)` of requests, in order: whether the counter's key is revoked,
    /// and whether the nonce is new for it (recorded if so, unless revoked); `None` when the
    /// counter is not enrolled. One statement for them all (the service batches every request
    /// but a grant, whose own statement records its nonce). A pair asked twice in one batch is
    /// fresh once and seen after.
    ///
    /// The service's nonce connection sets `synchronous_commit = off` once: a crash of the
    /// database may forget the last moment's nonces, and a request replayed after that is one
    /// the service answered already (a push then finds its rows stored, a read changes
    /// nothing).
    pub fn nonces(&mut self, asked: &[(&str, &str)]) -> Result<Vec<Option<Nonce>>, CityError> {
        let (counters, nonces): (Vec<&str>, Vec<&str>) = asked.iter().copied().unzip();
        let statement = self.prepared(NONCES).map_err(sql("the requests' nonces"))?;
        let rows =
            self.client().query(&statement, &[&counters, &nonces]).map_err(sql("the requests' nonces"))?;
        // Each pair's first ask takes what the statement found; a later one is a replay.
        let mut first: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
        for (i, pair) in asked.iter().enumerate() {
            first.entry(*pair).or_insert(i);
        }
        let mut answers: Vec<Option<Nonce>> = vec![None; asked.len()];
        for r in &rows {
            if let Some(&i) = first.get(&(r.get::<_, &str>(0), r.get::<_, &str>(1))) {
                answers[i] = Some(Nonce::of(r.get(2), r.get(3)));
            }
        }
        for (i, pair) in asked.iter().enumerate() {
            let by = first[pair];
            if by != i {
                answers[i] = match answers[by] {
                    Some(Nonce::Fresh) => Some(Nonce::Seen),
                    other => other,
                };
            }
        }
        Ok(answers)
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
