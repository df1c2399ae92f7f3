//! The confirm step every operation screen shares (redeem, transfer, donation and pool grant,
//! record, batch, reversal, the kiosk's donation): the operation's dry run — with the city in
//! view, the same decision the commit takes (`city::preview`) — offers a confirm line; a second
//! Enter commits it, here, or off the UI thread when the city service is asked
//! (`Effect::CityCommit`): a server that does not answer never holds a key, and Esc leaves
//! while it is asked.

use crate::bank::{Bank, Committed, Op};
use crate::city::{CityLink, Reach, SpendError};
use crate::domain::Actor;
use crate::i18n::Text;
use crate::tui::contract::{Cx, Status, Step};
use crate::tui::keymap::Action;

/// The dry run's answer with the city in view (`city::preview`, the same decision the commit
/// takes): `Ok(0)` when this counter's share covers it, `Ok(m)` when `m` minutes would come from
/// the card's city pool (which, as last pulled, holds them), or the refusal (`Text::spend_error`
/// says where the hours are, and what would help).
pub fn preview(cx: &Cx, op: &Op) -> Result<u64, SpendError> {
    crate::city::preview(cx.bank, cx.city, &cx.session.actor, op)
}

/// An operation its dry run accepted, waiting for the second Enter (with what the screen's
/// confirm line shows of it, `T`), and then for its commit.
#[derive(Debug, Clone)]
pub struct Confirm<T> {
    pending: Option<(Op, T)>,
    asking: bool,
}

impl<T> Default for Confirm<T> {
    fn default() -> Self {
        Confirm { pending: None, asking: false }
    }
}

/// What a key did to the confirm step.
pub enum Answer {
    /// Esc while the city is asked: the screen is left; the commit goes on, and the status
    /// line will say how it ended.
    Leave,
    /// Committed here, or refused: for the screen's `finish`.
    Done(Result<Committed, String>),
    /// Nothing more for the screen to do: this step is the answer.
    Step(Step),
}

impl<T> Confirm<T> {
    /// Puts `op` up for confirmation (its dry run accepted it).
    pub fn offer(&mut self, op: Op, shown: T) {
        self.pending = Some((op, shown));
    }

    /// The operation waiting for confirmation, and what its confirm line shows.
    pub fn pending(&self) -> Option<(&Op, &T)> {
        self.pending.as_ref().map(|(op, shown)| (op, shown))
    }

    /// The commit waits for the city service.
    pub fn is_asking(&self) -> bool {
        self.asking
    }

    /// A key while an operation is up for confirmation or its commit is asked; `None` when
    /// neither (the key is the screen's own).
    pub fn on_key(&mut self, action: Option<Action>, cx: &Cx) -> Option<Answer> {
        if self.asking {
            return Some(if action == Some(Action::Back) { Answer::Leave } else { Answer::Step(Step::Stay) });
        }
        self.pending.as_ref()?;
        Some(match action {
            Some(Action::Submit) => self.commit(cx),
            Some(Action::Back) => {
                self.pending = None;
                Answer::Step(Step::Stay)
            }
            _ => Answer::Step(Step::Stay),
        })
    }

    /// Commits the pending operation: done here (offline, no city, nothing to ask), or handed
    /// to the city off the UI thread — then the screen shows it is asking, and gets the
    /// result in its `finish` (or, left meanwhile, the status line says it).
    pub fn commit(&mut self, cx: &Cx) -> Answer {
        let url = cx.config.sync.background_url();
        self.commit_with(cx.bank, cx.city, url.as_deref(), &cx.session.actor, cx.t)
    }

    /// [`Confirm::commit`] for a screen with no staff session (the kiosk): the bank, the city
    /// as last seen and its URL, and who acts, given.
    pub fn commit_with(
        &mut self,
        bank: &Bank,
        city: Reach,
        url: Option<&str>,
        actor: &Actor,
        t: &Text,
    ) -> Answer {
        let Some((op, _)) = &self.pending else { return Answer::Step(Step::Stay) };
        // Only a spend (a grant, short here) and a deposit (the card's day elsewhere) ask.
        let asks = op.spends() || matches!(op, Op::Deposit(_));
        let link = match (city, url) {
            (Reach::Online, Some(_)) if asks => {
                self.asking = true;
                return Answer::Step(Step::CityCommit(op.clone()));
            }
            (Reach::Offline, Some(_)) => CityLink::Unreachable,
            _ => CityLink::None,
        };
        Answer::Done(run(bank, link, actor, t, op))
    }

    /// The commit has ended, for a form that says nothing more: back to the page it came from
    /// saying it saved, or the refusal in the status line (the form stays).
    pub fn back_or_refused(&mut self, cx: &mut Cx, result: Result<Committed, String>) -> Step {
        self.finish();
        match result {
            Ok(done) => {
                *cx.status = Status::Saved(done.events.last().map_or(0, |e| e.seq()));
                Step::Back
            }
            Err(e) => {
                *cx.status = Status::Error(e);
                Step::Stay
            }
        }
    }

    /// The commit has ended (or the screen gave up on it): what was confirmed, for the
    /// screen's `finish`.
    pub fn finish(&mut self) -> Option<(Op, T)> {
        self.asking = false;
        self.pending.take()
    }
}

/// Commits `op` with the city at `link`: what `Confirm::commit` does here, and the effect's
/// thread does online. A refusal in words.
pub fn run(bank: &Bank, link: CityLink<'_>, actor: &Actor, t: &Text, op: &Op) -> Result<Committed, String> {
    crate::city::execute(bank, link, actor, None, op).map_err(|e| t.spend_error(&e))
}

/// The minutes and grant of the city pool an operation spent, for its receipt.
pub fn from_city(done: &Committed) -> Option<(u64, String)> {
    done.events.iter().find_map(|e| match e.kind() {
        crate::domain::EventKind::RightsGranted { minutes, grant, .. } => {
            Some((u64::from(minutes.get()), grant.clone()))
        }
        _ => None,
    })
}
