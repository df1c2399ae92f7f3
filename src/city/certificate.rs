//! Service certificates across the city (志愿服务证明, issue 25): a counter in a city asks the
//! service, which states what every counter recorded for the card — from the report rows, by
//! activity and by counter — records what it stated and to which rows, and answers a code typed
//! at any counter by computing it again from those same rows. A counter that does not sync (or
//! is offline) issues its own, checked against its own journal (`bank::certificate`).

use rand::Rng;

use super::wire::{CertificateRequest, CityCertificate};
use super::{CityClient, CityError, ClientError, Server};
use crate::bank::Certificate;
use crate::domain::{CardNo, Day};

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

/// The card's service at every counter for the days `$2..=$3`, net of reversals, by activity
/// and counter, credited and served: each counter's rows up to its head in `$4`/`$5` (all of them with nulls).
const SERVICE_OF_ROWS: &str = "SELECT coalesce(e.activity, ''), e.counter, sum(e.minutes)::BIGINT,
            sum(coalesce(e.served, e.minutes))::BIGINT
     FROM hb_entries e
     WHERE e.card = $1 AND (e.kind = 'deposit' OR e.reverses = 'deposit')
       AND e.served_on BETWEEN $2 AND $3
       AND ($4::TEXT[] IS NULL OR EXISTS (
           SELECT 1 FROM unnest($4::TEXT[], $5::BIGINT[]) AS h (c, s) WHERE h.c = e.counter AND e.seq <= h.s))
     GROUP BY 1, 2";

/// What a certificate code names: the card, the days, the serial and the random part.
struct Code {
    card: CardNo,
    from: Day,
    to: Day,
    serial: i64,
    mac: String,
}

impl Code {
    /// A city certificate's code as a person types it (spaces anywhere, either case);
    /// `None`: not one (a counter's own certificate has a plain number where this has `C…`).
    fn parse(code: &str) -> Option<Code> {
        let code = crate::bank::typed_code(code);
        let parts: Vec<&str> = code.rsplitn(5, '-').collect();
        let [mac, serial, to, from, card] = parts.as_slice() else { return None };
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y%m%d").ok().map(Day::from_date);
        Some(Code {
            card: CardNo::parse(card).ok()?,
            from: day(from)?,
            to: day(to)?,
            serial: serial.strip_prefix('C')?.parse().ok()?,
            mac: mac.to_string(),
        })
    }

    /// The certificate this code names, stating `stated` (what it says at issue, and what a
    /// verification recomputes).
    fn certificate(
        &self,
        name: String,
        stated: Stated,
        issued_by: String,
        issued_at: chrono::DateTime<chrono::Utc>,
    ) -> CityCertificate {
        CityCertificate {
            code: self.text(),
            serial: self.serial as u64,
            card: self.card.to_string(),
            name,
            from: self.from.to_string(),
            to: self.to.to_string(),
            by_activity: stated.by_activity,
            by_counter: stated.by_counter,
            total: stated.total,
            issued_by,
            issued_at: issued_at.to_rfc3339(),
            served: Some(stated.served),
        }
    }

    fn text(&self) -> String {
        let compact = |d: Day| d.date().format("%Y%m%d").to_string();
        format!("{}-{}-{}-C{}-{}", self.card, compact(self.from), compact(self.to), self.serial, self.mac)
    }
}

/// Whether `code` is a city certificate's (verified by the service, not a counter's journal).
pub fn is_city_certificate(code: &str) -> bool {
    Code::parse(code).is_some()
}

/// Why the service did not issue or confirm a certificate.
#[derive(Debug, thiserror::Error)]
pub enum CityCertificateError {
    #[error(transparent)]
    City(#[from] CityError),
    #[error("the city issued no certificate with this code")]
    Unknown,
    #[error("the city's report rows no longer give what the certificate states: it cannot be trusted")]
    Altered,
    #[error("card {0} is not in the city's directory")]
    UnknownCard(String),
}

impl Server {
    /// Issues card `card`'s certificate for `from..=to` at counter `counter`'s request: computed
    /// from every counter's report rows up to each one's last row for the card, recorded with
    /// those heads.
    pub fn issue_certificate(
        &mut self,
        counter: &str,
        card: &CardNo,
        from: Day,
        to: Day,
    ) -> Result<CityCertificate, CityCertificateError> {
        // The heads fix which rows it counts: rows pushed meanwhile come after them.
        let client = self.client();
        let name: String = client
            .query_opt("SELECT name FROM hb_cards WHERE card = $1", &[&card.as_str()])
            .map_err(sql("the card"))?
            .ok_or_else(|| CityCertificateError::UnknownCard(card.to_string()))?
            .get(0);
        let heads = client
            .query(
                "SELECT counter, max(seq) FROM hb_entries WHERE card = $1 GROUP BY counter ORDER BY counter",
                &[&card.as_str()],
            )
            .map_err(sql("the report rows"))?;
        let counters: Vec<String> = heads.iter().map(|r| r.get(0)).collect();
        let seqs: Vec<i64> = heads.iter().map(|r| r.get(1)).collect();
        let (from_d, to_d) = (from.date(), to.date());
        let rows = client
            .query(SERVICE_OF_ROWS, &[&card.as_str(), &from_d, &to_d, &counters, &seqs])
            .map_err(sql("the report rows"))?;
        let stated = stated(&rows);
        let total = stated.total;
        let mac = data_encoding::BASE32_NOPAD.encode(&rand::rng().random::<[u8; 5]>());
        let mut tries = 0;
        let row = loop {
            let inserted = self.client().query_one(
                "INSERT INTO hb_certificates (number, mac, card, served_from, served_to, name, heads, head_seqs, total, issued_by)
                 SELECT coalesce(max(number), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM hb_certificates
                 RETURNING number, issued_at",
                &[&mac, &card.as_str(), &from_d, &to_d, &name, &counters, &seqs, &(total as i64), &counter],
            );
            match inserted {
                Ok(row) => break row,
                // Another issue took that serial a moment ago: the next one.
                Err(e) if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) && tries < 5 => {
                    tries += 1
                }
                Err(e) => return Err(CityError::of("the certificate", e).into()),
            }
        };
        let serial: i64 = row.get(0);
        let issued_at: chrono::DateTime<chrono::Utc> = row.get(1);
        let code = Code { card: card.clone(), from, to, serial, mac };
        Ok(code.certificate(name, stated, counter.to_string(), issued_at))
    }

    /// The certificate `code` names, computed again from the rows it was issued from: refused
    /// when no such certificate was issued, or the rows no longer give what it stated.
    pub fn verify_certificate(&mut self, code: &str) -> Result<CityCertificate, CityCertificateError> {
        let code = Code::parse(code).ok_or(CityCertificateError::Unknown)?;
        let issued = self
            .client()
            .query_opt(
                "SELECT name, heads, head_seqs, total, issued_by, issued_at FROM hb_certificates
                 WHERE number = $1 AND mac = $2 AND card = $3 AND served_from = $4 AND served_to = $5",
                &[&code.serial, &code.mac, &code.card.as_str(), &code.from.date(), &code.to.date()],
            )
            .map_err(sql("the certificate"))?
            .ok_or(CityCertificateError::Unknown)?;
        let (counters, seqs): (Vec<String>, Vec<i64>) = (issued.get(1), issued.get(2));
        let rows = self
            .client()
            .query(
                SERVICE_OF_ROWS,
                &[&code.card.as_str(), &code.from.date(), &code.to.date(), &counters, &seqs],
            )
            .map_err(sql("the report rows"))?;
        let stated = stated(&rows);
        if stated.total != issued.get::<_, i64>(3) as u64 {
            return Err(CityCertificateError::Altered);
        }
        let issued_at: chrono::DateTime<chrono::Utc> = issued.get(5);
        Ok(code.certificate(issued.get(0), stated, issued.get(4), issued_at))
    }
}

/// What a certificate states: minutes by activity (largest first), by counter (code order), and
/// the total.
struct Stated {
    by_activity: Vec<(String, u64)>,
    by_counter: Vec<(String, u64)>,
    total: u64,
    /// The minutes served behind the total (the same where no rule shaped a deposit).
    served: u64,
}

/// The rows of [`SERVICE_OF_ROWS`] as a certificate states them; nothing negative (a reversal
/// nets with its deposit).
fn stated(rows: &[postgres::Row]) -> Stated {
    use std::collections::BTreeMap;
    let mut by_activity: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_counter: BTreeMap<String, i64> = BTreeMap::new();
    let mut served = 0i64;
    for r in rows {
        let (activity, counter, minutes): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
        *by_activity.entry(activity).or_default() += minutes;
        *by_counter.entry(counter).or_default() += minutes;
        served += r.get::<_, i64>(3);
    }
    let positive = |m: BTreeMap<String, i64>| -> Vec<(String, u64)> {
        m.into_iter().filter(|(_, v)| *v > 0).map(|(k, v)| (k, v as u64)).collect()
    };
    let mut by_activity = positive(by_activity);
    by_activity.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total = by_activity.iter().map(|(_, m)| m).sum();
    Stated { by_activity, by_counter: positive(by_counter), total, served: served.max(0) as u64 }
}

impl CityClient {
    /// Asks the service for card `card`'s certificate across the city for `from..=to`.
    pub fn issue_certificate(
        &self,
        card: &CardNo,
        from: Day,
        to: Day,
    ) -> Result<CityCertificate, ClientError> {
        let request =
            CertificateRequest { card: card.to_string(), from: from.to_string(), to: to.to_string() };
        let body = serde_json::to_vec(&request).map_err(|e| ClientError::Url(e.to_string()))?;
        Self::answer(&self.call("POST", "/v1/certificates", &body)?)
    }

    /// Asks the service whether it issued the certificate `code` names, and what it states now.
    pub fn verify_certificate(&self, code: &str) -> Result<CityCertificate, ClientError> {
        let code = crate::bank::typed_code(code);
        Self::answer(&self.call("GET", &format!("/v1/certificates?code={code}"), b"")?)
    }
}

/// A city certificate as the certificate page prints it; `None` when the service's answer does
/// not read as one (a card, days and a time that are not).
pub fn as_certificate(c: &CityCertificate) -> Option<Certificate> {
    let issued = chrono::DateTime::parse_from_rfc3339(&c.issued_at).ok()?;
    Some(Certificate {
        card: CardNo::parse(&c.card).ok()?,
        name: c.name.clone(),
        from: Day::parse(&c.from).ok()?,
        to: Day::parse(&c.to).ok()?,
        by_activity: c.by_activity.clone(),
        total: c.total,
        counter: c.issued_by.clone(),
        as_of: c.serial,
        as_of_time: crate::domain::Timestamp::from_datetime(issued.with_timezone(&chrono::Utc)),
        code: c.code.clone(),
        by_counter: c.by_counter.clone(),
        served: c.served.unwrap_or(c.total),
    })
}
