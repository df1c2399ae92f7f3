//! The counter's side of the background sync: what the last round said, for the header, and
//! what a round that brought other counters' events makes the counter do (re-index them).

use crate::city::Reach;
use chrono::Local;

use super::{App, Effect, Status};
use crate::city::{JoinProgress, SyncStatus};
use crate::domain::Timestamp;
use crate::i18n::fill;
use crate::tui::app::Vx;

/// What the header says about the sync, once it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncView {
    /// When a round last finished with every counter pulled.
    pub last_ok: Option<Timestamp>,
    /// The last round's failure (or the counter whose rows were refused), until one succeeds.
    pub failure: Option<String>,
    /// Whether the last round reached the server (a round that reached it and found a
    /// counter's rows refused did).
    pub reachable: bool,
    /// A join under way: the city's directory taken this far (until the round ends).
    pub joining: Option<JoinProgress>,
}

/// The city server as a sync view says: no view, no sync.
pub(crate) fn city_of(sync: &Option<SyncView>) -> Reach {
    match sync {
        None => Reach::None,
        Some(v) if v.reachable || (v.last_ok.is_none() && v.failure.is_none()) => Reach::Online,
        Some(_) => Reach::Offline,
    }
}

impl App {
    /// The background sync started: the header shows it from now on.
    pub fn sync_started(&mut self) {
        self.sync.get_or_insert_with(SyncView::default);
    }

    pub(super) fn on_synced(&mut self, status: SyncStatus) -> Vec<Effect> {
        let now = Timestamp::from_datetime((self.clock)());
        let view = self.sync.get_or_insert_with(SyncView::default);
        view.joining = None;
        match status {
            SyncStatus::Joining(progress) => {
                view.joining = Some(progress);
                Vec::new()
            }
            SyncStatus::Done { pulled, stopped, .. } => {
                view.reachable = true;
                if stopped.is_empty() {
                    view.last_ok = Some(now);
                    view.failure = None;
                } else {
                    view.failure = Some(stopped.join("; "));
                }
                if let Some(bank) = &self.bank {
                    self.screen.city_moved(bank);
                }
                // Volunteers registered elsewhere are found by the search once indexed.
                if pulled > 0 { vec![Effect::BuildIndex] } else { Vec::new() }
            }
            SyncStatus::Failed { message, .. } => {
                view.reachable = false;
                // Why, in the status line: when it is new, and never over a staff message.
                let new = view.failure.as_deref() != Some(message.as_str());
                if new && self.status == Status::Ready {
                    self.status = Status::Info(fill(self.lang.text().sync_failed_because, &[&message]));
                }
                view.failure = Some(message);
                Vec::new()
            }
        }
    }

    /// The city server as the background sync last found it.
    pub fn city(&self) -> Reach {
        city_of(&self.sync)
    }

    /// "synced 14:05", "sync failed", or nothing when this counter does not sync.
    pub(super) fn sync_label(&self, vx: &Vx) -> Option<(String, bool)> {
        let view = self.sync.as_ref()?;
        if let Some(p) = view.joining {
            return Some(match p.total {
                Some(total) => {
                    let percent = (p.taken.saturating_mul(100) / total.max(1)).min(100);
                    (fill(vx.t.sync_joining, &[&percent]), false)
                }
                None => (fill(vx.t.sync_joining_count, &[&p.taken]), false),
            });
        }
        let when = view.last_ok.map(|at| at.datetime().with_timezone(&Local).format("%H:%M").to_string());
        Some(match (&view.failure, when) {
            (None, Some(when)) => (fill(vx.t.sync_last, &[&when]), false),
            (None, None) => (vx.t.sync_running.to_string(), false),
            (Some(_), Some(when)) => (fill(vx.t.sync_failed_since, &[&when]), true),
            (Some(_), None) => (vx.t.sync_failed.to_string(), true),
        })
    }
}
