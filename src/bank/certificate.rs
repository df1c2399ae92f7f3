//! Service certificates (志愿服务证明): a volunteer's hours by activity for a date range, as the
//! journal stood at one entry, with a verification code anyone holding a copy of the store
//! (a backup restored elsewhere, say) can check.
//!
//! The code is `CARD-FROM-TO-SEQ-MAC`: who, which days, as of which journal entry, and 8
//! base32 characters of blake3 over the hash of entry SEQ and the certificate's numbers.
//! Verifying re-walks the hash chain up to SEQ (so any altered entry before it fails), recomputes
//! the numbers as of SEQ, and compares the MAC.

use std::collections::BTreeMap;

use super::{Bank, BankError};
use crate::domain::{ActivityId, CardNo, Day, EventKind, Rule, Timestamp, VolunteerId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub card: CardNo,
    pub name: String,
    pub from: Day,
    pub to: Day,
    /// Minutes by activity name, largest first.
    pub by_activity: Vec<(String, u64)>,
    pub total: u64,
    pub counter: String,
    /// The journal entry the certificate describes the ledger at: its serial number.
    pub as_of: u64,
    pub as_of_time: Timestamp,
    pub code: String,
    /// Minutes by counter, for a certificate the city issued (empty for a counter's own).
    pub by_counter: Vec<(String, u64)>,
    /// The minutes served behind `total` (credited): other than it where a multiplier,
    /// rounding or the per-entry cap shaped deposits. A city's certificate states credited
    /// hours only (equal here).
    pub served: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("{0:?} is not a certificate code (CARD-YYYYMMDD-YYYYMMDD-SEQ-CODE)")]
    Malformed(String),
    #[error("this store has no journal entry {0}: it is older than the certificate")]
    TooNew(u64),
    #[error("the journal is altered at or before entry {0}: the certificate cannot be trusted")]
    Altered(u64),
    #[error("the code does not match: the certificate was altered, or is not from this bank")]
    Mismatch,
    #[error(transparent)]
    Bank(#[from] BankError),
}

fn compact(day: Day) -> String {
    day.date().format("%Y%m%d").to_string()
}

fn parse_compact(text: &str) -> Option<Day> {
    chrono::NaiveDate::parse_from_str(text, "%Y%m%d").ok().map(Day::from_date)
}

impl Bank {
    /// The days a certificate covers by default: all of the volunteer's service, from the
    /// earlier of their registration and their first service date (a deposit may be dated
    /// before the volunteer was registered) to today. So the certificate's total is what the
    /// volunteer's page calls earned.
    pub fn whole_service(&self, card: &CardNo) -> Result<(Day, Day), BankError> {
        let view = self.find_card(card)?;
        let mut from = view.volunteer.registered_on;
        let mut to = self.today();
        for line in self.history(view.id)? {
            if let EventKind::Deposited { served_on, .. } = line.event.kind() {
                from = from.min(*served_on);
                to = to.max(*served_on);
            }
        }
        Ok((from, to))
    }

    /// The certificate for `card` and the days `from..=to`, as the journal stands now.
    pub fn certificate(&self, card: &CardNo, from: Day, to: Day) -> Result<Certificate, BankError> {
        if from > to {
            return Err(crate::domain::DomainError::Date(format!("{from} > {to}")).into());
        }
        let as_of = self.store.head()?.next_seq.saturating_sub(1);
        self.certificate_as_of(card, from, to, as_of)
    }

    fn certificate_as_of(
        &self,
        card: &CardNo,
        from: Day,
        to: Day,
        as_of: u64,
    ) -> Result<Certificate, BankError> {
        let view = self.find_card(card)?;
        let mut by_activity: BTreeMap<ActivityId, u64> = BTreeMap::new();
        let mut served = 0u64;
        for line in self.history(view.id)? {
            if line.seq > as_of {
                break;
            }
            let EventKind::Deposited { activity, minutes, served_on, .. } = line.event.kind() else {
                continue;
            };
            let reversed = line.reversed_by.is_some_and(|by| by <= as_of);
            if !reversed && (from..=to).contains(served_on) {
                *by_activity.entry(*activity).or_default() += u64::from(minutes.get());
                served += self.served_behind(line.seq, *minutes)?;
            }
        }
        let names: BTreeMap<ActivityId, String> =
            self.activities()?.into_iter().map(|(id, a)| (id, a.name.to_string())).collect();
        let mut by_activity: Vec<(String, u64)> = by_activity
            .into_iter()
            .map(|(id, m)| (names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")), m))
            .collect();
        by_activity.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total = by_activity.iter().map(|(_, m)| m).sum();
        let anchor = self.event(as_of)?;
        let mac = mac(&anchor.hash, view.id, card, from, to, &by_activity);
        Ok(Certificate {
            card: card.clone(),
            name: view.volunteer.name.to_string(),
            from,
            to,
            by_activity,
            total,
            counter: self.store.counter_name()?.unwrap_or_else(|| self.counter.clone()),
            as_of,
            as_of_time: anchor.body.at,
            code: format!("{card}-{}-{}-{as_of}-{mac}", compact(from), compact(to)),
            by_counter: Vec::new(),
            served,
        })
    }

    /// The minutes served behind the deposit at `seq`, which credited `credited`.
    fn served_behind(&self, seq: u64, credited: crate::domain::Minutes) -> Result<u64, BankError> {
        Ok(super::city_rows::served_behind(self, seq, credited)?.unwrap_or(u64::from(credited.get())))
    }

    /// Checks a certificate code against this store: the hash chain up to its entry is intact,
    /// and the numbers recomputed as of that entry give the same code. Returns the certificate.
    pub fn verify_certificate(&self, code: &str) -> Result<Certificate, CertificateError> {
        let code = typed_code(code);
        let code = code.as_str();
        let malformed = || CertificateError::Malformed(code.to_string());
        let parts: Vec<&str> = code.rsplitn(5, '-').collect();
        let [_mac, seq, to, from, card] = parts.as_slice() else { return Err(malformed()) };
        let card = CardNo::parse(card).map_err(|_| malformed())?;
        let (from, to) =
            (parse_compact(from).ok_or_else(malformed)?, parse_compact(to).ok_or_else(malformed)?);
        let as_of: u64 = seq.parse().map_err(|_| malformed())?;
        let head = self.store.head().map_err(BankError::from)?.next_seq.saturating_sub(1);
        if as_of == 0 || as_of > head {
            return Err(CertificateError::TooNew(as_of));
        }
        self.verify_chain_to(as_of)?;
        let certificate = self.certificate_as_of(&card, from, to, as_of).map_err(|e| match e {
            BankError::Rule(Rule::UnknownCard(_)) => CertificateError::Mismatch,
            other => other.into(),
        })?;
        if certificate.code != code {
            return Err(CertificateError::Mismatch);
        }
        Ok(certificate)
    }

    /// Recomputes the hash chain over the stored bytes of entries `1..=as_of`.
    fn verify_chain_to(&self, as_of: u64) -> Result<(), CertificateError> {
        let mut prev = [0u8; 32];
        for (expected, item) in (1u64..).zip(self.store.journal_raw()) {
            let (seq, value) = match item {
                Ok(record) => record,
                // A record cut short is an alteration as much as a changed byte.
                Err(crate::store::StoreError::Damaged { .. }) => {
                    return Err(CertificateError::Altered(expected));
                }
                Err(e) => return Err(BankError::from(e).into()),
            };
            let stored = crate::store::StoredEvent::split(&value).filter(|_| seq == expected);
            let Some(stored) = stored else { return Err(CertificateError::Altered(expected)) };
            if !stored.follows(&prev) {
                return Err(CertificateError::Altered(seq));
            }
            prev = stored.hash();
            if seq == as_of {
                return Ok(());
            }
        }
        Err(CertificateError::TooNew(as_of))
    }
}

/// A certificate code as a person types what is printed: spaces and line breaks anywhere,
/// either case. Every code, a counter's or the city's, is read through this.
pub fn typed_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()
}

/// 8 base32 characters of blake3 over everything the certificate states, anchored to the hash
/// of the entry it is "as of".
fn mac(
    anchor: &[u8; 32],
    volunteer: VolunteerId,
    card: &CardNo,
    from: Day,
    to: Day,
    by: &[(String, u64)],
) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"hourbank certificate v1\0");
    h.update(anchor);
    h.update(&volunteer.to_be_bytes());
    h.update(card.as_str().as_bytes());
    h.update(b"\0");
    h.update(compact(from).as_bytes());
    h.update(compact(to).as_bytes());
    for (name, minutes) in by {
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(&minutes.to_be_bytes());
    }
    data_encoding::BASE32_NOPAD.encode(&h.finalize().as_bytes()[..5])
}
