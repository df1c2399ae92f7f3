-- hourbank's city server: where counters meet (ARCHITECTURE.md §8). Plain tables, keys and checks only:
-- no triggers, rules, advisory locks, LISTEN/NOTIFY or sequences, so the same SQL runs on
-- PostgreSQL and CockroachDB. Every statement is idempotent: `hourbank city init` twice changes
-- nothing.

-- One row per counter: its code (with a journal seq it names an event city-wide), its name,
-- and the head of its chain on the server.
CREATE TABLE IF NOT EXISTS hb_counters (
    code      TEXT        PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,15}$'),
    name      TEXT        NOT NULL,
    head_seq  BIGINT      NOT NULL DEFAULT 0 CHECK (head_seq >= 0),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every counter's journal, append-only, byte for byte as the counter stored it: `stored` is the
-- version byte, the encoded body and the link hash; `hash` is that hash and `prev_hash` the one
-- before, so any reader re-checks each chain. Row 0 of a counter is its genesis (the zero hash,
-- nothing stored). The self-reference makes the server refuse a gap (seq n needs row n-1) and a
-- wrong previous hash (it must be row n-1's hash).
CREATE TABLE IF NOT EXISTS hb_events (
    counter   TEXT   NOT NULL REFERENCES hb_counters (code),
    seq       BIGINT NOT NULL CHECK (seq >= 0),
    prev_seq  BIGINT GENERATED ALWAYS AS (CASE WHEN seq = 0 THEN NULL ELSE seq - 1 END) STORED,
    prev_hash BYTEA  NOT NULL CHECK (length(prev_hash) = 32),
    hash      BYTEA  NOT NULL CHECK (length(hash) = 32),
    stored    BYTEA  NOT NULL,
    PRIMARY KEY (counter, seq),
    UNIQUE (counter, seq, hash),
    CHECK (seq > 0 OR (length(stored) = 0 AND hash = prev_hash)),
    CHECK (seq = 0 OR length(stored) > 32),
    FOREIGN KEY (counter, prev_seq, prev_hash) REFERENCES hb_events (counter, seq, hash)
);

-- What SQL reports read, derived from each event when it is pushed (in the same transaction):
-- one line per volunteer whose hours it moves (a transfer has two, a registration one of 0
-- minutes): the counter's own volunteer id and the card, signed minutes, kind (and for a
-- reversal the kind it reverses: its lines are its target's, negated), activity, community,
-- and the booking day the local reports use (the local day recorded, or an imported row's
-- own day); a deposit's service day and a registration's date beside it.
CREATE TABLE IF NOT EXISTS hb_entries (
    counter       TEXT    NOT NULL,
    seq           BIGINT  NOT NULL,
    line          INTEGER NOT NULL CHECK (line >= 0),
    volunteer     BIGINT  NOT NULL,
    card          TEXT    NOT NULL,
    minutes       BIGINT  NOT NULL,
    kind          TEXT    NOT NULL,
    reverses      TEXT,
    activity      TEXT,
    community     TEXT    NOT NULL,
    day           DATE    NOT NULL,
    served_on     DATE,
    registered_on DATE,
    PRIMARY KEY (counter, seq, line),
    FOREIGN KEY (counter, seq) REFERENCES hb_events (counter, seq)
);

CREATE INDEX IF NOT EXISTS hb_entries_card ON hb_entries (card);
CREATE INDEX IF NOT EXISTS hb_entries_day ON hb_entries (day);
-- For a deposit the crediting rules shaped (a multiplier, rounding, a cap), the minutes served
-- behind it, signed as `minutes` (null: served as credited): certificates state both.
ALTER TABLE hb_entries ADD COLUMN IF NOT EXISTS served BIGINT;

-- Spending anywhere without overdrawing (ARCHITECTURE.md §8, escrow). Each card's city pool: hours
-- counters handed over at syncs (their `city_release` entries, added in the same transaction
-- as the push of the entry) and not granted back. The check keeps it from going below zero
-- whatever a client sends.
CREATE TABLE IF NOT EXISTS hb_pool (
    card    TEXT   PRIMARY KEY,
    minutes BIGINT NOT NULL CHECK (minutes >= 0)
);

-- Every grant from a pool to a counter, once: the id is the operation's (the counter's code
-- and its operation id), so a retried grant finds the first and takes nothing more. The
-- counter journals it as a `city_grant` entry; its report row names the grant.
CREATE TABLE IF NOT EXISTS hb_grants (
    id         TEXT        PRIMARY KEY,
    counter    TEXT        NOT NULL REFERENCES hb_counters (code),
    card       TEXT        NOT NULL,
    minutes    BIGINT      NOT NULL CHECK (minutes > 0),
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The counter's signature over its request for the grant (`wire::grant_message`): a counter
-- that lost its own record of asking (restored from an older backup) journals the grant only
-- where its key signed this; a row written by whoever holds the database has none that holds.
ALTER TABLE hb_grants ADD COLUMN IF NOT EXISTS asked BYTEA;

ALTER TABLE hb_entries ADD COLUMN IF NOT EXISTS grant_id TEXT;
-- A grant is journalled once, by one entry, city-wide.
CREATE UNIQUE INDEX IF NOT EXISTS hb_entries_grant ON hb_entries (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS hb_grants_counter ON hb_grants (counter);

-- Civic points through the same escrow (ARCHITECTURE.md §9): a card's pool holds its points
-- apart from its hours (`points_release` entries add, grants of points take), and a grant says
-- its unit (its `minutes` column then holds points). The points' moves between shares and
-- pools have rows of their own, never `hb_entries` (whose every figure is hours): a counter's
-- `points_release` lines, and its `points_grant` entries, each journalling one grant once.
ALTER TABLE hb_pool ADD COLUMN IF NOT EXISTS points BIGINT NOT NULL DEFAULT 0 CHECK (points >= 0);
ALTER TABLE hb_grants ADD COLUMN IF NOT EXISTS unit TEXT NOT NULL DEFAULT 'minutes';
CREATE TABLE IF NOT EXISTS hb_points_moves (
    counter  TEXT    NOT NULL REFERENCES hb_counters (code),
    seq      BIGINT  NOT NULL,
    line     INTEGER NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('points_release', 'points_grant')),
    card     TEXT    NOT NULL,
    points   BIGINT  NOT NULL CHECK (points > 0),
    grant_id TEXT,
    PRIMARY KEY (counter, seq, line)
);
CREATE UNIQUE INDEX IF NOT EXISTS hb_points_moves_grant ON hb_points_moves (grant_id) WHERE grant_id IS NOT NULL;

-- The city service (`hourbank city serve`, ARCHITECTURE.md §8). Each counter's public key, enrolled by
-- the city's admin: the service authenticates every request by it and every reader verifies the
-- counter's signatures with it. A revoked counter's past events stay valid; it can do nothing
-- more. `enrolled_head`: the counter's head on the server when it was enrolled — events up to
-- it were pushed before signatures, and are verified by their chain alone.
CREATE TABLE IF NOT EXISTS hb_keys (
    counter       TEXT        PRIMARY KEY REFERENCES hb_counters (code),
    public_key    BYTEA       NOT NULL CHECK (length(public_key) = 32),
    enrolled_head BIGINT      NOT NULL DEFAULT 0 CHECK (enrolled_head >= 0),
    enrolled_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at    TIMESTAMPTZ
);

-- The city key's signature over (counter, public_key, enrolled_head) (`city enroll` signs with
-- the key the city's admins keep off this server): every reader checks it against the city's
-- public key, so whoever holds this database cannot swap a key or move an enrollment head.
ALTER TABLE hb_keys ADD COLUMN IF NOT EXISTS enrollment BYTEA CHECK (length(enrollment) = 64);

-- A counter's signature over the head of a batch it pushed (its last seq and that event's link
-- hash: the chain covers every event before it), stored beside the events.
CREATE TABLE IF NOT EXISTS hb_signatures (
    counter   TEXT   NOT NULL,
    seq       BIGINT NOT NULL,
    signature BYTEA  NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (counter, seq),
    FOREIGN KEY (counter, seq) REFERENCES hb_events (counter, seq)
);

-- Request nonces seen in the last minutes, so a signed request replayed is refused by every
-- instance of the service (they share nothing else).
CREATE TABLE IF NOT EXISTS hb_nonces (
    counter TEXT        NOT NULL,
    nonce   TEXT        NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (counter, nonce)
);
CREATE INDEX IF NOT EXISTS hb_nonces_seen ON hb_nonces (seen_at);

-- Need to know (ARCHITECTURE.md §8): what a counter holds of the city is a directory row and the
-- balances per card, not other counters' events. Everything below is derived from pushed
-- events only, in the push's own transaction, so it always equals what the journals say.
--
-- The city-wide position: one row every push transaction that changes a card updates as its
-- last statement, and stamps the cards it changed with. The row's lock is held until commit,
-- so a transaction gets position n+1 only after the one with n committed: positions are in
-- commit order, and a reader that sees n+1 sees n. A pull is then one range read of the cards
-- past the counter's position, and no change that commits late is ever skipped (a sequence
-- or a timestamp taken earlier in the transaction would be: it commits in another order). On
-- CockroachDB the same single-row update serializes the same way (the later transaction reads
-- the earlier one's write, so it commits after it).
CREATE TABLE IF NOT EXISTS hb_position (
    one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
    pos BIGINT  NOT NULL DEFAULT 0 CHECK (pos >= 0)
);
INSERT INTO hb_position (one, pos) VALUES (true, 0) ON CONFLICT (one) DO NOTHING;

-- The city's directory and balances, one row per card, as of position `pos` (its last
-- change). Directory fields come from the first counter that registered the card (`home`)
-- and that counter's later edits; `pool` is the card's city pool as the journals have it
-- (hours handed over at syncs, less the grants journalled: a grant made and not journalled
-- yet is in transit, still counted here as the counters' journals still count it).
CREATE TABLE IF NOT EXISTS hb_cards (
    card          TEXT   PRIMARY KEY,
    home          TEXT   NOT NULL REFERENCES hb_counters (code),
    name          TEXT   NOT NULL,
    community     TEXT   NOT NULL,
    phone_tail    TEXT   NOT NULL CHECK (phone_tail ~ '^[0-9]{0,4}$'),
    registered_on DATE   NOT NULL,
    pool          BIGINT NOT NULL CHECK (pool >= 0),
    pos           BIGINT NOT NULL CHECK (pos >= 0)
);
CREATE INDEX IF NOT EXISTS hb_cards_pos ON hb_cards (pos);

-- Each counter's share of a card's hours (what its journal holds for the card): a card's city
-- balance is its pool plus every share. A counter never spends past its own share (the
-- ledger rules the service runs at the door), so no share is negative.
CREATE TABLE IF NOT EXISTS hb_shares (
    card    TEXT   NOT NULL,
    counter TEXT   NOT NULL REFERENCES hb_counters (code),
    minutes BIGINT NOT NULL CHECK (minutes >= 0),
    PRIMARY KEY (card, counter)
);

-- What each counter handed to a card's pool, net: its releases less the grants it journalled
-- (negative for a counter granted more than it released). A card's pool is the sum; a counter
-- adds its own releases since its last push to the pool it pulled.
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS released BIGINT NOT NULL DEFAULT 0;

-- A card two counters registered as different people: digests of the home's registration
-- (`person`: name and community; the full phone and ID number when on file — kept here, never
-- sent to a counter), and `conflict`, the first other counter whose registration contradicts
-- them (another name or community, or a phone or ID number both have and that differ; an
-- adoption copies neither). A counter adopts no card in conflict: an admin settles it first.
ALTER TABLE hb_cards ADD COLUMN IF NOT EXISTS person BYTEA;
ALTER TABLE hb_cards ADD COLUMN IF NOT EXISTS phone_digest BYTEA;
ALTER TABLE hb_cards ADD COLUMN IF NOT EXISTS id_digest BYTEA;
ALTER TABLE hb_cards ADD COLUMN IF NOT EXISTS conflict TEXT;

-- Each counter's own registration of the card, as the same digests: the home's are the card's
-- (above), the others' are what `conflict` is recomputed from whenever a counter registers or
-- edits the card — so a conflict is settled by the push of the registration that ends it (a
-- counter correcting its version, or moving its person to a new card), never by hand here.
-- Null on shares written before they existed.
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS person BYTEA;
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS phone_digest BYTEA;
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS id_digest BYTEA;
-- and the name and phone tail of that version, which the directory carries beside the home's
-- for a card in conflict: a third counter finds the card by either person's name.
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS name TEXT;
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS phone_tail TEXT;

-- The position each share last changed at: a push stamps the shares it changes (every card it
-- touches has one of this counter's), and the card's own row only when its directory fields or
-- pool change, so a deposit writes one narrow row, not the card's. A card changed after a
-- position is one whose row or any share carries a later one.
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS pos BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS hb_shares_pos ON hb_shares (pos);

-- What each share's hours came from, net of reversals: service (deposits) and everything else
-- credited (gifts, donation-pool grants, corrections), never the city pool's own moves. Every
-- counter shows a volunteer's city-wide earned hours (star levels, certificates) and totals that
-- add up to the city balance from them. Null only on a city set up before they existed, until
-- `city init` derives them from the report rows.
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS earned BIGINT;
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS received BIGINT;

-- Who looked at a volunteer registered elsewhere: each on-demand read of a card's details and
-- history at other counters (`GET /v1/volunteer`), by counter and staff. Counters keep only the
-- directory; reading more is recorded here.
CREATE TABLE IF NOT EXISTS hb_access (
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    counter TEXT        NOT NULL REFERENCES hb_counters (code),
    staff   TEXT        NOT NULL,
    card    TEXT        NOT NULL,
    what    TEXT        NOT NULL
);
CREATE INDEX IF NOT EXISTS hb_access_card ON hb_access (card, at);

-- Service certificates the city issued (`POST /v1/certificates`): what each states, and the
-- heads it was computed to — each counter's last report row for the card then — so that asked
-- by its code at any counter the service computes it again from the same rows and says whether
-- it still holds. `mac` is random: a code is not guessable from its number. The number is the
-- next after the largest (no sequences: the same SQL runs on CockroachDB); two issues at once
-- meet at the key, and the later one takes the next. (A certificate's "serial" on its page.)
CREATE TABLE IF NOT EXISTS hb_certificates (
    number      BIGINT      PRIMARY KEY CHECK (number > 0),
    mac         TEXT        NOT NULL,
    card        TEXT        NOT NULL,
    served_from DATE        NOT NULL,
    served_to   DATE        NOT NULL,
    name        TEXT        NOT NULL,
    heads       TEXT[]      NOT NULL,
    head_seqs   BIGINT[]    NOT NULL,
    total       BIGINT      NOT NULL CHECK (total >= 0),
    issued_by   TEXT        NOT NULL REFERENCES hb_counters (code),
    issued_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The civic points beside the hours in the directory (ARCHITECTURE.md §9): each counter's points
-- share of a card (what its journal holds for the card: never negative, as no counter spends past
-- it), what it handed the card's points pool net of the points grants it journalled, and the
-- card's points pool as the journals have it (its releases less its journalled grants; the
-- escrow's own figure, `hb_pool.points`, also less the grants made and not journalled yet). Null
-- on rows published before they existed, until `city init` derives them from the events.
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS points BIGINT CHECK (points >= 0);
ALTER TABLE hb_shares ADD COLUMN IF NOT EXISTS points_released BIGINT;
ALTER TABLE hb_cards ADD COLUMN IF NOT EXISTS points_pool BIGINT CHECK (points_pool >= 0);
