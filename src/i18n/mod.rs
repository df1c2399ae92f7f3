//! Every string the counter shows, one struct per language (`zh.rs`, `en.rs`), so wording stays
//! consistent and widths can be audited in one place. Templates use `{}` for values, filled in
//! order by [`fill`].

mod en;
mod errors;
mod values;
mod zh;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `zh` or `en`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "cn" => Some(Lang::Zh),
            "en" | "en-us" | "en_us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    /// Chinese when the locale (`LC_ALL`, `LC_MESSAGES`, then `LANG`) starts with `zh`.
    pub fn from_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .unwrap_or_default();
        if locale.to_ascii_lowercase().starts_with("zh") { Lang::Zh } else { Lang::En }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::Zh => &zh::TEXT,
            Lang::En => &en::TEXT,
        }
    }
}

/// Replaces each `{}` in `template` with the next value.
pub fn fill(template: &str, values: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut parts = template.split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        if let Some(v) = values.get(i) {
            out.push_str(&v.to_string());
        }
        out.push_str(part);
    }
    out
}

/// The labels and messages of one language.
impl Text {
    /// The word for what an entry did to a volunteer's hours (one word per movement: the
    /// match is exhaustive, so a new movement is named here or nothing builds).
    pub fn movement(&self, m: crate::domain::Movement) -> &'static str {
        use crate::domain::Movement as M;
        match m {
            M::Deposit => self.kind_deposit,
            M::Redeem => self.kind_redeem,
            M::TransferOut => self.kind_transfer_out,
            M::TransferIn => self.kind_transfer_in,
            M::AdjustCredit => self.kind_adjust_credit,
            M::AdjustDebit => self.kind_adjust_debit,
            M::Donation => self.kind_donation,
            M::PoolGrant => self.kind_pool_grant,
            M::Expiry => self.kind_expiry,
            M::CityRelease => self.kind_city_release,
            M::CityGrant => self.kind_city_grant,
        }
    }
}

pub struct Text {
    // Chrome.
    pub app_title: &'static str,
    pub too_small: &'static str,
    pub status_ready: &'static str,
    pub status_saved: &'static str,
    pub status_locked: &'static str,
    pub no_staff: &'static str,
    pub hours_unit: &'static str,
    pub help_title: &'static str,
    pub help_close: &'static str,
    pub index_building: &'static str,
    pub printed: &'static str,
    pub backup_running: &'static str,
    pub backup_last: &'static str,
    pub backup_never: &'static str,
    pub backup_failed: &'static str,
    pub control_unavailable: &'static str,
    pub print_failed: &'static str,

    // Lock and login.
    pub lock_hint: &'static str,
    pub lock_scan_hint: &'static str,
    pub demo_hint: &'static str,
    pub login_title: &'static str,
    pub login_id: &'static str,
    pub login_pin: &'static str,
    pub login_then_open: &'static str,
    pub login_wrong: &'static str,
    pub login_wrong_left: &'static str,
    /// The same, with one try left (English says "try", not "tries").
    pub login_wrong_one: &'static str,
    pub login_locked: &'static str,
    pub login_disabled: &'static str,
    pub login_no_pin: &'static str,
    pub checking: &'static str,

    // First-run setup.
    pub setup_title: &'static str,
    pub setup_intro: &'static str,
    pub setup_counter: &'static str,
    pub setup_admin_id: &'static str,
    pub setup_admin_name: &'static str,
    pub setup_pin: &'static str,
    pub setup_pin_again: &'static str,
    pub setup_pins_differ: &'static str,

    // Find.
    pub find_title: &'static str,
    pub find_prompt: &'static str,
    pub find_empty: &'static str,
    pub find_none: &'static str,
    pub col_card: &'static str,
    pub col_name: &'static str,
    pub col_community: &'static str,
    pub col_balance: &'static str,

    // Volunteer page.
    pub balance: &'static str,
    pub earned: &'static str,
    pub redeemed: &'static str,
    pub transferred: &'static str,
    pub credits: &'static str,
    pub debits: &'static str,
    pub part_earned: &'static str,
    /// Credited besides service: gifts, donation-pool grants, corrections in.
    pub part_other_in: &'static str,
    pub part_redeemed: &'static str,
    pub part_given: &'static str,
    pub part_adjusted_out: &'static str,
    pub stars: &'static str,
    pub phone: &'static str,
    pub community: &'static str,
    pub registered: &'static str,
    pub inactive: &'static str,
    pub history: &'static str,
    pub history_empty: &'static str,
    pub col_date: &'static str,
    pub col_kind: &'static str,
    pub col_what: &'static str,
    pub col_hours: &'static str,
    pub col_staff: &'static str,
    pub col_seq: &'static str,
    pub reversed_mark: &'static str,
    pub kind_deposit: &'static str,
    pub kind_redeem: &'static str,
    pub kind_transfer: &'static str,
    pub kind_adjust: &'static str,
    pub kind_reversal: &'static str,
    /// A deposit held for approval, and the decision on it.
    pub kind_held: &'static str,
    pub kind_approved: &'static str,
    pub kind_rejected: &'static str,
    /// The passbook's last line in a city: the card's hours at other counters and in its pool.
    pub passbook_elsewhere: &'static str,
    pub passbook_elsewhere_memo: &'static str,
    pub kind_other: &'static str,
    /// The sides of a transfer and an adjustment, and an expiry (see `Text::movement`).
    pub kind_transfer_out: &'static str,
    pub kind_transfer_in: &'static str,
    pub kind_adjust_credit: &'static str,
    pub kind_adjust_debit: &'static str,
    pub kind_expiry: &'static str,

    // Forms.
    pub activity: &'static str,
    pub activity_filter_hint: &'static str,
    pub no_activity: &'static str,
    pub service_date: &'static str,
    pub duration: &'static str,
    pub duration_hint: &'static str,
    pub note: &'static str,
    pub optional: &'static str,
    pub required: &'static str,
    pub record_title: &'static str,
    pub confirm_deposit: &'static str,
    /// The confirm line of a deposit the rules will hold for an admin: nothing is credited yet.
    pub confirm_deposit_held: &'static str,
    pub confirm_keys: &'static str,
    pub saved_seq: &'static str,

    // Batch.
    pub batch_title: &'static str,
    pub batch_scan: &'static str,
    pub batch_list: &'static str,
    pub batch_duplicate: &'static str,
    pub batch_inactive: &'static str,
    pub batch_no_card: &'static str,
    pub batch_removed: &'static str,
    pub batch_refused: &'static str,
    pub batch_confirm_held: &'static str,
    pub batch_refused_line: &'static str,
    pub batch_added: &'static str,
    pub batch_empty: &'static str,
    pub batch_confirm: &'static str,
    pub batch_summary: &'static str,
    pub batch_discard: &'static str,

    // Redeem and receipt.
    pub redeem_title: &'static str,
    pub quantity: &'static str,
    pub col_reward: &'static str,
    pub col_cost: &'static str,
    pub col_stock: &'static str,
    pub unlimited: &'static str,
    /// A reward the city balance covers that cannot be redeemed here now (offline).
    pub redeem_needs_online: &'static str,
    pub short_by: &'static str,
    pub out_of_stock: &'static str,
    pub no_rewards: &'static str,
    pub confirm_redeem: &'static str,
    pub receipt_title: &'static str,
    pub receipt_no: &'static str,
    pub receipt_volunteer: &'static str,
    pub receipt_item: &'static str,
    pub receipt_hours: &'static str,
    pub receipt_balance_after: &'static str,
    pub receipt_staff: &'static str,
    pub receipt_time: &'static str,
    pub receipt_no_printer: &'static str,

    // Transfer and reverse.
    pub transfer_title: &'static str,
    pub transfer_to: &'static str,
    pub confirm_transfer: &'static str,
    pub reverse_title: &'static str,
    pub reverse_entry: &'static str,
    pub reason: &'static str,
    pub reverse_nothing: &'static str,

    // Register / edit.
    pub register_title: &'static str,
    pub edit_title: &'static str,
    pub card: &'static str,
    pub name: &'static str,
    pub id_number: &'static str,
    pub card_taken: &'static str,
    pub phone_digits: &'static str,
    pub name_required: &'static str,

    // Keymap actions, for the footer and the help overlay.
    pub act_help: &'static str,
    pub act_lock: &'static str,
    pub act_quit: &'static str,
    pub act_login: &'static str,
    pub act_open: &'static str,
    pub act_submit: &'static str,
    pub act_back: &'static str,
    pub act_next_field: &'static str,
    pub act_prev_field: &'static str,
    pub act_move: &'static str,
    pub act_page: &'static str,
    pub act_register: &'static str,
    pub act_batch: &'static str,
    pub act_record: &'static str,
    pub act_redeem: &'static str,
    pub act_transfer: &'static str,
    pub act_reverse: &'static str,
    pub act_edit: &'static str,
    pub act_print: &'static str,
    pub act_reveal: &'static str,
    pub act_more: &'static str,
    pub act_less: &'static str,
    pub act_remove: &'static str,
    pub act_commit: &'static str,
    pub act_scan: &'static str,
    pub act_set_pin: &'static str,
    pub act_change_pin: &'static str,
    pub act_staff_pin: &'static str,
    pub pin_title: &'static str,
    pub pin_new: &'static str,
    pub pin_again: &'static str,
    pub pin_hint: &'static str,
    pub pin_mismatch: &'static str,
    pub act_review: &'static str,
    pub act_approve: &'static str,
    pub act_reject: &'static str,
    pub review_title: &'static str,
    pub review_col_started: &'static str,
    pub review_col_card: &'static str,
    pub review_col_name: &'static str,
    pub review_col_activity: &'static str,
    pub review_col_worked: &'static str,
    pub review_empty: &'static str,
    pub review_approve_title: &'static str,
    pub review_reject_title: &'static str,
    /// The decision's confirm line: the entry's number.
    pub review_confirm_approve: &'static str,
    pub review_confirm_reject: &'static str,
    pub review_hours: &'static str,
    pub err_shift_open: &'static str,
    pub err_no_open_shift: &'static str,
    pub err_not_in_review: &'static str,
    pub act_check_in: &'static str,
    pub act_check_out: &'static str,
    pub kiosk_on_shift: &'static str,
    pub kiosk_off_shift: &'static str,
    pub kiosk_pick_activity: &'static str,
    pub kiosk_checked_in: &'static str,
    /// Asked before a check-out: the activity, when the shift began, how long it has run.
    pub kiosk_confirm_out: &'static str,
    /// A check-out credited less than worked: minutes worked, the rounding unit, the day's cap, credited.
    pub kiosk_checked_out_rounded: &'static str,
    pub kiosk_checked_out: &'static str,
    pub kiosk_review_long: &'static str,
    pub kiosk_review_midnight: &'static str,
    pub kiosk_already_in: &'static str,
    pub kiosk_no_activities: &'static str,
    pub act_self_service: &'static str,
    pub quit_needs_login: &'static str,
    pub kiosk_login_title: &'static str,
    pub kiosk_card: &'static str,
    pub kiosk_pin: &'static str,
    /// A volunteer changing their own PIN at the kiosk (`p`).
    pub kiosk_pin_title: &'static str,
    pub kiosk_pin_current: &'static str,
    pub kiosk_pin_current_wrong: &'static str,
    pub kiosk_pin_changed: &'static str,
    pub kiosk_pin_hint: &'static str,
    pub kiosk_wrong: &'static str,
    pub kiosk_locked: &'static str,
    pub kiosk_title: &'static str,
    pub kiosk_recent: &'static str,
    pub kiosk_affordable: &'static str,
    pub kiosk_none_affordable: &'static str,
    pub kiosk_stock: &'static str,
    pub kiosk_seats: &'static str,
    pub kiosk_next_star: &'static str,

    // Errors in plain words.
    pub err_unknown_card: &'static str,
    pub err_card_taken: &'static str,
    pub err_inactive: &'static str,
    pub err_unknown_activity: &'static str,
    pub err_unknown_reward: &'static str,
    pub err_reward_retired: &'static str,
    pub err_duplicate_in_batch: &'static str,
    pub err_future_date: &'static str,
    pub err_counter_code: &'static str,
    pub err_counter_code_set: &'static str,
    pub err_registration_conflict: &'static str,
    pub err_card_in_conflict: &'static str,
    pub err_not_in_conflict: &'static str,
    pub err_grant_in_conflict: &'static str,
    /// Under a volunteer's balance once the counter syncs: the city balance and when it was
    /// last pulled ({} hours, {} time).
    pub city_balance_as_of: &'static str,
    /// The header while the background sync runs: last whole round ({} time), first round
    /// not done yet, last round failed.
    pub sync_last: &'static str,
    pub sync_running: &'static str,
    pub sync_failed: &'static str,
    /// The header after a failed sync that followed a good one ({} its time, HH:MM).
    pub sync_failed_since: &'static str,
    /// The status line when a sync fails ({} the reason, as the sync says it).
    pub sync_failed_because: &'static str,
    /// The header while this counter takes the city's directory: the share of its cards taken so far ({} percent).
    pub sync_joining: &'static str,
    /// The same when the city did not say how many it has ({} cards so far).
    pub sync_joining_count: &'static str,
    /// `hourbank sync`'s bar while it takes the city's directory (an indicatif template).
    pub sync_joining_bar: &'static str,
    /// The same when the last pull did not reach every counter ({} hours).
    pub city_balance_incomplete: &'static str,
    pub city_conflict_line: &'static str,
    pub close_matches: &'static str,
    pub admin_default_in_use: &'static str,
    pub admin_receipt_on_screen: &'static str,
    pub err_city_unreachable: &'static str,
    pub err_city_refused: &'static str,
    pub conflicts_differ: &'static str,
    pub balance_line: &'static str,
    pub balance_line_city: &'static str,
    pub balance_spent: &'static str,
    pub balance_conflict: &'static str,
    pub balance_city_as_of: &'static str,
    pub balance_part_earned: &'static str,
    pub balance_part_received: &'static str,
    pub balance_part_adjusted_in: &'static str,
    pub balance_part_redeemed: &'static str,
    pub balance_part_given: &'static str,
    pub balance_part_adjusted_out: &'static str,
    pub balance_part_from_city: &'static str,
    pub balance_part_to_city: &'static str,
    pub certificate_valid: &'static str,
    pub certificate_valid_city: &'static str,
    pub certificate_not_valid: &'static str,
    pub certificate_malformed: &'static str,
    pub certificate_too_new: &'static str,
    pub certificate_altered: &'static str,
    pub certificate_mismatch: &'static str,
    pub certificate_city_asking: &'static str,
    pub certificate_city_offline: &'static str,
    pub certificate_city_unreadable: &'static str,
    pub conflicts_title: &'static str,
    pub conflicts_asking: &'static str,
    pub conflicts_none: &'static str,
    pub conflicts_no_city: &'static str,
    pub conflicts_col_here: &'static str,
    pub conflicts_col_theirs: &'static str,
    pub conflicts_col_differs: &'static str,
    pub conflicts_not_registered: &'static str,
    pub conflicts_not_here: &'static str,
    pub conflicts_take: &'static str,
    pub conflicts_clears: &'static str,
    pub conflicts_new_card: &'static str,
    pub conflicts_move: &'static str,
    pub conflicts_enter_checks: &'static str,
    pub conflicts_enter_saves: &'static str,
    pub conflicts_settled: &'static str,
    pub act_conflicts: &'static str,
    pub act_take_other: &'static str,
    pub act_move_new_card: &'static str,
    pub act_refresh: &'static str,
    pub conflict_mark: &'static str,
    pub city_spendable_online: &'static str,
    pub city_spendable_offline: &'static str,
    pub err_city_short: &'static str,
    pub err_city_offline: &'static str,
    pub err_city_none: &'static str,
    pub err_city_behind: &'static str,
    pub receipt_from_city: &'static str,
    pub confirm_from_city: &'static str,
    pub warn_files_loosened: &'static str,
    pub warn_key_loosened: &'static str,
    pub warn_key_created: &'static str,
    pub warn_config_loosened: &'static str,
    pub warn_theme_unknown: &'static str,
    pub warn_theme_broken: &'static str,
    pub warn_prefix: &'static str,
    pub warn_join: &'static str,
    pub err_past_course_date: &'static str,
    pub field_full: &'static str,
    pub choice_hint: &'static str,
    pub kind_gift: &'static str,
    pub kind_voucher: &'static str,
    pub kind_course: &'static str,
    pub rounding_none: &'static str,
    pub rounding_30: &'static str,
    pub rounding_15: &'static str,
    pub limit_off: &'static str,
    pub months_value: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub err_admin_only: &'static str,
    pub err_not_permitted: &'static str,
    pub err_insufficient_balance: &'static str,
    /// A credit's reversal whose hours were spent: the entry, its hours, the balance.
    pub err_reversal_spent: &'static str,
    /// Staff reversing an entry not theirs or not today's.
    pub err_not_own_entry: &'static str,
    pub err_insufficient_stock: &'static str,
    pub err_out_of_stock: &'static str,
    pub err_already_reversed: &'static str,
    pub err_not_reversible: &'static str,
    pub err_self_transfer: &'static str,
    pub err_over_transfer_limit: &'static str,
    pub err_over_cap: &'static str,
    pub err_duration: &'static str,
    pub err_date: &'static str,
    pub err_card_format: &'static str,
    pub err_staff_id: &'static str,
    pub err_empty_name: &'static str,
    pub err_bad_text: &'static str,
    pub err_too_long: &'static str,
    pub err_phone: &'static str,
    pub err_id_number: &'static str,
    pub err_zero: &'static str,
    pub err_reason: &'static str,
    pub err_quantity: &'static str,
    pub err_pin: &'static str,
    pub err_volunteer_pin: &'static str,
    pub err_staff_disabled: &'static str,
    pub err_store_write: &'static str,
    pub err_store_other: &'static str,
    pub err_rounding: &'static str,
    pub err_expiry_months: &'static str,
    /// `m` on an activity with no category.
    pub multiplier_needs_category: &'static str,
    pub err_multiplier: &'static str,
    pub err_below_rounding: &'static str,
    pub err_not_held: &'static str,
    pub err_over_day_cap: &'static str,
    pub err_over_storage_cap: &'static str,
    pub err_insufficient_pool: &'static str,
    pub act_reports: &'static str,
    pub act_expire: &'static str,
    pub admin_expire_title: &'static str,
    pub admin_expiry_off: &'static str,
    pub admin_counter_name: &'static str,
    pub admin_tab_counter: &'static str,
    pub admin_idle: &'static str,
    pub admin_kiosk_idle: &'static str,
    pub admin_receipt_command: &'static str,
    pub admin_lang: &'static str,
    pub admin_theme: &'static str,
    pub admin_theme_hint: &'static str,
    pub admin_report_dir: &'static str,
    pub admin_no_config_file: &'static str,
    pub act_certificate: &'static str,
    pub act_city_record: &'static str,
    /// The city's record of a volunteer ({} card), asked of the city service.
    pub city_record_title: &'static str,
    pub city_record_asking: &'static str,
    /// A commit waiting for the city service (a grant, the card's day elsewhere).
    pub city_commit_asking: &'static str,
    pub city_record_offline: &'static str,
    pub city_record_no_city: &'static str,
    /// ({} what the service or the connection said).
    pub city_record_failed: &'static str,
    /// ({} counters that registered the card).
    pub city_record_registered: &'static str,
    /// ({} entries of the card at every counter).
    pub city_record_entries: &'static str,
    pub city_record_hint: &'static str,
    pub city_record_unreachable: &'static str,
    pub certificate_title: &'static str,
    pub held_for_approval: &'static str,
    pub held_for_approval_one: &'static str,
    pub act_earlier: &'static str,
    pub act_later: &'static str,
    pub act_export: &'static str,
    pub reports_title: &'static str,
    pub reports_daily: &'static str,
    pub reports_monthly: &'static str,
    pub reports_settlement: &'static str,
    pub reports_written: &'static str,
    pub reports_write_failed: &'static str,
    pub reports_col_staff: &'static str,
    pub reports_col_deposits: &'static str,
    pub reports_col_redemptions: &'static str,
    pub reports_col_reversals: &'static str,
    pub reports_total: &'static str,
    pub reports_col_activity: &'static str,
    pub reports_held: &'static str,
    pub reports_month_summary: &'static str,
    pub reports_chart_months: &'static str,
    pub reports_month_pool: &'static str,
    pub served_on_note: &'static str,
    pub kiosk_donate_prompt: &'static str,
    pub kiosk_confirm_donate: &'static str,
    /// The reversal popup's confirm line, after its dry run ({} the entry's number).
    pub confirm_reverse: &'static str,
    pub kiosk_donated: &'static str,
    pub pool_donate_title: &'static str,
    pub pool_grant_title: &'static str,
    pub pool_balance_line: &'static str,
    pub confirm_donate: &'static str,
    pub confirm_grant: &'static str,
    pub act_donate: &'static str,
    pub act_grant: &'static str,
    pub kind_donation: &'static str,
    pub kind_pool_grant: &'static str,
    pub kind_city_release: &'static str,
    pub kind_city_grant: &'static str,
    pub reports_chart_communities: &'static str,
    pub reports_col_merchant: &'static str,
    pub reports_col_item: &'static str,
    pub reports_col_qty: &'static str,
    pub reports_col_stock: &'static str,
    pub reports_nothing: &'static str,
    pub spark_label: &'static str,
    pub review_col_kind: &'static str,
    pub review_kind_shift: &'static str,
    pub review_kind_deposit: &'static str,
    pub act_next_tab: &'static str,
    pub act_prev_tab: &'static str,
    pub act_admin: &'static str,
    pub act_new: &'static str,
    pub act_price: &'static str,
    pub act_restock: &'static str,
    pub act_retire: &'static str,
    pub act_multiplier: &'static str,
    pub act_disable: &'static str,
    pub act_unlock: &'static str,
    pub admin_title: &'static str,
    pub admin_no_rewards: &'static str,
    pub admin_no_activities: &'static str,
    pub setup_next: &'static str,

    pub admin_tab_rewards: &'static str,
    pub admin_tab_activities: &'static str,
    pub admin_tab_staff: &'static str,
    pub admin_tab_rules: &'static str,
    pub admin_name: &'static str,
    pub admin_kind: &'static str,
    pub admin_cost: &'static str,
    pub admin_stock: &'static str,
    pub admin_stock_hint: &'static str,
    pub admin_course_date_hint: &'static str,
    pub admin_course_date: &'static str,
    pub admin_merchant: &'static str,
    pub admin_qty: &'static str,
    pub admin_category: &'static str,
    pub admin_percent: &'static str,
    pub admin_staff_id: &'static str,
    pub admin_is_admin: &'static str,
    pub admin_role: &'static str,
    pub admin_role_admin: &'static str,
    pub admin_role_staff: &'static str,
    pub admin_disabled: &'static str,
    /// A staff member locked out by wrong PINs, until when.
    pub admin_locked_until: &'static str,
    pub admin_retired: &'static str,
    pub admin_new_reward: &'static str,
    pub admin_price_title: &'static str,
    pub admin_restock_title: &'static str,
    pub admin_retire_title: &'static str,
    pub admin_new_activity: &'static str,
    pub admin_multiplier_title: &'static str,
    pub admin_new_staff: &'static str,
    pub admin_disable_title: &'static str,
    pub admin_pin_title: &'static str,
    pub admin_unlock_title: &'static str,
    pub admin_rules_title: &'static str,
    pub admin_rounding: &'static str,
    pub admin_day_cap: &'static str,
    pub admin_approval_over: &'static str,
    pub admin_storage_cap: &'static str,
    pub admin_expiry: &'static str,
    pub admin_expiry_label: &'static str,
    pub admin_off_hint: &'static str,
    pub admin_entry_cap: &'static str,
    pub admin_transfer_limit: &'static str,
    pub admin_confirm_hint: &'static str,
    pub admin_nothing_changed: &'static str,
}

#[cfg(test)]
mod tests;

impl Text {
    /// One of an account's totals, as the command line's balance line names it.
    pub fn account_part(&self, part: crate::domain::AccountPart) -> &'static str {
        use crate::domain::AccountPart as P;
        match part {
            P::Earned => self.balance_part_earned,
            P::Received => self.balance_part_received,
            P::AdjustedIn => self.balance_part_adjusted_in,
            P::Redeemed => self.balance_part_redeemed,
            P::Given => self.balance_part_given,
            P::AdjustedOut => self.balance_part_adjusted_out,
            P::FromCity => self.balance_part_from_city,
            P::ToCity => self.balance_part_to_city,
        }
    }

    /// A registration's detail (`name`, `phone`, `id_number`, `community`), as lists name it.
    pub fn registration_field(&self, field: &str) -> &'static str {
        match field {
            "name" => self.name,
            "phone" => self.phone,
            "id_number" => self.id_number,
            _ => self.community,
        }
    }
}
