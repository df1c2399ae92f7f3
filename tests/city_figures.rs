//! Issue 25's numbers, against the real service and PostgreSQL: one volunteer active at three
//! counters — service at each, a reversal, a gift — and every counter, after the same sync,
//! gives the same city balance and the same city-wide earned hours, through the library and the
//! command line (`balance --json`, `volunteer show --json`, `export balances`, the passbook),
//! online and with the service gone; and a city set up before the directory carried earned
//! hours gets them at `city init`.

use crate::city::*;
use crate::common::*;
use crate::pg;

use hourbank::bank::{Bank, Mode, Op, Reversal, Transfer};
use hourbank::city::ServiceSync;
use hourbank::domain::Minutes;

/// `balance --json`, `volunteer show --json`, the `export balances` row and the passbook's last
/// balance of JH000001 at the counter in `store`: (city balance, earned) from each.
fn cli_figures(store: &std::path::Path) -> Vec<(&'static str, u64, u64)> {
    let json =
        |args: &[&str]| -> serde_json::Value { serde_json::from_str(&hourbank_ok(store, args, "")).unwrap() };
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"));
    let balance = json(&["balance", "JH000001", "--json"]);
    let show = json(&["volunteer", "show", "JH000001", "--json"]);
    let export = hourbank_ok(store, &["export", "balances"], "");
    let row: Vec<u64> = export
        .lines()
        .find(|l| l.starts_with("JH000001,"))
        .unwrap_or_else(|| panic!("{export}"))
        .split(',')
        .skip(3)
        .map(|x| x.parse().unwrap())
        .collect();
    // earned, redeemed here, balance, here, received, spent: city-wide they add up.
    assert_eq!(row[0] + row[4] - row[5], row[2], "the export's row adds up: {row:?}");
    let passbook = hourbank_ok(store, &["export", "statement", "--card", "JH000001"], "");
    let last = passbook.lines().last().unwrap().split(',').nth(5).unwrap().parse().unwrap();
    vec![
        ("balance --json", n(&balance, "balance_minutes"), n(&balance, "earned_minutes")),
        ("volunteer show --json", n(&show, "balance_minutes"), n(&show, "earned_minutes")),
        ("export balances", row[2], row[0]),
        ("export statement", last, row[0]),
    ]
}

#[test]
fn one_volunteer_at_three_counters_has_one_balance_and_one_earned_everywhere() {
    let Some(db) = pg::database("figures_three") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    // A: 30 + 31 + 32 minutes of service. B: 60, and a reversed 45. C: 40, and a gift of 25
    // from JH000002.
    let stores = [
        counter(dir.path(), "JH-A-01", 3),
        bare_counter(dir.path(), "JH-B-01"),
        bare_counter(dir.path(), "JH-C-01"),
    ];
    let banks: Vec<Bank> = stores.iter().map(|s| Bank::open(s).unwrap()).collect();
    let (b, c) = (&banks[1], &banks[2]);
    for bank in [b, c] {
        register(bank, "JH000001", "陈华佩");
    }
    let deposit_at = |bank: &Bank, card: &str, minutes| {
        let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
        bank.execute(&admin(), &Op::Deposit(deposit(card, sorting, minutes)), Mode::commit(None)).unwrap()
    };
    deposit_at(b, "JH000001", 60);
    let mistaken = deposit_at(b, "JH000001", 45).events[0].seq();
    let reversal = Reversal { target: mistaken, reason: "recorded twice".into() };
    b.execute(&admin(), &Op::Reverse(reversal), Mode::commit(None)).unwrap();
    deposit_at(c, "JH000001", 40);
    register(c, "JH000002", "梁小燕");
    deposit_at(c, "JH000002", 50);
    let gift = Transfer {
        from: card("JH000002"),
        to: card("JH000001"),
        minutes: Minutes::new(25),
        note: String::new(),
    };
    c.execute(&admin(), &Op::Transfer(gift), Mode::commit(None)).unwrap();
    let (earned, balance) = (30 + 31 + 32 + 60 + 40, 30 + 31 + 32 + 60 + 40 + 25);

    // A hands all it holds to the card's city pool; B and C keep theirs.
    for bank in &banks {
        enroll(&db.url, bank);
    }
    for round in 0..2 {
        for (i, bank) in banks.iter().enumerate() {
            let float = if i == 0 { Minutes::ZERO } else { Minutes::new(u32::MAX) };
            ServiceSync::new(&url(&service), bank)
                .unwrap()
                .sync(bank, float)
                .unwrap_or_else(|e| panic!("{round} {i}: {e}"));
        }
    }
    for (bank, code) in banks.iter().zip(["A", "B", "C"]) {
        let city = bank.city_balance(&card("JH000001")).unwrap();
        assert_eq!((city.total(), city.earned), (balance, earned), "{code}: {city:?}");
        assert_eq!((city.received, city.debits()), (25, 0), "{code}: in and out add up: {city:?}");
    }
    // The command line opens each store in its own process.
    drop(banks);
    for (store, code) in stores.iter().zip(["A", "B", "C"]) {
        for (what, shown, shown_earned) in cli_figures(store) {
            assert_eq!((shown, shown_earned), (balance, earned), "{code}: {what}");
        }
    }
    // The city's certificate, issued at any of them, certifies the same earned hours; and the
    // city's monthly report (all of it served this month) lists the card with them.
    for store in &stores {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"));
        c.arg("--store").arg(store).args(["certificate", "issue", "JH000001"]);
        let out = c.env("LC_ALL", "C").env("HOURBANK_CITY_URL", url(&service)).output().unwrap();
        let page = String::from_utf8_lossy(&out.stdout);
        let said = format!("共计 {} 小时", hourbank::domain::format_hours(earned));
        assert!(page.contains(&said), "{said}: {page}{}", String::from_utf8_lossy(&out.stderr));
    }
    let report = hourbank_ok(&stores[0], &["city", "report", "monthly", "--url", &db.url], "");
    let top = format!("1,JH****01,陈*佩,白沙街道,{:.2}", earned as f64 / 60.0);
    assert!(report.contains(&top), "{top}: the top volunteer is named (it was blank){report}");
    // The service gone: the same figures, as of the last sync.
    drop(service);
    for (store, code) in stores.iter().zip(["A", "B", "C"]) {
        for (what, shown, shown_earned) in cli_figures(store) {
            assert_eq!((shown, shown_earned), (balance, earned), "{code} offline: {what}");
        }
    }

    // A city whose shares predate their earned hours: `city init` derives them from the report
    // rows, equal to what the pushes published; `city check` holds them to the rows.
    let cards = |sql: &mut postgres::Client| -> Vec<(String, String, i64, i64)> {
        sql.query("SELECT card, counter, earned, received FROM hb_shares ORDER BY card, counter", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    };
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let published = cards(&mut sql);
    assert!(
        published.iter().any(|(c, code, e, r)| c == "JH000001" && code == "JH-C-01" && (*e, *r) == (40, 25)),
        "{published:?}"
    );
    sql.execute("UPDATE hb_shares SET earned = NULL, received = NULL", &[]).unwrap();
    city_init(&db.url);
    assert_eq!(cards(&mut sql), published);
    city_check(&stores[0], &db.url);
    sql.execute("UPDATE hb_shares SET earned = earned + 60 WHERE counter = 'JH-B-01'", &[]).unwrap();
    let (code, out, _) = hourbank(&stores[0], &["city", "check", "--url", &db.url], "");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(
            "counter JH-B-01's earned hours in the directory are 120 minutes, its report rows say 60"
        ),
        "{out}"
    );
}
