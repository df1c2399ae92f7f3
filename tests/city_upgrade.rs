//! A counter store made by the version before the city's directory (issue 22's), which pulled
//! another counter's events into its `city_*` trees: kept as `tests/fixtures/pre-directory.tar.gz`
//! (made by `scripts/make-upgrade-fixture.sh` with that version's binary and city service).

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::bank::Bank;
use hourbank::domain::EventKind;

/// The old store opens with today's code, syncs with today's service, takes the city's
/// directory and drops its copy of A's journal: the drop is journalled (how many counters and
/// events), the trees are empty, `check` passes, the city balance is the directory's, and the
/// next sync has nothing more to drop.
#[test]
fn a_store_that_pulled_events_before_the_directory_drops_them_at_its_first_sync() {
    let Some(db) = pg::database("upgrade") else { return };
    city_init(&db.url);
    let dir = unpacked_fixture("pre-directory.tar.gz");
    let (a, b) = (dir.path().join("A"), dir.path().join("B"));
    let held = {
        let bank = Bank::open(&b).unwrap();
        let (next, _) = bank.city_head("JH-A-01").unwrap();
        assert!(next > 1, "the old version pulled A's events into B's store");
        assert_checks(&bank);
        next - 1
    };

    // A new city with today's service: A pushes its chain, then B syncs.
    assert_eq!(sync(&a, &db.url).0, 0);
    let (code, out, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "dropped this store's copy of 1 other counter(s)' journals ({held} events, journalled)"
        )),
        "{out}"
    );
    let bank = Bank::open(&b).unwrap();
    assert_eq!(bank.city_head("JH-A-01").unwrap().0, 1, "none of A's events left at B");
    let last = bank.journal().last().unwrap().unwrap();
    assert!(
        matches!(last.kind(), EventKind::CityCopyDropped { counters: 1, events } if *events == held),
        "journalled: {:?}",
        last.kind()
    );
    assert_checks(&bank);
    assert_eq!(
        bank.city_balance(&card("JH000001")).unwrap().total(),
        360,
        "1 + 2 + 3 hours, from the directory"
    );
    let mut index = bank.search_index().unwrap();
    let hits = index.search("lm", 5);
    assert!(hits.iter().any(|h| index.card_of(h) == "JH000002"), "李敏 found by initials");
    drop(bank);
    let (code, out, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("dropped"), "nothing more to drop: {out}");
}
