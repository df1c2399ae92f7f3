//! What a screen may know of the app: the context it handles keys in ([`Cx`]) and draws in
//! ([`Vx`]), the status line, and what it asks for after a key ([`Step`], [`Route`]). Screens
//! import this, never `app.rs`; the app imports the screens. One direction, no circle.

use chrono::{DateTime, Local};

use super::config::Config;
use super::i18n::{Lang, Text};
use super::receipt::Receipt;
use super::theme::Theme;
use crate::bank::{Bank, VolunteerView};
use crate::domain::{ActivityId, Actor, Staff, VolunteerId};
use crate::search::SearchIndex;

/// The last thing the status line says about the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ready,
    Saved(u64),
    Info(String),
    Error(String),
}

/// Who is logged in.
pub struct Session {
    pub staff: Staff,
    pub actor: Actor,
}

/// What the counter remembers between volunteers, so the usual case is a few keys.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    pub last_activity: Option<ActivityId>,
}

/// Everything a screen may use while handling a key.
pub struct Cx<'a> {
    pub bank: &'a Bank,
    pub session: &'a Session,
    pub t: &'static Text,
    pub index: &'a mut Option<SearchIndex>,
    pub memory: &'a mut Memory,
    pub status: &'a mut Status,
    pub config: &'a Config,
    /// The city server as the background sync last found it (see `SyncView::city`).
    pub city: crate::city::Reach,
}

/// What a screen asks the app to do after a key. Screens never build one another: they name
/// the screen they want as a [`Route`], and the app (`app/router.rs`) builds it and keeps the
/// navigation stack — Esc on a form pops it, back to the page it was opened from.
pub enum Step {
    Stay,
    /// Open a screen over this one; `Back` from it returns here.
    Push(Route),
    /// Back to the screen below this one (read afresh: `Screen::resume`).
    Back,
    /// This screen gives way to another at the same depth (a redemption to its receipt).
    Replace(Route),
    /// Back to the find screen, the bottom of the stack, empty: the next volunteer.
    Home,
    Print(String),
    /// Ask the city service for its record of this card (answered off the UI thread).
    AskCity(crate::domain::CardNo),
    /// Ask the city service what this card's points pool holds (answered off the UI thread,
    /// to the exchange screen if it is still in front).
    AskPointsPool(crate::domain::CardNo),
    /// Ask the city service for its cards in conflict (answered off the UI thread, to the
    /// conflicts screen if it is still in front).
    AskConflicts,
    /// Ask the city service to issue a card's certificate for these days (answered off the UI
    /// thread, to the certificate page if it is still in front).
    AskCertificate(crate::domain::CardNo, crate::domain::Day, crate::domain::Day),
    /// Commit this with the city (off the UI thread); the screen shows it is asking and is
    /// given the result (`Screen::city_committed`) if it still is.
    CityCommit(crate::bank::Op),
    /// Redeem a reward for points with the city (off the UI thread: short here, the card's
    /// city pool is asked); answered like `CityCommit`.
    CityRedeemPoints(crate::bank::Redemption),
    /// New counter settings (already validated) and perhaps a new name: the app writes the
    /// settings file, journals the changes and applies them.
    Configure(Box<Config>, Option<crate::domain::Name>),
}

/// Everything a screen may read while drawing.
pub struct Vx<'a> {
    pub theme: &'a Theme,
    pub t: &'static Text,
    pub now: DateTime<Local>,
    pub lang: Lang,
    pub counter: &'a str,
    pub demo_login: Option<&'a (String, String)>,
    pub index_ready: bool,
    pub city: crate::city::Reach,
}

/// A screen to open, by what it shows: the app builds it (reading what it needs) and says in
/// the status line why, when it cannot.
#[derive(Debug, Clone)]
pub enum Route {
    /// A volunteer's page.
    Volunteer(VolunteerId),
    /// Recording hours for this volunteer.
    Record(Box<VolunteerView>),
    Redeem(Box<VolunteerView>),
    Transfer(Box<VolunteerView>),
    /// The volunteer gives hours to the donation pool.
    Donate(Box<VolunteerView>),
    /// An admin grants pool hours to the volunteer.
    GrantFromPool(Box<VolunteerView>),
    /// Registering a new volunteer, the card filled in when known.
    Register(Option<String>),
    /// Correcting a volunteer's registration.
    EditVolunteer(Box<VolunteerView>),
    Certificate(VolunteerId),
    Receipt(Box<Receipt>),
    Batch,
    /// The next item waiting for an admin's review.
    Review,
    Reports,
    Admin,
    /// Cards registered as different people, as the city service lists them (admins).
    Conflicts,
    /// The coupon batches of this counter (admins).
    Coupons,
    /// The exchange day's queue: points cards, coupons, goods priced in points.
    Exchange,
}
