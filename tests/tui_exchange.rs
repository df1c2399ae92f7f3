//! The exchange day's screen (issue 27) at 80×24 in both languages: scan a points card, scan a
//! coupon (credited at once), pick a good priced in points — at most five keys after the scan
//! for one item — the receipt in sight and printable, Esc for the next resident; what was
//! taken is journalled and `check` holds.

use crate::counter::Counter;
use crossterm::event::KeyCode;
use hourbank::bank::{PointsCredit, ResidentForm};
use hourbank::domain::{Actor, CardNo, CounterCode, Day, Name, Points, Standard, StandardItem};
use hourbank::tui::i18n::Lang;

fn cli() -> Actor {
    Actor::Cli("test".into())
}

/// The seeded counter made an exchange station: a code, a standard, resident R0001 with 20
/// points, 大米5kg at 5 points (and hours), 超市代金券50元 at 40; one batch of coupons.
fn station(lang: Lang) -> (Counter, Vec<String>) {
    let c = Counter::seeded_with(lang, |o| o.config.receipt_command = Some("lp -d counter".into()));
    let bank = c.bank();
    bank.set_counter_code(&cli(), None, &CounterCode::parse("JH-A-01").unwrap()).unwrap();
    let standard = crate::common::points_standard(&[("HJ-01", 2, false)]);
    bank.publish_standard(&cli(), &standard).unwrap();
    let form = ResidentForm {
        card: CardNo::parse("R0001").unwrap(),
        name: Name::parse("陈阿婆").unwrap(),
        community: "潮连".into(),
        phone_tail: Some("1234".into()),
    };
    bank.register_resident(&cli(), None, &form).unwrap();
    let credit = PointsCredit {
        card: CardNo::parse("R0001").unwrap(),
        item: "HJ-01".into(),
        times: 10,
        earned_on: None,
        note: String::new(),
    };
    bank.credit_points(&cli(), None, &credit).unwrap();
    let rice = bank.find_reward("大米5kg").unwrap().id;
    let voucher = bank.find_reward("超市代金券50元").unwrap().id;
    bank.price_in_points(&cli(), rice, Some(Points::new(5)), true).unwrap();
    bank.price_in_points(&cli(), voucher, Some(Points::new(40)), true).unwrap();
    let expires = Day::parse("2027-12-31").unwrap();
    let issued = bank.issue_coupons(&cli(), "HJ-01", Some(Points::new(3)), 2, expires, "张督导").unwrap();
    (c, issued.numbers.iter().map(|n| n.to_string()).collect())
}

fn points(c: &Counter) -> u64 {
    c.bank().points_of(&CardNo::parse("R0001").unwrap()).unwrap().balance
}

#[test]
fn one_good_takes_at_most_five_keys_after_the_scan_in_both_languages() {
    for (lang, confirm, done) in [
        (Lang::Zh, "兑换 大米5kg × 1，扣 5 分，余 18 分", "已兑换"),
        (Lang::En, "Exchange 大米5kg × 1 for 5 pts, 18 left", "Exchanged"),
    ] {
        let (mut c, coupons) = station(lang);
        c.login("S01", "5678");
        assert_eq!(c.screen(), "find");
        c.key(KeyCode::F(9));
        assert_eq!(c.screen(), "exchange");
        // The scan: a card reader types the number and Enter.
        c.typed("R0001").enter();
        let screen = c.render(80, 24);
        assert!(screen.contains("陈阿婆") && screen.contains("20"), "{screen}");
        // A coupon scanned is credited at once.
        c.typed(&coupons[0]).enter();
        assert_eq!(points(&c), 23);
        // The first good of the list: Enter (the confirm line), Enter (saved) — two keys; the
        // n-th takes n + 1 (Down to it), so five reach the fourth.
        c.enter();
        let screen = c.render(80, 24);
        assert!(screen.contains(confirm), "confirm line whole at 80x24: {screen}");
        assert_eq!(points(&c), 23, "nothing taken before the confirm");
        c.enter();
        assert_eq!(points(&c), 23 - 5);
        let screen = c.render(80, 24);
        assert!(screen.contains(done), "{screen}");
        // F9 prints the receipt.
        c.key(KeyCode::F(9));
        let (_, printed) = c.printed.last().expect("printed");
        assert!(printed.contains("大米5kg") && printed.contains("18"), "{printed}");
        // The next good costs more than the balance: refused with the figures, nothing taken.
        c.key(KeyCode::Down).enter().enter();
        assert_eq!(points(&c), 18);
        let screen = c.render(80, 24);
        assert!(
            screen.contains("18") && (screen.contains("不足") || screen.contains("less than")),
            "{screen}"
        );
        // Esc: the next resident.
        c.key(KeyCode::Esc);
        assert!(!c.render(80, 24).contains("陈阿婆"));
        assert_eq!(c.screen(), "exchange");
        let report = c.bank().check().unwrap();
        assert!(report.ok, "{:?}", report.problems);
    }
}

/// A points credit the standard flags waits on the review screen (`F6`) saying for whom: a
/// verifier verifies it, the same person cannot approve it, an approver does; the page of the
/// person shows their points beside the hours. 80×24, both languages.
#[test]
fn a_flagged_points_credit_is_verified_and_approved_on_the_review_screen_by_two_people() {
    use hourbank::bank::NewStaff;
    use hourbank::domain::{Role, StaffId};
    for (lang, verify, approve, only_approver) in [
        (Lang::Zh, "积分核实", "积分审定", "只有审定人"),
        (Lang::En, "verify", "approve", "only a points approver"),
    ] {
        let (mut c, _) = station(lang);
        let bank = c.bank();
        for (id, role, pin) in [("SG1", Role::Verifier, "2468"), ("DZ1", Role::Approver, "1357")] {
            let s = NewStaff {
                id: StaffId::parse(id).unwrap(),
                name: Name::parse(id).unwrap(),
                role,
                pin: pin.into(),
            };
            bank.add_staff(&cli(), None, s).unwrap();
        }
        let standard = Standard {
            effective: Day::parse("2026-02-01").unwrap(),
            review_over: Some(Points::new(20)),
            items: vec![StandardItem {
                code: "LL-01".into(),
                category: "邻里互助".into(),
                name: Name::parse("帮扶独居老人").unwrap(),
                points: Points::new(10),
                day_cap: None,
                month_cap: None,
                review: true,
            }],
        };
        bank.publish_standard(&cli(), &standard).unwrap();
        let credit = PointsCredit {
            card: CardNo::parse("R0001").unwrap(),
            item: "LL-01".into(),
            times: 1,
            earned_on: None,
            note: "照看王伯".into(),
        };
        bank.credit_points(&cli(), None, &credit).unwrap();
        assert_eq!(points(&c), 20, "waiting credits nothing");

        c.login("SG1", "2468").key(KeyCode::F(6));
        let screen = c.render(80, 24);
        assert!(screen.contains(verify) && screen.contains("陈阿婆") && screen.contains("LL-01"), "{screen}");
        c.typed("a").typed("核实属实").enter().enter();
        let screen = c.render(80, 24);
        assert!(screen.contains(approve), "now it waits for an approver: {screen}");
        // The verifier cannot approve it too.
        c.typed("a").typed("同意").enter().enter();
        let screen = c.render(80, 24);
        assert!(screen.contains(only_approver), "{screen}");
        assert_eq!(points(&c), 20);
        c.key(KeyCode::Esc).key(KeyCode::Esc).ctrl('l');

        c.login("DZ1", "1357").key(KeyCode::F(6));
        c.typed("a").typed("同意").enter().enter();
        assert_eq!(points(&c), 30);
        let screen = c.render(80, 24);
        assert!(!screen.contains("陈阿婆"), "nothing waits: {screen}");
        // The person's page shows the points beside the hours.
        c.key(KeyCode::Esc).typed("R0001").enter();
        let page = c.render(80, 24);
        let label = if lang == Lang::Zh { "文明积分" } else { "Civic points" };
        assert!(page.contains(label) && page.contains("30"), "{page}");
        let report = c.bank().check().unwrap();
        assert!(report.ok, "{:?}", report.problems);
    }
}

/// A resident gives only the phone's last four digits: the find screen finds them by those,
/// like anyone by their phone's tail.
#[test]
fn a_resident_is_found_by_their_phone_tail() {
    let (mut c, _) = station(Lang::Zh);
    let index = c.bank().search_index().map(Box::new).map_err(|e| e.to_string());
    c.app.update(hourbank::tui::app::Msg::IndexReady(index));
    c.login("S01", "5678").typed("1234");
    let screen = c.render(80, 24);
    assert!(screen.contains("陈阿婆") && screen.contains("R0001"), "{screen}");
}

/// A resident new to the scheme joins the queue with a coupon: the unknown card is registered
/// on the exchange screen (`F2`: name, community, phone tail) and served at once.
#[test]
fn an_unknown_card_is_registered_as_a_resident_on_the_exchange_screen() {
    for lang in [Lang::Zh, Lang::En] {
        let (mut c, coupons) = station(lang);
        c.login("S01", "5678").key(KeyCode::F(9));
        c.typed("R0099").enter();
        let screen = c.render(80, 24);
        assert!(screen.contains("R0099") && screen.contains("F2"), "{screen}");
        c.key(KeyCode::F(2)).typed("黄婆婆").key(KeyCode::Tab).typed("潮连").key(KeyCode::Tab).typed("12a4");
        c.enter();
        let screen = c.render(80, 24);
        let said = if lang == Lang::Zh { "后 4 位" } else { "last 4 digits" };
        assert!(screen.contains(said), "a bad phone tail is said, nothing saved: {screen}");
        assert!(c.bank().points_of(&CardNo::parse("R0099").unwrap()).is_err());
        c.key(KeyCode::Backspace).key(KeyCode::Backspace).typed("34").enter();
        let person = c.bank().points_of(&CardNo::parse("R0099").unwrap()).unwrap();
        assert!(person.resident && person.name == "黄婆婆", "{person:?}");
        let screen = c.render(80, 24);
        assert!(screen.contains("黄婆婆"), "{screen}");
        c.typed(&coupons[1]).enter();
        assert_eq!(c.bank().points_of(&CardNo::parse("R0099").unwrap()).unwrap().balance, 3);
        assert!(c.bank().check().unwrap().ok);
    }
}

/// At the kiosk a resident (given a PIN by staff) reads their points, as a volunteer reads hours.
#[test]
fn a_resident_reads_their_points_at_the_kiosk() {
    for (lang, words) in [(Lang::Zh, "文明积分 20 分 (居民)"), (Lang::En, "Civic points 20 pts (resident)")]
    {
        let (mut c, _) = station(lang);
        let card = CardNo::parse("R0001").unwrap();
        c.bank().set_volunteer_pin(&cli(), None, &card, Some("2580")).unwrap();
        assert!(c.bank().points_of(&card).unwrap().resident, "a PIN keeps a resident a resident");
        c.typed("R0001").enter().typed("2580").enter();
        assert_eq!(c.screen(), "kiosk");
        let screen = c.render(80, 24);
        let compact: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(compact.contains(words), "{screen}");
    }
}

/// The community's daily evaluation of a supervisor's shift (督导员日常管理考核) at the counter:
/// an ended shift waits on the review screen (`F6`), `e` scores it with a note, the score is
/// journalled by who gave it and shows in the list; a score over 100 is refused with why.
/// 80×24, both languages.
#[test]
fn an_ended_shift_is_scored_on_the_review_screen() {
    use hourbank::domain::{EventKind, ShiftRules};
    for (lang, kind, refused) in [
        (Lang::Zh, "督导考核", "分数是 0 到 100 的整数"),
        (Lang::En, "evaluate", "a score is a whole number"),
    ] {
        let (mut c, _) = station(lang);
        let bank = c.bank();
        let volunteer = bank.find_card(&CardNo::parse("JH000001").unwrap()).unwrap().id;
        let post = bank.find_activity("垃圾分类督导").unwrap().0;
        let shift = bank.check_in(volunteer, post).unwrap().first_seq();
        c.clock.advance(2 * 3600);
        bank.check_out(volunteer, &ShiftRules::default()).unwrap();
        c.login("A01", "1234").key(KeyCode::F(6));
        let screen = c.render(80, 24);
        assert!(screen.contains(kind) && screen.contains("垃圾分类督导"), "{screen}");
        while !c.render(80, 24).lines().any(|l| l.contains(kind) && l.contains("垃圾分类督导")) {
            c.key(KeyCode::Down);
        }
        c.typed("e").typed("101").enter();
        assert!(c.render(80, 24).contains(refused), "{}", c.render(80, 24));
        c.key(KeyCode::Backspace).key(KeyCode::Backspace).key(KeyCode::Backspace);
        c.typed("90").key(KeyCode::Tab).typed("按时到岗").enter();
        assert!(c.render(80, 24).contains(&format!("#{shift}")), "{}", c.render(80, 24));
        c.enter();
        let scored = c.bank().journal().filter_map(Result::ok).find_map(|e| match e.kind() {
            EventKind::ShiftEvaluated { shift: s, score, note } if *s == shift => {
                Some((*score, note.clone(), e.body.actor.to_string()))
            }
            _ => None,
        });
        let (score, note, by) = scored.expect("the evaluation is journalled");
        assert_eq!((score, note.as_str()), (90, "按时到岗"));
        assert!(by.contains("A01"), "{by}");
        let screen = c.render(80, 24);
        let row = screen.lines().find(|l| l.contains(kind) && l.contains("垃圾分类督导")).unwrap_or_default();
        assert!(row.trim_end().ends_with("90"), "the score shows in the list: {screen}");
        assert!(c.bank().check().unwrap().ok);
    }
}

/// An admin issues a batch of coupons at the counter (Admin → `q`, `n`): the form refuses a
/// count out of range with why, says what it will issue, and at the second Enter the batch is
/// journalled and its sheet for cutting is in the reports folder; `x` writes it again.
/// 80×24, both languages.
#[test]
fn an_admin_issues_a_batch_of_coupons_and_gets_its_sheet_on_the_counter() {
    for (lang, title, refused, issued) in [
        (Lang::Zh, "积分券批次", "每批 1 到 10000 张", "第 1 批积分券已发放"),
        (Lang::En, "Coupon batches", "1–10000", "Coupon batch 1 issued"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let reports = dir.path().to_str().unwrap().to_string();
        let mut c = Counter::seeded_with(lang, |o| o.config.report_dir = Some(reports.clone()));
        let bank = c.bank();
        bank.set_counter_code(&cli(), None, &CounterCode::parse("JH-A-01").unwrap()).unwrap();
        bank.publish_standard(&cli(), &crate::common::points_standard(&[("HJ-01", 2, false)])).unwrap();
        c.login("A01", "1234").key(KeyCode::F(8)).typed("q");
        assert!(c.render(80, 24).contains(title), "{}", c.render(80, 24));
        c.typed("n").typed("HJ-01").key(KeyCode::Tab).typed("20000").key(KeyCode::Tab);
        c.typed("2099-01-01").key(KeyCode::Tab).typed("潮连市场 张督导").enter();
        assert!(c.render(80, 24).contains(refused), "{}", c.render(80, 24));
        assert!(c.bank().coupon_batches().unwrap().is_empty());
        // The focus is on the count, the field refused.
        for _ in 0..5 {
            c.key(KeyCode::Backspace);
        }
        c.typed("30").enter();
        assert!(c.bank().coupon_batches().unwrap().is_empty(), "nothing before the second Enter");
        c.enter();
        let batches = c.bank().coupon_batches().unwrap();
        assert_eq!(batches.len(), 1);
        let (_, batch, used) = &batches[0];
        assert_eq!(
            (batch.count, batch.item.as_str(), batch.holder.as_str(), *used),
            (30, "HJ-01", "潮连市场 张督导", 0)
        );
        let screen = c.render(80, 24);
        assert!(screen.contains(issued) && screen.contains("潮连市场"), "{screen}");
        let sheet = dir.path().join("积分券-1.xlsx");
        assert!(std::fs::metadata(&sheet).unwrap().len() > 0);
        std::fs::remove_file(&sheet).unwrap();
        c.typed("x");
        assert!(sheet.exists(), "x writes the sheet again");
    }
}
