//! The real binary in a pseudo-terminal, driven by real keys: a volunteer checks their own
//! page at the kiosk; staff log in, find a volunteer by pinyin initials, record hours, redeem
//! a reward, quit; then the command line reads the balance from the same store. `portable-pty` gives the terminal, `vt100` reads the screen,
//! so `cargo test` needs no outside program.

use std::time::Duration;

use crate::common;
use crate::pty;

use common::hourbank_ok;
use pty::Pty;

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn the_demo_opens_a_working_counter_in_chinese_and_leaves_nothing_behind() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Pty::spawn(&["--demo", "--lang", "zh", "--theme", "nosuch"], home.path());
    // A theme that does not exist is said in the counter's language, and the counter opens.
    s.wait_for("主题 nosuch 不存在", WAIT);
    s.wait_for("演示库：工号 A01 密码 2468", WAIT);
    s.type_keys("\r");
    s.type_keys("A01\r");
    s.type_keys("2468\r");
    s.wait_for("输入即可搜索", WAIT);
    s.type_keys("JH000001\r");
    s.wait_for("流水 (", WAIT);
    s.type_keys("\x11");
    assert!(s.wait_exit(Duration::from_secs(10)).success());
    let left: Vec<_> = std::fs::read_dir(home.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the demo store is removed on exit: {left:?}");
}

#[test]
fn serve_a_volunteer_with_real_keys_then_the_cli_sees_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    hourbank_ok(
        &store,
        &["init", "--counter", "白沙服务台", "--admin", "A01", "--admin-name", "王芳"],
        "1234\n",
    );
    hourbank_ok(&store, &["activity", "add", "垃圾分类督导"], "");
    hourbank_ok(&store, &["reward", "add", "--name", "大米5kg", "--cost", "2", "--stock", "5"], "");
    hourbank_ok(
        &store,
        &["volunteer", "add", "--card", "JH000001", "--name", "陈华佩", "--community", "白沙社区"],
        "",
    );
    hourbank_ok(&store, &["volunteer", "add", "--card", "JH000002", "--name", "李建国"], "");
    hourbank_ok(&store, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");
    hourbank_ok(&store, &["volunteer", "pin", "JH000001"], "8642\n8642\n");

    let mut s = Pty::spawn(&["--store", store.to_str().unwrap(), "--lang", "en"], dir.path());

    // The volunteer first: card, PIN, their own masked page, Esc back to the lock screen.
    s.wait_for("F2 to log in", WAIT);
    s.type_keys("JH000001\r");
    s.wait_for("Volunteer self-service", WAIT);
    s.type_keys("8642\r");
    s.wait_for("Self-service  陈*佩  JH****01", WAIT);
    s.wait_for("Nothing to redeem yet", WAIT); // 1 h; the rice costs 2
    s.type_keys("\x11"); // Ctrl+Q: refused without staff
    s.wait_for("Staff must log in to quit", WAIT);
    s.type_keys("\x1b");
    s.wait_for("F2 to log in", WAIT);

    s.log_in("A01", "1234", WAIT);
    s.wait_for("Find volunteer", WAIT);
    s.type_keys("chp");
    s.wait_for("陈华佩", WAIT);
    s.type_keys("\r");
    s.wait_for("History (1)", WAIT);
    // Record 2.5 hours: the activity by initials, then the duration, then confirm.
    s.type_keys("d");
    s.wait_for("Record hours", WAIT);
    s.type_keys("ljfl\r");
    s.type_keys("2.5\r");
    s.wait_for("balance 1 -> 3.5 h", WAIT);
    s.type_keys("\r");
    s.wait_for("History (2)", WAIT);
    s.wait_for("Saved as entry #", WAIT);
    // Redeem one bag of rice (2 h): receipt, then back and quit.
    s.type_keys("r");
    s.wait_for("Redeem:", WAIT);
    s.type_keys("\r");
    s.wait_for("Enter confirms", WAIT);
    s.type_keys("\r");
    s.wait_for("Receipt no.", WAIT);
    s.wait_for("陈*佩 JH****01", WAIT);
    s.type_keys("\x1b");
    s.wait_for("History (3)", WAIT);
    s.type_keys("\x11"); // Ctrl+Q

    let status = s.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");

    let balance = hourbank_ok(&store, &["balance", "JH000001"], "");
    assert!(balance.contains("1.5"), "1 + 2.5 - 2 = 1.5 h, the CLI says: {balance}");
    let check = hourbank_ok(&store, &["check"], "");
    assert!(check.contains("all invariants hold"), "{check}");
}
