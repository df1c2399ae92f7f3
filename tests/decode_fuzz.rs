//! Decoder robustness: 100k random and mutated byte strings into every stored type's decoder.
//! None may panic, and none may allocate past the decode limit (a corrupt length prefix is
//! trusted at most up to it). `scripts/fuzz.sh` runs many more iterations.

use hourbank::domain::*;
use hourbank::store::OpRecord;
use hourbank::store::codec::{DECODE_LIMIT, decode, encode};
use hourbank::store::records::AccountRecord;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Records the largest single allocation made by a thread that asked to be watched, so the
/// test can prove a corrupt length prefix never makes a decoder allocate what it claims.
/// Only the fuzzing thread is watched: the suite's other tests run on other threads of the
/// same process and allocate what they like (CI once saw a 19 MB buffer of another test).
struct Largest;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` and `Cell<bool>`: no lazy initialisation and no destructor, so reading it inside
    // the allocator never allocates.
    static WATCHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHED.with(|w| w.get()) {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: forwards the caller's layout unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

fn seeds() -> Vec<Vec<u8>> {
    let v = Volunteer {
        card: CardNo::parse("JH000123").unwrap(),
        name: Name::parse("陈华佩").unwrap(),
        phone: Phone::parse_optional("13800138000").unwrap(),
        community: "白沙街道".into(),
        registered_on: Day::parse("2026-11-29").unwrap(),
        id_number: IdNumber::parse_optional("44070319900101123X").unwrap(),
        active: true,
        pin_hash: Some("$argon2id$v=19$...".into()),
    };
    let event = Event {
        body: EventBody {
            seq: 123_456,
            at: Timestamp::from_micros(1_800_000_000_000_000),
            counter: "JM-01".into(),
            actor: Actor::Cli("admin".into()),
            origin: Origin::Import(ImportRef {
                source: "csv".into(),
                row_id: "E1".into(),
                occurred: Timestamp::from_micros(5),
            }),
            kind: EventKind::VolunteerRegistered(v.clone()),
        },
        hash: [3; 32],
    };
    let mut account = AccountRecord::default();
    account.totals.earned = 1000;
    for s in [3, 50, 9000] {
        account.push(s);
    }
    vec![
        encode(&v).unwrap(),
        encode(&event).unwrap(),
        account.encode().unwrap(),
        encode(&Settings::default()).unwrap(),
        encode(&OpRecord { digest: [1; 16], first_seq: 3, events: 2 }).unwrap(),
        encode(&"counter".to_string()).unwrap(),
        encode(&vec!["csv".to_string()]).unwrap(),
    ]
}

/// Feeds `bytes` to every decoder; only errors are allowed, and they must name the tree.
fn decode_all(bytes: &[u8]) {
    fn one<T: serde::de::DeserializeOwned>(bytes: &[u8]) {
        if let Err(e) = decode::<T>("t", b"k", bytes) {
            assert_eq!(e.tree, "t");
        }
    }
    one::<Volunteer>(bytes);
    one::<Event>(bytes);
    one::<AccountRecord>(bytes);
    // Accounts are read in either of their two layouts, by their own decoder.
    if let Err(e) = AccountRecord::decode("t", b"k", bytes) {
        assert_eq!(e.tree, "t");
    }
    if let Err(e) = AccountRecord::decode_totals("t", b"k", bytes) {
        assert_eq!(e.tree, "t");
    }
    one::<Activity>(bytes);
    one::<Reward>(bytes);
    one::<Staff>(bytes);
    one::<Settings>(bytes);
    one::<OpRecord>(bytes);
    one::<String>(bytes);
    one::<Vec<String>>(bytes);
    one::<u64>(bytes);
    one::<u32>(bytes);
    one::<[u8; 32]>(bytes);
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let iterations: usize =
        std::env::var("HOURBANK_FUZZ_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mut rng = StdRng::seed_from_u64(7);
    let seeds = seeds();
    LARGEST.store(0, Ordering::Relaxed);
    WATCHED.with(|w| w.set(true));
    for i in 0..iterations {
        let bytes: Vec<u8> = if i % 2 == 0 {
            let len = rng.random_range(0..64);
            let mut b: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            if rng.random_bool(0.8) && !b.is_empty() {
                b[0] = hourbank::store::codec::VALUE_VERSION;
            }
            b
        } else {
            let mut b = seeds[rng.random_range(0..seeds.len())].clone();
            for _ in 0..rng.random_range(1..4) {
                match rng.random_range(0..4) {
                    0 => {
                        let at = rng.random_range(0..b.len());
                        b[at] = rng.random();
                    }
                    1 => b.truncate(rng.random_range(0..b.len().max(1))),
                    2 => {
                        let at = rng.random_range(0..=b.len());
                        // Huge varint length prefixes: u64 marker then 0xff bytes.
                        b.splice(at..at, [253, 255, 255, 255, 255, 255, 255, 255, 127]);
                    }
                    _ => b.push(rng.random()),
                }
                if b.is_empty() {
                    break;
                }
            }
            b
        };
        decode_all(&bytes);
    }
    // A corrupt length prefix can make bincode reserve what it claims, but never more than the
    // decode limit (16 MiB, sized for a busy volunteer's history): that is the bound asserted.
    WATCHED.with(|w| w.set(false));
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(largest > 0, "the allocator watched nothing: the bound below would prove nothing");
    assert!(largest <= DECODE_LIMIT, "an allocation of {largest} bytes happened while decoding");
}

#[test]
fn every_seed_round_trips() {
    for bytes in seeds() {
        // Each seed decodes as exactly one of the types; decoding must consume all bytes.
        let ok = decode::<Volunteer>("t", b"k", &bytes).is_ok()
            || decode::<Event>("t", b"k", &bytes).is_ok()
            || AccountRecord::decode("t", b"k", &bytes).is_ok()
            || decode::<Settings>("t", b"k", &bytes).is_ok()
            || decode::<OpRecord>("t", b"k", &bytes).is_ok()
            || decode::<String>("t", b"k", &bytes).is_ok()
            || decode::<Vec<String>>("t", b"k", &bytes).is_ok();
        assert!(ok);
    }
}
