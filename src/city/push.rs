//! Pushing this counter's journal to the city server: from the server's head on, in batches,
//! one transaction a batch (through the service, one a request of up to `PUSH_BATCHES`
//! batches: `Storing`), so a killed push leaves whole batches and the next push goes on from
//! where the server is. Before anything is added, the server's last row for this
//! counter must be this counter's own event at that seq: otherwise this store is not the one
//! that wrote them (a restore of an old backup written on again, a second store under the
//! same code) and nothing is pushed.

use super::{CityError, Server};
use crate::bank::{Bank, DirectoryRow, EntryRow, PointsRows, RowNames, StoredEvent, directory_row};
use crate::domain::Movement;
use postgres::binary_copy::BinaryCopyInWriter;

/// Events per transaction: large enough to amortise a round trip, small enough that a
/// retried batch is cheap.
pub const BATCH: usize = 1000;

const ZERO: [u8; 32] = [0; 32];

/// One row of `hb_events` as pushed: seq, previous hash, hash, stored bytes.
pub(super) type Row = (i64, Vec<u8>, Vec<u8>, Vec<u8>);

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub code: String,
    /// The server's head for this counter before and after.
    pub from: u64,
    pub to: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    City(#[from] CityError),
    /// The city service (a push through it) refused or could not be reached.
    #[error(transparent)]
    Service(super::ClientError),
    #[error(transparent)]
    Bank(#[from] crate::bank::BankError),
    #[error("this counter has no code yet: set it once with `hourbank code set CODE`")]
    NoCode,
    /// The server holds another chain under this counter's code.
    #[error(
        "the city server's event {code} #{seq} is not this store's: this store is not the one that wrote it (restored from an old backup and written again, or a second store under code {code}); nothing was pushed"
    )]
    Fork { code: String, seq: u64 },
    /// A local value that is not a whole event (the store's own check would say more).
    #[error("this store's event #{0} is damaged; run `hourbank check`")]
    Damaged(u64),
    /// An entry journals a city grant the server never made to this counter (or for other
    /// hours): nothing of its batch was pushed.
    #[error(
        "entry {code} #{seq} journals city grant {grant}, which the city server does not hold for this counter, card and hours; nothing from it on was pushed"
    )]
    UnknownGrant { code: String, seq: u64, grant: String },
}

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

impl Server {
    /// Pushes every event of `bank` the server does not have yet.
    pub fn push(&mut self, bank: &Bank) -> Result<Pushed, PushError> {
        let code = bank.counter_code()?.ok_or(PushError::NoCode)?.to_string();
        let name = bank.counter_name()?;
        let client = self.client();
        // The counter's row and its genesis: once, whoever comes first.
        let mut tx = client.transaction().map_err(sql("a transaction"))?;
        tx.execute(
            "INSERT INTO hb_counters (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING",
            &[&code, &name],
        )
        .map_err(sql("the counter's row"))?;
        tx.execute(
            "INSERT INTO hb_events (counter, seq, prev_hash, hash, stored) VALUES ($1, 0, $2, $2, $3) ON CONFLICT (counter, seq) DO NOTHING",
            &[&code, &ZERO.to_vec(), &Vec::<u8>::new()],
        )
        .map_err(sql("the counter's genesis"))?;
        tx.commit().map_err(sql("the counter's row"))?;

        let (head, head_hash) = server_head(self, &code)?;
        // The server's last row must be this store's own event there.
        let mut prev = if head == 0 {
            ZERO
        } else {
            let (seq, value) = bank
                .stored_events_from(head)
                .next()
                .transpose()?
                .ok_or(PushError::Fork { code: code.clone(), seq: head })?;
            let local = StoredEvent::split(&value).ok_or(PushError::Damaged(seq))?.hash();
            if seq != head || local.as_slice() != head_hash.as_slice() {
                return Err(PushError::Fork { code, seq: head });
            }
            local
        };
        // A counter with a key signs each batch's head, as it does through the service, so its
        // events verify for every reader once it is enrolled.
        let key = bank.counter_key()?;
        let mut last_seq = head;
        let mut to = head;
        let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
        let mut entries: Vec<EntryRow> = Vec::with_capacity(BATCH);
        let mut directory: Vec<DirectoryRow> = Vec::new();
        let mut points = PointsRows::default();
        let mut names = RowNames::default();
        for item in bank.stored_events_from(head + 1) {
            let (seq, value) = item?;
            let stored =
                StoredEvent::split(&value).filter(|s| s.follows(&prev)).ok_or(PushError::Damaged(seq))?;
            let hash = stored.hash();
            entries.extend(bank.entry_rows(seq, &value, &mut names, &mut points)?);
            directory.extend(directory_row(seq, &value)?);
            batch.push((seq as i64, prev.to_vec(), hash.to_vec(), value));
            prev = hash;
            last_seq = seq;
            if batch.len() == BATCH {
                let signature = key.as_ref().map(|k| k.sign(&super::wire::head_message(&code, seq, &hash)));
                let signature = signature.as_ref().map(|s| &s[..]);
                to = self.insert_batch(
                    &code,
                    &mut batch,
                    &mut entries,
                    &mut directory,
                    &mut points,
                    signature,
                )?;
            }
        }
        if !batch.is_empty() {
            let signature = key.as_ref().map(|k| k.sign(&super::wire::head_message(&code, last_seq, &prev)));
            let signature = signature.as_ref().map(|s| &s[..]);
            to =
                self.insert_batch(&code, &mut batch, &mut entries, &mut directory, &mut points, signature)?;
        }
        Ok(Pushed { code, from: head, to })
    }

    /// One batch in one transaction, with its derived rows (report rows, pools, and the cards it
    /// changes published at the next city-wide position), the counter's signature over its last
    /// event (when it came through the service), and the counter's head moved to its last seq.
    pub(super) fn insert_batch(
        &mut self,
        code: &str,
        batch: &mut Vec<Row>,
        entries: &mut Vec<EntryRow>,
        directory: &mut Vec<DirectoryRow>,
        points: &mut PointsRows,
        signature: Option<&[u8]>,
    ) -> Result<u64, PushError> {
        let last = batch.last().map_or(0, |b| b.0);
        let links: Vec<Link<'_>> =
            batch.iter().map(|r| (r.0, r.1.as_slice(), r.2.as_slice(), r.3.as_slice())).collect();
        let mut tx = self.client().transaction().map_err(sql("a transaction"))?;
        insert_events(code, &links, &mut tx)?;
        finish_batch(tx, code, last, entries, directory, points, signature)?;
        batch.clear();
        Ok(last as u64)
    }
}

/// One event as `hb_events` holds it: seq, previous hash, hash, stored bytes.
pub(super) type Link<'a> = (i64, &'a [u8], &'a [u8], &'a [u8]);

/// A batch's events, in its transaction `tx`, by binary `COPY`: the rows go to the server as
/// one stream in the table's own format (measured against one `INSERT … unnest` a batch: the
/// push's inserts took about a quarter longer than `COPY` of the same rows).
pub(super) fn insert_events(
    code: &str,
    links: &[Link<'_>],
    tx: &mut postgres::Transaction<'_>,
) -> Result<(), PushError> {
    use postgres::types::Type;
    let sink = tx
        .copy_in("COPY hb_events (counter, seq, prev_hash, hash, stored) FROM STDIN (FORMAT binary)")
        .map_err(sql("a batch of events"))?;
    let mut rows =
        BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::INT8, Type::BYTEA, Type::BYTEA, Type::BYTEA]);
    for (seq, prev, hash, stored) in links {
        rows.write(&[&code, seq, prev, hash, stored]).map_err(sql("a batch of events"))?;
    }
    rows.finish().map_err(sql("a batch of events"))?;
    Ok(())
}

/// The rest of a batch whose events `tx` holds, up to `last`: its derived rows (report rows,
/// pools, and the cards it changes published at the next city-wide position), the counter's
/// signature over its last event (when it came through the service), the counter's head moved
/// to it; then the commit.
pub(super) fn finish_batch(
    mut tx: postgres::Transaction<'_>,
    code: &str,
    last: i64,
    entries: &mut Vec<EntryRow>,
    directory: &mut Vec<DirectoryRow>,
    points: &mut PointsRows,
    signature: Option<&[u8]>,
) -> Result<(), PushError> {
    store_rows(&mut tx, code, last, entries, points, signature)?;
    close(tx, code, last, entries, directory, points)?;
    entries.clear();
    directory.clear();
    points.clear();
    Ok(())
}

/// A batch's rows beside its events: report rows, the hours it hands the pools, its points
/// moves, the counter's signature over its last event (when it came through the service).
fn store_rows(
    tx: &mut postgres::Transaction<'_>,
    code: &str,
    last: i64,
    entries: &[EntryRow],
    points: &PointsRows,
    signature: Option<&[u8]>,
) -> Result<(), PushError> {
    check_grants(code, entries, tx)?;
    insert_entries(code, entries, tx)?;
    release_to_pools(entries, tx)?;
    if let Some((seq, grant)) = super::points_pool::apply(code, &points.moves, tx)? {
        return Err(PushError::UnknownGrant { code: code.to_string(), seq, grant });
    }
    if let Some(signature) = signature {
        tx.execute(
            "INSERT INTO hb_signatures (counter, seq, signature) VALUES ($1, $2, $3)",
            &[&code, &last, &signature],
        )
        .map_err(sql("the batch's signature"))?;
    }
    Ok(())
}

/// A batch's report rows, by binary `COPY` as its events are.
fn insert_entries(
    code: &str,
    entries: &[EntryRow],
    tx: &mut postgres::Transaction<'_>,
) -> Result<(), PushError> {
    use postgres::types::Type;
    if entries.is_empty() {
        return Ok(());
    }
    let sink = tx
        .copy_in(
            "COPY hb_entries (counter, seq, line, volunteer, card, minutes, kind, reverses, activity, community,
                              day, served_on, registered_on, grant_id, served)
             FROM STDIN (FORMAT binary)",
        )
        .map_err(sql("a batch's report rows"))?;
    let types = [
        Type::TEXT,
        Type::INT8,
        Type::INT4,
        Type::INT8,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::DATE,
        Type::DATE,
        Type::DATE,
        Type::TEXT,
        Type::INT8,
    ];
    let mut rows = BinaryCopyInWriter::new(sink, &types);
    for e in entries {
        rows.write(&[
            &code,
            &(e.seq as i64),
            &(e.line as i32),
            &(e.volunteer as i64),
            &e.card.as_str(),
            &e.minutes,
            &e.kind,
            &e.reverses,
            &e.activity.as_deref(),
            &e.community.as_str(),
            &e.day.date(),
            &e.served_on.map(|d| d.date()),
            &e.registered_on.map(|d| d.date()),
            &e.grant.as_deref(),
            &e.served,
        ])
        .map_err(sql("a batch's report rows"))?;
    }
    rows.finish().map_err(sql("a batch's report rows"))?;
    Ok(())
}

/// The counter's head moved to `last`, the cards that `entries`, `directory` and `points` (all
/// of what the transaction stored) change published at the next city-wide position; then the
/// commit.
fn close(
    mut tx: postgres::Transaction<'_>,
    code: &str,
    last: i64,
    entries: &[EntryRow],
    directory: &[DirectoryRow],
    points: &PointsRows,
) -> Result<(), PushError> {
    tx.execute("UPDATE hb_counters SET head_seq = $2 WHERE code = $1", &[&code, &last])
        .map_err(sql("the counter's head"))?;
    // Last: it takes the city-wide position, whose lock is held until the commit.
    super::directory::publish(code, entries, directory, points, &mut tx)?;
    tx.commit().map_err(sql("a batch of events"))?;
    Ok(())
}

/// The batches of one push through the service, stored in one transaction as each comes
/// verified: each batch in a savepoint of its own, so a batch refused while it is stored (a
/// grant the city never made) is undone alone and the batches before it are kept; the
/// directory published once for them all (a card that several batches touch is written once),
/// then one commit.
pub(super) struct Storing<'a> {
    tx: postgres::Transaction<'a>,
    code: &'a str,
    entries: Vec<EntryRow>,
    directory: Vec<DirectoryRow>,
    points: PointsRows,
    last: Option<i64>,
}

impl<'a> Storing<'a> {
    pub(super) fn begin(server: &'a mut Server, code: &'a str) -> Result<Storing<'a>, PushError> {
        let tx = server.client().transaction().map_err(sql("a transaction"))?;
        Ok(Storing {
            tx,
            code,
            entries: Vec::new(),
            directory: Vec::new(),
            points: PointsRows::default(),
            last: None,
        })
    }

    /// The next batch's events, in a savepoint of their own (inserted while the batch is
    /// verified: undone with [`Storing::undo`] if it is refused; undone here if the database
    /// refuses them).
    pub(super) fn events(&mut self, links: &[Link<'_>]) -> Result<(), PushError> {
        self.tx.batch_execute("SAVEPOINT batch").map_err(sql("a batch's savepoint"))?;
        if let Err(e) = insert_events(self.code, links, &mut self.tx) {
            self.undo()?;
            return Err(e);
        }
        Ok(())
    }

    /// The batch whose events [`Storing::events`] inserted, verified: its rows beside them. A
    /// refusal undoes this batch alone.
    pub(super) fn rows(
        &mut self,
        last: i64,
        entries: Vec<EntryRow>,
        directory: Vec<DirectoryRow>,
        points: PointsRows,
        signature: &[u8],
    ) -> Result<(), PushError> {
        if let Err(e) = store_rows(&mut self.tx, self.code, last, &entries, &points, Some(signature)) {
            self.undo()?;
            return Err(e);
        }
        self.tx.batch_execute("RELEASE SAVEPOINT batch").map_err(sql("a batch's savepoint"))?;
        self.entries.extend(entries);
        self.directory.extend(directory);
        self.points.moves.extend(points.moves);
        self.points.shares.extend(points.shares);
        self.last = Some(last);
        Ok(())
    }

    /// The batch whose events [`Storing::events`] inserted, refused: undone.
    pub(super) fn undo(&mut self) -> Result<(), PushError> {
        Ok(self.tx.batch_execute("ROLLBACK TO SAVEPOINT batch").map_err(sql("a batch's savepoint"))?)
    }

    /// Publishes what the kept batches change and commits them; the last seq stored (none when
    /// no batch was kept: nothing is committed).
    pub(super) fn commit(self) -> Result<Option<u64>, PushError> {
        let Some(last) = self.last else { return Ok(None) };
        close(self.tx, self.code, last, &self.entries, &self.directory, &self.points)?;
        Ok(Some(last as u64))
    }
}

/// The batch's `city_release` lines added to their cards' pools, in the batch's transaction:
/// the batch is pushed once, so each release reaches its pool once.
fn release_to_pools(entries: &[EntryRow], tx: &mut postgres::Transaction<'_>) -> Result<(), PushError> {
    let mut by_card: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for e in entries.iter().filter(|e| e.is(Movement::CityRelease)) {
        *by_card.entry(e.card.as_str()).or_default() -= e.minutes;
    }
    if by_card.is_empty() {
        return Ok(());
    }
    let (cards, minutes): (Vec<&str>, Vec<i64>) = by_card.into_iter().unzip();
    tx.execute(
        "INSERT INTO hb_pool (card, minutes) SELECT c, m FROM unnest($1::TEXT[], $2::BIGINT[]) AS t (c, m)
         ON CONFLICT (card) DO UPDATE SET minutes = hb_pool.minutes + excluded.minutes",
        &[&cards, &minutes],
    )
    .map_err(sql("the cards' city pools"))?;
    Ok(())
}

/// Every `city_grant` line of the batch must be a grant the server made to this counter, for
/// that card and those minutes — of hours: a grant of points journalled as hours would mint
/// them. A counter cannot credit itself from a pool by writing an entry.
/// One statement for the batch's grants, however many there are.
fn check_grants(
    code: &str,
    entries: &[EntryRow],
    tx: &mut postgres::Transaction<'_>,
) -> Result<(), PushError> {
    let grants: Vec<&EntryRow> = entries.iter().filter(|e| e.is(Movement::CityGrant)).collect();
    if grants.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = grants.iter().map(|e| e.seq as i64).collect();
    let ids: Vec<&str> = grants.iter().map(|e| e.grant.as_deref().unwrap_or_default()).collect();
    let cards: Vec<&str> = grants.iter().map(|e| e.card.as_str()).collect();
    let minutes: Vec<i64> = grants.iter().map(|e| e.minutes).collect();
    let unknown = tx
        .query_opt(
            "SELECT t.s, t.g FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[]) AS t (s, g, c, m)
             WHERE NOT EXISTS (SELECT 1 FROM hb_grants h
                               WHERE h.id = t.g AND h.counter = $5 AND h.card = t.c AND h.minutes = t.m
                                 AND h.unit = 'minutes')
             ORDER BY t.s LIMIT 1",
            &[&seqs, &ids, &cards, &minutes, &code],
        )
        .map_err(sql("the batch's city grants"))?;
    match unknown {
        Some(row) => Err(PushError::UnknownGrant {
            code: code.to_string(),
            seq: row.get::<_, i64>(0) as u64,
            grant: row.get(1),
        }),
        None => Ok(()),
    }
}

/// The server's last seq for `code` and that row's hash.
pub(super) fn server_head(server: &mut Server, code: &str) -> Result<(u64, Vec<u8>), CityError> {
    let row = server
        .client()
        .query_one("SELECT seq, hash FROM hb_events WHERE counter = $1 ORDER BY seq DESC LIMIT 1", &[&code])
        .map_err(sql("the counter's head"))?;
    let seq: i64 = row.get(0);
    Ok((seq as u64, row.get(1)))
}
