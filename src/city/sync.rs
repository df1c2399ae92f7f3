//! One sync (push this counter's new events, then pull everyone else's), with retries for
//! what may pass (a dropped connection, a server restarting, SQLSTATE 40001), and the
//! counter's background loop that runs it every few seconds off the UI thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{CityError, PullError, Pulled, PushError, Pushed, Server};
use crate::bank::Bank;
use crate::domain::Minutes;

/// What a sync took of the city's directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Taken {
    /// Cards whose directory fields or balances changed.
    pub cards: usize,
    /// Of those, the cards a search finds differently: new, or another name or phone tail.
    pub listed: usize,
    /// The city-wide position this counter's copy is as of.
    pub position: u64,
    /// This sync dropped the store's copy of other counters' journals (kept from before the
    /// directory): how many counters and events.
    pub dropped: Option<(u32, u64)>,
}

/// What one sync did.
#[derive(Debug)]
pub struct Synced {
    pub pushed: Pushed,
    pub pulled: Pulled,
    /// The city's directory as this sync took it (through the service; nothing otherwise).
    pub directory: Taken,
    /// Grant rows the server holds for this counter that it never asked for: reported, never
    /// credited (see `settle`).
    pub refused_grants: Vec<String>,
}

impl Synced {
    /// Everything this sync refused and went on without: other counters' chains stopped at a
    /// bad row, grant rows nobody here asked for.
    pub fn refusals(&self) -> Vec<String> {
        let mut out: Vec<String> = self.pulled.stopped.iter().map(ToString::to_string).collect();
        out.extend(self.refused_grants.iter().cloned());
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Connect(CityError),
    /// The city service could not be reached or refused (before push or pull began).
    #[error(transparent)]
    Service(super::ClientError),
    #[error(transparent)]
    Push(#[from] PushError),
    #[error(transparent)]
    Pull(#[from] PullError),
}

impl SyncError {
    /// Whether the same sync may succeed if tried again (see [`CityError::transient`]).
    pub fn transient(&self) -> bool {
        match self {
            SyncError::Connect(e)
            | SyncError::Push(PushError::City(e))
            | SyncError::Pull(PullError::City(e)) => e.transient(),
            SyncError::Push(PushError::Service(e))
            | SyncError::Pull(PullError::Service(e))
            | SyncError::Service(e) => e.transient(),
            _ => false,
        }
    }
}

impl Server {
    /// Settle (journal grants never journalled here, hand shares above `float` to the city
    /// pools), push, then pull. Each goes on from where the server and this store are, so
    /// running it again after any failure completes what was left.
    pub fn sync(&mut self, bank: &Bank, float: Minutes) -> Result<Synced, SyncError> {
        let refused_grants = match bank.counter_code().map_err(PushError::Bank)? {
            Some(code) => self.settle(bank, code.as_str(), float)?.refused,
            None => Vec::new(),
        };
        let pushed = self.push(bank)?;
        // The push found the server's chain of this counter to be this store's: nothing of
        // it is missing here, so spending is safe again after a restore.
        bank.caught_up_with_city().map_err(PushError::Bank)?;
        let pulled = self.pull(bank, &pushed.code)?;
        Ok(Synced { pushed, pulled, directory: Taken::default(), refused_grants })
    }
}

/// Tries `attempt` up to `tries` times while its failure is transient, waiting `first`, then
/// twice as long each time (capped at a minute).
pub fn with_retries<T>(
    tries: u32,
    first: Duration,
    mut attempt: impl FnMut() -> Result<T, SyncError>,
) -> Result<T, SyncError> {
    let mut wait = first;
    let mut left = tries.max(1);
    loop {
        match attempt() {
            Err(e) if e.transient() && left > 1 => {
                left -= 1;
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(60));
            }
            other => return other,
        }
    }
}

/// Connects to `url` and syncs, retried as [`with_retries`] says: through the city service
/// for an `https://` URL (a plain `http://` one only on this machine), else straight to the
/// database (the way counters synced before the service).
pub fn sync_url(url: &str, bank: &Bank, tries: u32, float: Minutes) -> Result<Synced, SyncError> {
    sync_url_telling(url, bank, tries, float, |_| {})
}

/// [`sync_url`], telling `progress` each page of a join. One sync through the city service:
/// hand every share above `float` to the pools (journalled here; the service applies it to
/// the pools when it stores the push), push, take the directory.
pub fn sync_url_telling(
    url: &str,
    bank: &Bank,
    tries: u32,
    float: Minutes,
    progress: impl FnMut(super::JoinProgress) + Send + Clone + 'static,
) -> Result<Synced, SyncError> {
    if !super::is_service_url(url) {
        return Err(SyncError::Service(super::ClientError::DatabaseUrl(database_url_refused())));
    }
    with_retries(tries, Duration::from_millis(500), || {
        ServiceSync::new(url, bank)?.on_join_progress(progress.clone()).sync(bank, float)
    })
}

/// What a counter configured with a database URL is told: counters reach the city through its
/// service now, never with a database login.
pub fn database_url_refused() -> String {
    // The URL itself is not repeated: it may hold the database password.
    "the configured city URL is a database's: counters reach the city through its service now, holding a key instead of a database login. Have this counter enrolled (`hourbank code show` here, then `hourbank city enroll CODE KEY` by the city's admin) and set [sync] url to the service, e.g. https://city.example:7443".to_string()
}

/// A counter's syncs through the city service, round after round: one client (its key read
/// once, its connection kept), this counter's head on the service as last pushed, and the last
/// seq whose shares were looked at, so a round looks only at the volunteers entries since then
/// moved. A round starts with the city's directory past this counter's position (one range
/// read on the service, which also says where this counter's chain ends there); with nothing
/// to push, that is all an idle round asks. A counter holds the directory and balances of the
/// city, never other counters' events (need to know).
pub struct ServiceSync {
    client: super::CityClient,
    released_through: Option<u64>,
    rounds: u64,
    refused_grants: Vec<String>,
    /// This counter's head on the service, as this session last pushed it.
    head: Option<super::wire::Head>,
    /// Told each page of a join.
    progress: Box<dyn FnMut(super::JoinProgress) + Send>,
}

/// Every this many rounds (and on the first) a round asks the service for grants this counter
/// never journalled: one whose answer was lost is healed within it.
const GRANTS_EVERY: u64 = 30;

impl ServiceSync {
    pub fn new(url: &str, bank: &Bank) -> Result<ServiceSync, SyncError> {
        let client = super::CityClient::new(url, bank).map_err(SyncError::Service)?;
        Ok(ServiceSync {
            client,
            released_through: None,
            rounds: 0,
            refused_grants: Vec::new(),
            head: None,
            progress: Box::new(|_| {}),
        })
    }

    /// Tells `progress` each page of a join (the command line's bar, the counter's header).
    pub fn on_join_progress(mut self, progress: impl FnMut(super::JoinProgress) + Send + 'static) -> Self {
        self.progress = Box::new(progress);
        self
    }

    /// Cards per answer (tests make pages small to have many).
    pub fn with_page(mut self, cards: usize) -> Self {
        self.client.set_page(cards);
        self
    }

    /// How long this session's rounds waited for the service, all together.
    pub fn waited(&self) -> Duration {
        self.client.waited()
    }

    pub fn sync(&mut self, bank: &Bank, float: Minutes) -> Result<Synced, SyncError> {
        let client = &self.client;
        let (position, _) = bank.city_position().map_err(PushError::Bank)?;
        let mut cards = client.cards(position).map_err(SyncError::Service)?;
        // The service's word on this counter's head, with the directory; else as this session
        // last pushed (a service that sends none: this counter pushes from the start).
        let listed = cards.head.take().or_else(|| self.head.clone());
        // A restored store first takes back what it had pushed after its backup. It asks the
        // service itself while it is marked restored.
        let restored = bank.city_catch_up().map_err(PushError::Bank)?.is_some();
        let behind = listed.as_ref().is_none_or(|h| h.seq > bank.last_seq().unwrap_or(0));
        if restored || behind {
            client.catch_up_own(bank)?;
        }
        if self.rounds.is_multiple_of(GRANTS_EVERY) {
            let grants = client.unjournalled_grants().map_err(SyncError::Service)?;
            let settled = super::escrow::heal(bank, grants).map_err(PushError::Bank)?;
            self.refused_grants = settled.refused;
        }
        self.rounds += 1;
        let (_, through) = bank
            .release_to_city(&crate::domain::Actor::Sync, float, self.released_through)
            .map_err(PushError::Bank)?;
        bank.release_points_to_city(&crate::domain::Actor::Sync, self.released_through)
            .map_err(PushError::Bank)?;
        self.released_through = Some(through);
        let pushed = match listed {
            Some(head) if !restored => {
                if bank.last_seq().map_err(PushError::Bank)? > head.seq {
                    client.push_from(bank, head)?
                } else {
                    super::Pushed { code: client.code().to_string(), from: head.seq, to: head.seq }
                }
            }
            _ => client.push(bank)?,
        };
        self.head = Some(own_head(bank, pushed.to)?);
        // The service holds nothing of this counter's chain this store lacks: spending is safe.
        bank.caught_up_with_city().map_err(PushError::Bank)?;
        // Need to know: the city's directory and balances, never other counters' events.
        let (mut cards, mut listed) = client.take_cards(bank, position, cards, &mut self.progress)?;
        // The directory was asked for before the push: a push that registered or edited a card
        // may have put that card in conflict, or settled it — the counter that did it hears
        // now, not a round later (a round that registered nobody asks nothing more).
        if bank.registered_between(pushed.from, pushed.to).map_err(PushError::Bank)? {
            let (after, _) = bank.city_position().map_err(PushError::Bank)?;
            let again = client.cards(after).map_err(SyncError::Service)?;
            let (more, renamed) = client.take_cards(bank, after, again, &mut self.progress)?;
            (cards, listed) = (cards + more, listed + renamed);
        }
        bank.mark_city_pulled().map_err(PushError::Bank)?;
        // A store that pulled other counters' events before the directory gives them up now.
        let dropped = bank.drop_city_copy(&crate::domain::Actor::Sync).map_err(PushError::Bank)?;
        let (position, _) = bank.city_position().map_err(PushError::Bank)?;
        let refused_grants = std::mem::take(&mut self.refused_grants);
        let directory = Taken { cards, listed, position, dropped };
        Ok(Synced { pushed, pulled: Pulled::default(), directory, refused_grants })
    }
}

/// This counter's head on the service once it pushed to `seq`: its own event there.
fn own_head(bank: &Bank, seq: u64) -> Result<super::wire::Head, PushError> {
    if seq == 0 {
        return Ok(super::wire::Head { seq, hash: vec![0; 32] });
    }
    let (_, value) = bank.stored_events_from(seq).next().transpose()?.ok_or(PushError::Damaged(seq))?;
    let hash = crate::bank::StoredEvent::split(&value).ok_or(PushError::Damaged(seq))?.hash();
    Ok(super::wire::Head { seq, hash: hash.to_vec() })
}

/// What the background loop tells the counter after each round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStatus {
    /// Pushed this many events and took this many volunteers a search finds differently
    /// (events pulled, or cards of the directory new or renamed); `stopped` names what was
    /// refused.
    Done { pushed: u64, pulled: u64, stopped: Vec<String> },
    /// The round failed; the loop tries again after `retry_in`.
    Failed { message: String, retry_in: Duration },
    /// A join is under way: the city's directory taken this far.
    Joining(super::JoinProgress),
}

/// The counter's background sync: a thread that syncs every `every`, and at once when this
/// counter commits something (but not while backing off after a failure: then it waits the
/// backoff out), and stops when dropped.
pub struct Background {
    stop: Arc<AtomicBool>,
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Background {
    pub fn spawn(
        url: String,
        bank: Arc<Bank>,
        every: Duration,
        float: Minutes,
        report: impl Fn(SyncStatus) -> bool + Send + Sync + 'static,
    ) -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut backoff = every;
            let mut session: Option<ServiceSync> = None;
            let report = Arc::new(report);
            while !stopped.load(Ordering::Relaxed) {
                let round = if super::is_service_url(&url) {
                    match session.take() {
                        Some(s) => Ok(s),
                        None => ServiceSync::new(&url, &bank).map(|s| {
                            let report = report.clone();
                            s.on_join_progress(move |p| {
                                report(SyncStatus::Joining(p));
                            })
                        }),
                    }
                    .and_then(|mut s| {
                        let r = s.sync(&bank, float);
                        // After a failure the next round starts afresh (every share looked at).
                        if r.is_ok() {
                            session = Some(s);
                        }
                        r
                    })
                } else {
                    Err(SyncError::Service(super::ClientError::DatabaseUrl(database_url_refused())))
                };
                let (status, wait) = match round {
                    Ok(done) => {
                        backoff = every;
                        let status = SyncStatus::Done {
                            pushed: done.pushed.to - done.pushed.from,
                            pulled: done.pulled.events() + done.directory.listed as u64,
                            stopped: done.refusals(),
                        };
                        (status, every)
                    }
                    Err(e) => {
                        backoff = (backoff * 2).min(Duration::from_secs(300));
                        (SyncStatus::Failed { message: e.to_string(), retry_in: backoff }, backoff)
                    }
                };
                if !report(status) {
                    return;
                }
                // A new entry here goes out at once (within a tenth of a second), not at the
                // next tick: the rest of the city sees it as soon as it pulls.
                let pushed_up_to = bank.last_seq().unwrap_or(0);
                let healthy = wait == every;
                sleep_unless(&stopped, wait, || healthy && bank.last_seq().is_ok_and(|s| s > pushed_up_to));
            }
        });
        Background { stop }
    }
}

/// Sleeps `total` in short steps, returning early once `stop` is set or `wake` says so.
fn sleep_unless(stop: &AtomicBool, total: Duration, wake: impl Fn() -> bool) {
    let step = Duration::from_millis(100);
    let mut slept = Duration::ZERO;
    while slept < total && !stop.load(Ordering::Relaxed) && !wake() {
        std::thread::sleep(step.min(total - slept));
        slept += step;
    }
}
