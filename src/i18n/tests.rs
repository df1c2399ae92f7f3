//! The two languages kept in step (every template, the same values).
use super::*;

#[test]
fn fill_puts_values_in_order_and_tolerates_missing_ones() {
    assert_eq!(fill("{} of {}", &[&1, &"b"]), "1 of b");
    assert_eq!(fill("a {} c {}", &[&"b"]), "a b c ");
    assert_eq!(fill("none", &[&1]), "none");
}

#[test]
fn both_languages_fill_the_same_number_of_values() {
    // A template with a different number of `{}` in one language would drop or misplace a
    // value there; compare every template field pairwise through the error describers.
    let zh = Lang::Zh.text();
    let en = Lang::En.text();
    let pairs = [
        (zh.err_insufficient_balance, en.err_insufficient_balance),
        (zh.city_spendable_online, en.city_spendable_online),
        (zh.city_spendable_offline, en.city_spendable_offline),
        (zh.err_city_short, en.err_city_short),
        (zh.err_city_offline, en.err_city_offline),
        (zh.err_city_none, en.err_city_none),
        (zh.receipt_from_city, en.receipt_from_city),
        (zh.err_insufficient_stock, en.err_insufficient_stock),
        (zh.err_already_reversed, en.err_already_reversed),
        (zh.confirm_deposit, en.confirm_deposit),
        (zh.confirm_deposit_held, en.confirm_deposit_held),
        (zh.confirm_redeem, en.confirm_redeem),
        (zh.confirm_transfer, en.confirm_transfer),
        (zh.batch_summary, en.batch_summary),
        (zh.batch_confirm, en.batch_confirm),
        (zh.batch_confirm_held, en.batch_confirm_held),
        (zh.batch_removed, en.batch_removed),
        (zh.login_wrong_left, en.login_wrong_left),
        (zh.login_wrong_one, en.login_wrong_one),
        (zh.err_out_of_stock, en.err_out_of_stock),
        (zh.held_for_approval, en.held_for_approval),
        (zh.held_for_approval_one, en.held_for_approval_one),
        (zh.login_locked, en.login_locked),
        (zh.short_by, en.short_by),
        (zh.saved_seq, en.saved_seq),
        (zh.login_then_open, en.login_then_open),
        (zh.demo_hint, en.demo_hint),
    ];
    for (a, b) in pairs {
        assert_eq!(a.matches("{}").count(), b.matches("{}").count(), "{a} / {b}");
    }
}

#[test]
fn locale_picks_chinese_only_for_zh() {
    assert_eq!(Lang::parse("zh"), Some(Lang::Zh));
    assert_eq!(Lang::parse("EN"), Some(Lang::En));
    assert_eq!(Lang::parse("fr"), None);
}
