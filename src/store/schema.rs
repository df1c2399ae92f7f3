//! The store's schema: sled's trees, by name and position, and the keys of `meta`. Both are a
//! contract (ARCHITECTURE.md §3): a store written by one version is read by the next.

/// Version of the tree layout. Bumped when a tree's key or value meaning changes.
/// 2: this counter's journal is `journal.copy` alone; sled's `journal` tree holds other
/// counters' only (in the `city_*` set). A store of 1 is upgraded in place (`store::upgrade`).
pub const SCHEMA_VERSION: u32 = 2;

/// Tree names are a contract (ARCHITECTURE.md §3): a store written by one version is read by the next.
/// Each tree is named once, with its position in the commit transaction's tree list.
pub mod tree {
    /// A tree: where it sits in `ALL` (and so in a transaction's view), and its on-disk name.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct TreeId {
        pub index: usize,
        pub name: &'static str,
    }

    const fn id(index: usize, name: &'static str) -> TreeId {
        TreeId { index, name }
    }

    pub const META: TreeId = id(0, "meta");
    pub const JOURNAL: TreeId = id(1, "journal");
    pub const VOLUNTEERS: TreeId = id(2, "volunteers");
    pub const CARD_INDEX: TreeId = id(3, "card_index");
    /// Volunteer id → totals and the seqs of their entries (see `records::AccountRecord`).
    pub const ACCOUNTS: TreeId = id(4, "accounts");
    pub const ACTIVITIES: TreeId = id(5, "activities");
    pub const REWARDS: TreeId = id(6, "rewards");
    pub const STOCK: TreeId = id(7, "stock");
    pub const STAFF: TreeId = id(8, "staff");
    /// Catalog names (activities, rewards) → id; names are unique per kind.
    pub const NAMES: TreeId = id(9, "names");
    /// Reversed entry seq → seq of the reversal; makes "at most once" a key lookup.
    pub const REVERSED: TreeId = id(10, "reversed");
    /// Client operation ids → the events they committed; makes retries safe.
    pub const OPS: TreeId = id(11, "ops");
    /// Shifts at the kiosk: `S` ++ check-in seq → the shift; `O` ++ volunteer id → the seq of
    /// their open shift (at most one).
    pub const SHIFTS: TreeId = id(12, "shifts");
    /// What the crediting rules need to look up in a commit: `D` ++ volunteer id ++ day →
    /// minutes credited that service day (only while a day cap is set); `H` ++ seq → a deposit
    /// held for approval.
    pub const LIMITS: TreeId = id(13, "limits");

    /// Every tree, in the order the commit transaction opens them.
    pub const ALL: [TreeId; 14] = [
        META, JOURNAL, VOLUNTEERS, CARD_INDEX, ACCOUNTS, ACTIVITIES, REWARDS, STOCK, STAFF, NAMES, REVERSED,
        OPS, SHIFTS, LIMITS,
    ];

    /// Other counters' journals and projections, pulled from the city server (`store::city`):
    /// the same layout as `ALL`, at the same indexes, every key prefixed with the counter's
    /// code and a zero byte, so the same rules keep them.
    pub const CITY: [TreeId; 15] = [
        id(0, "city_meta"),
        id(1, "city_journal"),
        id(2, "city_volunteers"),
        id(3, "city_card_index"),
        id(4, "city_accounts"),
        id(5, "city_activities"),
        id(6, "city_rewards"),
        id(7, "city_stock"),
        id(8, "city_staff"),
        id(9, "city_names"),
        id(10, "city_reversed"),
        id(11, "city_ops"),
        id(12, "city_shifts"),
        id(13, "city_limits"),
        CITY_COUNTERS,
    ];
    /// Counter code → when its events were last pulled; `as_of` → the last whole pull.
    pub const CITY_COUNTERS: TreeId = id(14, "city_counters");

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn city_trees_mirror_the_counters_own_at_the_same_indexes() {
            for (own, city) in ALL.iter().zip(CITY.iter()) {
                assert_eq!(own.index, city.index);
                assert_eq!(format!("city_{}", own.name), city.name);
            }
            assert_eq!(CITY[14], CITY_COUNTERS);
        }

        #[test]
        fn each_tree_sits_at_its_index_and_the_on_disk_names_are_unchanged() {
            for (i, t) in ALL.iter().enumerate() {
                assert_eq!(t.index, i, "{}", t.name);
            }
            let names: Vec<&str> = ALL.iter().map(|t| t.name).collect();
            assert_eq!(
                names,
                [
                    "meta",
                    "journal",
                    "volunteers",
                    "card_index",
                    "accounts",
                    "activities",
                    "rewards",
                    "stock",
                    "staff",
                    "names",
                    "reversed",
                    "ops",
                    "shifts",
                    "limits"
                ]
            );
        }
    }
}

/// Keys of the `meta` tree.
pub mod meta {
    pub const SCHEMA: &[u8] = b"schema";
    pub const COUNTER_ID: &[u8] = b"counter_id";
    pub const COUNTER_NAME: &[u8] = b"counter_name";
    pub const COUNTER_CODE: &[u8] = b"counter_code";
    /// `tx::Head`: next seq and last hash.
    pub const HEAD: &[u8] = b"head";
    /// `journal_copy::CopyEnd`: where in `journal.copy` the head's last event ends, written with
    /// the head by every commit that appends to the copy (a hint the open checks).
    pub const COPY_END: &[u8] = b"copy_end";
    pub const SETTINGS: &[u8] = b"settings";
    /// `domain::Rules`: rounding, caps, approval, expiry, multipliers.
    pub const RULES: &[u8] = b"rules";
    /// `domain::DonationPool`: the donation pool's totals.
    pub const POOL: &[u8] = b"pool";
    /// Import sources seen so far: an import of a new source need not look for its rows.
    pub const IMPORT_SOURCES: &[u8] = b"import_sources";
    /// `login/<staff id>`: failed PINs and lock (`domain::LoginAttempts`).
    pub const LOGIN_PREFIX: &[u8] = b"login/";
    /// `login-card/<card>`: failed self-service PINs of a card.
    pub const CARD_LOGIN_PREFIX: &[u8] = b"login-card/";
    /// `local::LastBackup`: when the last good backup was written.
    pub const LAST_BACKUP: &[u8] = b"last_backup";
    /// `city_catch_up`: the store was rebuilt from a journal (restore, recover) and has not
    /// caught up with its own chain on the city since (`Timestamp` of the rebuild).
    pub const CITY_CATCH_UP: &[u8] = b"city_catch_up";
    /// `grant-intent/<grant id>`: a city grant this counter asked for (`local::GrantIntent`).
    pub const GRANT_INTENT_PREFIX: &[u8] = b"grant-intent/";
    /// Another counter's chain, as pulled: `domain::validate::StoredEventCheck`'s state after
    /// its last applied event (in that counter's scope of the `city_*` trees).
    pub const EVENT_CHECK: &[u8] = b"event_check";
    /// Another counter's enrolled key and enrollment head as first seen (`city::PinnedKey`, in
    /// that counter's scope): the city's copy changing later is refused, never followed.
    pub const PINNED_KEY: &[u8] = b"pinned_key";
    /// The city's key (`ed25519:…`) as a counter first saw it, written by stores that pulled
    /// other counters' events (before the city's directory); no longer read or written, named
    /// here so the key is never given another meaning.
    pub const CITY_KEY: &[u8] = b"city_key";
    /// Which of the city directory's two trees is read (`directory::DIRECTORIES`; absent: the
    /// first).
    pub const DIRECTORY_LIVE: &[u8] = b"city_directory_live";
    /// The directory records' format (absent: the first, whose shares had no earned hours).
    pub const DIRECTORY_FORMAT: &[u8] = b"city_directory_format";
}
