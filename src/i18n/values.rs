//! Values shown to people in the counter's language: reward kinds, rule values, yes and no.
//! What is stored stays in its one spelling (`gift`, `30m`); only the words on screen change.

use super::{Text, fill};
use crate::bank::{PepperNote, PermissionWarning};
use crate::domain::{Minutes, RewardKind, Rounding, format_hours};

impl Text {
    pub fn reward_kind(&self, kind: RewardKind) -> &'static str {
        match kind {
            RewardKind::Gift => self.kind_gift,
            RewardKind::Voucher => self.kind_voucher,
            RewardKind::Course => self.kind_course,
        }
    }

    /// The three kinds as a form's choices (stored value, label).
    pub fn reward_kind_choices(&self) -> Vec<(&'static str, &'static str)> {
        [RewardKind::Gift, RewardKind::Voucher, RewardKind::Course]
            .into_iter()
            .map(|k| (k.as_str(), self.reward_kind(k)))
            .collect()
    }

    pub fn rounding(&self, r: Rounding) -> &'static str {
        match r {
            Rounding::None => self.rounding_none,
            Rounding::HalfHour => self.rounding_30,
            Rounding::QuarterHour => self.rounding_15,
        }
    }

    pub fn rounding_choices(&self) -> Vec<(&'static str, &'static str)> {
        [Rounding::None, Rounding::HalfHour, Rounding::QuarterHour]
            .into_iter()
            .map(|r| (r.as_str(), self.rounding(r)))
            .collect()
    }

    /// Hours with their unit: `24 h`, `24 小时`.
    pub fn hours(&self, m: Minutes) -> String {
        format!("{} {}", format_hours(u64::from(m.get())), self.hours_unit)
    }

    /// A limit in hours, or the word for "no limit".
    pub fn limit(&self, m: Option<Minutes>) -> String {
        m.map_or_else(|| self.limit_off.to_string(), |m| self.hours(m))
    }

    pub fn months(&self, n: Option<u16>) -> String {
        n.map_or_else(|| self.limit_off.to_string(), |n| fill(self.months_value, &[&n]))
    }

    /// What opening the store found and fixed in its files' permissions.
    pub fn permission_warning(&self, w: &PermissionWarning) -> String {
        let mut parts = Vec::new();
        if let Some((n, first)) = &w.files {
            parts.push(fill(self.warn_files_loosened, &[n, &first.display()]));
        }
        match &w.key {
            Some(PepperNote::Loosened(path)) => parts.push(fill(self.warn_key_loosened, &[&path.display()])),
            Some(PepperNote::Created(path)) => parts.push(fill(self.warn_key_created, &[&path.display()])),
            None => {}
        }
        parts.join(self.warn_join)
    }

    pub fn yes_no_choices(
        &self,
        yes_value: &'static str,
        no_value: &'static str,
    ) -> Vec<(&'static str, &'static str)> {
        vec![(no_value, self.no), (yes_value, self.yes)]
    }
}

/// What the domain's values are called: an entry's movement, an account's totals, a
/// registration's details.
impl Text {
    /// Who made an entry, as a screen names them: staff by their id, the kiosk and the city
    /// sync by a word (the journal's own spelling stays in exports, which scripts read).
    pub fn actor(&self, actor: &crate::domain::Actor) -> String {
        use crate::domain::Actor as A;
        match actor {
            A::SelfService => self.actor_self_service.to_string(),
            A::Sync => self.actor_sync.to_string(),
            A::Staff(_) | A::Cli(_) => actor.to_string(),
        }
    }

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

#[cfg(test)]
mod tests {
    use crate::domain::{Minutes, RewardKind};
    use crate::i18n::Lang;

    #[test]
    fn values_read_in_the_counters_language_with_units() {
        let (zh, en) = (Lang::Zh.text(), Lang::En.text());
        assert_eq!(zh.reward_kind(RewardKind::Voucher), "代金券");
        assert_eq!(en.limit(Some(Minutes::new(24 * 60))), "24 h");
        assert_eq!(zh.limit(Some(Minutes::new(90))), "1.5 小时");
        assert_eq!(zh.limit(None), "不限");
        assert_eq!(en.months(Some(24)), "24 months");
        // The choices hand back the stored spelling, whatever the label.
        assert!(zh.reward_kind_choices().iter().any(|(v, l)| *v == "course" && *l == "课程"));
    }
}
