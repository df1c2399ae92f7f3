//! `hourbank restore --from-city`: a lost counter rebuilt from the city service alone — its own
//! events, as far as its own key's signatures vouch for them, replayed through every check a
//! backup's restore runs. The key is the one the city's admins kept, put back beside the store.

use std::path::{Path, PathBuf};

use super::{CityClient, ClientError};
use crate::bank::{BackupError, CounterKey, RestoreReport, counter_key_path};
use crate::domain::{CounterCode, Timestamp};

#[derive(Debug, thiserror::Error)]
pub enum RestoreFromCityError {
    #[error(
        "there is no counter key at {}: put the key of this counter kept with the city's admins there (chmod 400), then run this again",
        .0.display()
    )]
    NoKey(PathBuf),
    #[error("the counter key: {0}")]
    Key(String),
    #[error("counter {0} is not in this city")]
    NotInCity(String),
    #[error("the key at {} is not counter {code}'s enrolled key ({why}); nothing was restored", .path.display())]
    NotItsKey { path: PathBuf, code: String, why: String },
    #[error(
        "counter {0}'s key was revoked: have the city's admin enroll a key for the rebuilt counter first"
    )]
    Revoked(String),
    #[error("the city holds no events of counter {0}")]
    Nothing(String),
    #[error(transparent)]
    Service(#[from] ClientError),
    #[error(transparent)]
    Restore(#[from] BackupError),
}

/// Rebuilds counter `code` at `target` from the service at `url`, signing with the key beside
/// `target`. `target` is replaced only with `force` (the old store kept beside it).
pub fn restore_from_city(
    url: &str,
    code: &CounterCode,
    target: &Path,
    force: bool,
    now: Timestamp,
) -> Result<RestoreReport, RestoreFromCityError> {
    let path = counter_key_path(target);
    let key = CounterKey::load(target)
        .map_err(|e| RestoreFromCityError::Key(e.to_string()))?
        .ok_or_else(|| RestoreFromCityError::NoKey(path.clone()))?;
    let code = code.to_string();
    let client = CityClient::with_key(url, code.clone(), key)?;
    let listed = client.counters().map_err(|e| match e {
        ClientError::Refused(r) if r.code == super::wire::refusal::REVOKED => {
            RestoreFromCityError::Revoked(code.clone())
        }
        ClientError::Refused(r) if r.code == super::wire::refusal::UNAUTHENTICATED => {
            let why = format!("the service refused its signature: {}", r.message);
            RestoreFromCityError::NotItsKey { path: path.clone(), code: code.clone(), why }
        }
        other => other.into(),
    })?;
    let entry = listed
        .counters
        .iter()
        .find(|c| c.code == code)
        .ok_or_else(|| RestoreFromCityError::NotInCity(code.clone()))?;
    if entry.key.as_deref() != Some(client.public_key().as_str()) {
        let why = format!("enrolled: {}", entry.key.as_deref().unwrap_or("none"));
        return Err(RestoreFromCityError::NotItsKey { path, code, why });
    }
    let head = client.head()?.seq;
    if head == 0 {
        return Err(RestoreFromCityError::Nothing(code));
    }
    let events = OwnEvents { client: &client, head, after: 0, page: Vec::new().into_iter() };
    Ok(crate::bank::restore_records(events, target, force, now)?)
}

/// This counter's events #1..=head from the service, a page at a time.
struct OwnEvents<'a> {
    client: &'a CityClient,
    head: u64,
    after: u64,
    page: std::vec::IntoIter<(u64, Vec<u8>)>,
}

impl Iterator for OwnEvents<'_> {
    type Item = Result<(u64, Vec<u8>), BackupError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some((seq, stored)) = self.page.next() {
            self.after = seq;
            return Some(Ok((seq, stored)));
        }
        if self.after >= self.head {
            return None;
        }
        let refused = |why: String| BackupError::Refused(why);
        match self.client.own_rows_after(self.after) {
            Err(e) => {
                self.head = self.after;
                Some(Err(refused(format!("fetching the counter's events after #{}: {e}", self.after))))
            }
            Ok(rows) if rows.is_empty() => {
                let seq = self.after + 1;
                self.head = self.after;
                Some(Err(refused(format!(
                    "the city's event {} #{seq} carries no valid signature of the counter's key; nothing was restored",
                    self.client.code()
                ))))
            }
            Ok(rows) => {
                self.page = rows.into_iter();
                self.next()
            }
        }
    }
}
