//! Use cases. Each operation validates, commits one transaction over every tree it touches,
//! flushes, and only then returns the committed events. The TUI and CLI call nothing below this.

mod admin;
mod backup;
mod certificate;
mod check;
mod city;
mod city_balance;
mod city_rows;
mod counter_key;
mod coupons;
mod directory;
mod import;
mod login;
mod op;
mod ops;
mod pepper;
mod plan;
mod points;
mod points_city;
mod pool;
mod query;
mod read;
mod restore;
mod rules;
mod settle;
mod shares;
mod shifts;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Local, Utc};
use serde::Serialize;

/// What a commit wrote (or a dry run would write): the bank's answer to every operation.
pub use crate::store::Committed;
pub use crate::store::PinnedKey;
/// The store's failures and the backup file's, as the bank passes them on: the layers above
/// name them here, never the store itself.
pub use crate::store::StoreError;
pub use crate::store::backup::{BackupError, create_private};
/// The stored event's layout, for readers of the same bytes elsewhere (the city server).
pub use crate::store::{StoredEvent, UpgradeProgress, link_hash, on_upgrade};
pub use backup::{BackupSummary, VerifyReport, verify_backup};
pub use certificate::{Certificate, CertificateError, typed_code};
pub use check::{CheckReport, Problem};
pub use city::{
    CardConflict, CityCounter, CityListing, CityVolunteer, DirectoryCard, DirectoryShare, MAX_EVENT_BYTES,
    OtherVersion, RegistrationConflict, RemoteError,
};
pub use city_balance::{CityBalance, CityBalances, CityPoints};
pub use city_rows::{EntryRow, RowNames};
pub use counter_key::{
    CounterKey, PUBLIC_PREFIX, counter_key_path, create_key_file, parse_public, public_text, read_key_file,
};
pub use coupons::IssuedBatch;
pub use directory::{DirectoryRow, directory_row, registered_volunteer};
pub use import::{ImportError, ImportSummary, RowError, RowProblem, TextColumn};
pub use login::LoginError;
pub use op::{
    Adjustment, BatchDeposit, Commit, Deposit, Donation, Mode, Op, PoolGrant, Redemption, Reversal, Transfer,
};
pub use ops::*;
pub use pepper::{PepperNote, backup_key, pepper_path};
pub use plan::CityGrant;
pub use points::{PointsCredit, PointsView, ResidentForm, WaitingCredit};
pub use points_city::{ChainPoints, POINTS_FLOAT, PointsGrant, PointsMoveRow, PointsRows, points_shortfall};
pub use pool::{PoolLine, PoolView, pool_change};
pub use query::*;
pub use restore::{Provenance, RecoverReport, RestoreReport, recover, restore, restore_records};
pub use rules::{Expiry, ExpiryPlan, HeldDeposit};
pub use settle::{CardMove, OtherPerson};
pub use shares::{Asking, Healing, shortfall};
pub use shifts::{CheckOut, EndedShift, ShiftInReview};

use crate::domain::ledger::ApplyError;
use crate::domain::{Actor, Day, DomainError, Name, Role, Rule, StaffId, Timestamp};
use crate::store::{CommitContext, CommitError, OpenMode, Pending, Store, TxFail, TxView};

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error(transparent)]
    Rule(#[from] Rule),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DomainError> for BankError {
    fn from(e: DomainError) -> Self {
        BankError::Rule(Rule::Invalid(e))
    }
}

impl From<CommitError> for BankError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Rule(r) => BankError::Rule(r),
            CommitError::Store(s) => BankError::Store(s),
        }
    }
}

/// The first of `named(None)`, `named(Some(2))`, `named(Some(3))`, … that does not exist yet:
/// two files made in the same second keep both.
fn first_free(named: impl Fn(Option<u32>) -> std::path::PathBuf) -> std::path::PathBuf {
    let mut path = named(None);
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = named(Some(n));
    }
    path
}

/// What opening the store found wrong with its files' permissions (and fixed): said to the
/// person at the counter or the command line, in their language (`Display` is English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionWarning {
    /// How many of the store's files were readable by others, and one of them.
    pub files: Option<(usize, std::path::PathBuf)>,
    pub key: Option<PepperNote>,
}

impl std::fmt::Display for PermissionWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some((n, first)) = &self.files {
            parts.push(format!(
                "{n} file(s) of the store were readable by other users (e.g. {}); they are now private (0600, folders 0700) — check who changed them",
                first.display()
            ));
        }
        match &self.key {
            Some(PepperNote::Loosened(path)) => parts.push(format!(
                "the PIN key file {} was readable or writable by others; it is 0400 again — check who changed it",
                path.display()
            )),
            Some(PepperNote::Created(path)) => parts.push(format!(
                "there was no PIN key file; a new one was made at {} — PINs set with the old key must be set again (keep the key file safe, apart from the backups)",
                path.display()
            )),
            None => {}
        }
        f.write_str(&parts.join("; "))
    }
}

/// The source of "now". Tests inject a fixed clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub struct Bank {
    store: Store,
    counter: String,
    clock: Clock,
    /// The PIN key, from the key file beside the store.
    pepper: Arc<pepper::Pepper>,
    pepper_note: Option<PepperNote>,
    /// A PIN hash no PIN matches, checked for unknown ids so they cost the time of a real check.
    decoy: Arc<std::sync::OnceLock<String>>,
}

impl Bank {
    /// Opens an initialised store.
    pub fn open(dir: &Path) -> Result<Bank, BankError> {
        let store = Store::open(dir, OpenMode::Existing)?;
        let counter = store.counter_id()?.ok_or_else(|| StoreError::NotInitialized(dir.to_path_buf()))?;
        let (pepper, pepper_note) = pepper::Pepper::load_or_create(dir, true)?;
        Ok(Bank {
            store,
            counter,
            clock: Arc::new(Utc::now),
            pepper: Arc::new(pepper),
            pepper_note,
            decoy: Default::default(),
        })
    }

    /// Creates a store with its counter and first admin. Refuses an initialised store.
    pub fn init(dir: &Path, counter: &Name, admin: NewStaff, who: &Actor) -> Result<Bank, BankError> {
        Bank::init_coded(dir, counter, None, admin, who)
    }

    /// [`Bank::init`] with the counter's registered code, journalled in the same first commit.
    pub fn init_coded(
        dir: &Path,
        counter: &Name,
        code: Option<&crate::domain::CounterCode>,
        admin: NewStaff,
        who: &Actor,
    ) -> Result<Bank, BankError> {
        // Everything that can be refused is refused before anything is created: a failed init
        // leaves no folder and no key file behind.
        crate::domain::check_staff_pin(&admin.pin)?;
        if let Ok(mut entries) = std::fs::read_dir(dir)
            && entries.next().is_some()
            && !dir.join("sled").exists()
        {
            return Err(Rule::NotAStoreDirectory(dir.display().to_string()).into());
        }
        let store = Store::open(dir, OpenMode::CreateIfMissing)?;
        if store.is_initialized()? {
            return Err(Rule::AlreadyInitialized.into());
        }
        let (pepper, _) = pepper::Pepper::load_or_create(dir, false)?;
        let bank = Bank {
            store,
            counter: counter.to_string(),
            clock: Arc::new(Utc::now),
            pepper: Arc::new(pepper),
            pepper_note: None,
            decoy: Default::default(),
        };
        let admin = NewStaff { role: Role::Admin, ..admin };
        let staff = admin.into_staff(&bank)?;
        let ctx = bank.context(who);
        bank.store.commit(&ctx, None, |_| {
            let mut events = vec![
                Pending::from(crate::domain::EventKind::CounterInitialized { name: counter.clone() }),
                Pending::from(crate::domain::EventKind::StaffAdded(staff.clone())),
            ];
            if let Some(code) = code {
                events.push(Pending::from(crate::domain::EventKind::CounterCodeSet { code: code.clone() }));
            }
            Ok(events)
        })?;
        if code.is_some() {
            CounterKey::load_or_create(dir)?;
        }
        Ok(bank)
    }

    /// A bank on a new, empty store in `dir` that is never initialised as a counter: a place to
    /// replay other counters' journals into (what `city check` does), holding nothing of its own.
    pub fn scratch(dir: &Path) -> Result<Bank, BankError> {
        let store = Store::open(dir, OpenMode::CreateIfMissing)?;
        if store.is_initialized()? {
            return Err(Rule::AlreadyInitialized.into());
        }
        let (pepper, _) = pepper::Pepper::load_or_create(dir, false)?;
        Ok(Bank {
            store,
            counter: String::new(),
            clock: Arc::new(Utc::now),
            pepper: Arc::new(pepper),
            pepper_note: None,
            decoy: Default::default(),
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> Bank {
        self.clock = clock;
        self
    }

    /// The store itself, for tests and tools that examine or damage it on purpose. The layers
    /// above the bank read through the bank's own methods (`tests/layers.rs` holds them to it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A warning when the store's files or its PIN key file were readable by other users (they
    /// are fixed now), or when the key file was missing and a new one was made.
    pub fn permission_warning(&self) -> Option<PermissionWarning> {
        let loosened = self.store.loosened_permissions();
        let files = loosened.first().map(|first| (loosened.len(), first.clone()));
        (files.is_some() || self.pepper_note.is_some())
            .then(|| PermissionWarning { files, key: self.pepper_note.clone() })
    }

    /// The PIN key file: to be kept (with the backups' age identity, not with the backups), and
    /// copied beside a store restored onto another machine, or every PIN must be set again.
    pub fn pin_key_path(&self) -> &Path {
        self.pepper.path()
    }

    pub fn counter(&self) -> &str {
        &self.counter
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_datetime((self.clock)())
    }

    /// Today in the counter's local time zone: service dates are local days.
    pub fn today(&self) -> Day {
        Day::from_date((self.clock)().with_timezone(&Local).date_naive())
    }

    fn context(&self, who: &Actor) -> CommitContext {
        CommitContext { at: self.now(), counter: self.counter.clone(), actor: who.clone() }
    }

    /// Commits `plan` as one operation. `request` (with the operation's name) is what an
    /// operation id is bound to.
    fn run<R, F>(
        &self,
        who: &Actor,
        op_id: Option<&str>,
        name: &str,
        request: &R,
        plan: F,
    ) -> Result<Committed, BankError>
    where
        R: Serialize,
        F: Fn(&TxView<'_>) -> Result<Vec<Pending>, ApplyError<TxFail>>,
    {
        let op = match op_id {
            Some(id) => Some((validate_op_id(id)?, digest(name, request)?)),
            None => None,
        };
        Ok(self.store.commit(&self.context(who), op, plan)?)
    }

    /// [`Bank::run`], or with `preview` what `plan` would commit now, every rule applied,
    /// nothing written (see `Store::preview`): the counter's confirm step is the commit's dry run.
    fn run_or_preview<R, F>(
        &self,
        who: &Actor,
        op_id: Option<&str>,
        name: &str,
        request: &R,
        plan: F,
        preview: bool,
    ) -> Result<Committed, BankError>
    where
        R: Serialize,
        F: Fn(&TxView<'_>) -> Result<Vec<Pending>, ApplyError<TxFail>>,
    {
        if preview {
            Ok(self.store.preview(&self.context(who), plan)?)
        } else {
            self.run(who, op_id, name, request, plan)
        }
    }
}

fn validate_op_id(id: &str) -> Result<&str, BankError> {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_graphic());
    if !ok {
        return Err(DomainError::BadText(id.chars().take(20).collect()).into());
    }
    Ok(id)
}

fn digest<R: Serialize>(name: &str, request: &R) -> Result<[u8; 16], BankError> {
    let mut bytes = name.as_bytes().to_vec();
    bytes.push(0);
    crate::store::codec::encode_bare(request, &mut bytes).map_err(StoreError::Corrupt)?;
    let hash = blake3::hash(&bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash.as_bytes()[..16]);
    Ok(out)
}

/// What the acting person may do, checked inside the transaction against the current staff
/// record (a staff member disabled a moment ago can no longer act).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Staff,
    Admin,
    /// A verifier of civic points, or an admin.
    Verifier,
    /// An approver of civic points, or an admin.
    Approver,
}

/// What the sync may do in its own name (`Actor::Sync`): the city pool's moves and dropping an
/// old copy of other counters' journals.
const SYNC_MAY: [&str; 5] = [
    "hand hours to the city",
    "take hours from the city",
    "hand points to the city",
    "take points from the city",
    "drop the copy of other counters' journals",
];

fn require(
    view: &TxView<'_>,
    who: &Actor,
    need: Need,
    what: &'static str,
) -> Result<Role, ApplyError<TxFail>> {
    use crate::domain::LedgerStore;
    match who {
        // The command line runs as the operating-system user who owns the store directory.
        Actor::Cli(_) => Ok(Role::Admin),
        Actor::SelfService => Err(Rule::NotPermitted(what).into()),
        Actor::Sync if SYNC_MAY.contains(&what) => Ok(Role::Staff),
        Actor::Sync => Err(Rule::NotPermitted(what).into()),
        Actor::Staff(id) => {
            let staff = view
                .staff(id)
                .map_err(ApplyError::Store)?
                .ok_or_else(|| Rule::UnknownStaff(id.to_string()))?;
            if staff.disabled {
                return Err(Rule::StaffDisabled(id.to_string()).into());
            }
            if need == Need::Admin && staff.role != Role::Admin {
                return Err(Rule::AdminOnly(what).into());
            }
            let reviewer = |role| staff.role == role || staff.role == Role::Admin;
            if need == Need::Verifier && !reviewer(Role::Verifier) {
                return Err(Rule::Points(crate::domain::PointsRule::NotReviewer { approver: false }).into());
            }
            if need == Need::Approver && !reviewer(Role::Approver) {
                return Err(Rule::Points(crate::domain::PointsRule::NotReviewer { approver: true }).into());
            }
            Ok(staff.role)
        }
    }
}

/// The local calendar day of a moment: service dates, booking days and "today" are local days
/// at the counter. The one place the time zone is asked.
pub fn local_day(at: Timestamp) -> Day {
    Day::from_date(at.datetime().with_timezone(&Local).date_naive())
}

/// The OS user name, for `cli:<user>` actors.
/// The command line's actor: `cli:<the OS user running it>`, looked up by the process's uid
/// in the user database (an environment variable such as `$USER` can be unset, or say
/// anything). A uid with no name there is `cli:uid<N>`.
pub fn cli_actor() -> Actor {
    Actor::Cli(os_user().chars().filter(|c| c.is_ascii_graphic()).take(32).collect())
}

fn os_user() -> String {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's own (effective) user.
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id: u32 = fields.nth(1)?.parse().ok()?;
            (id == uid).then(|| name.to_string())
        })
        .unwrap_or_else(|| format!("uid{uid}"))
}

pub fn staff_actor(id: &StaffId) -> Actor {
    Actor::Staff(id.clone())
}
