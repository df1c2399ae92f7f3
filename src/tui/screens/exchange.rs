//! The exchange day (兑换日) at the supermarket's counter, built for a queue: scan the points
//! card (or type it), scan coupons to credit them, pick goods priced in points — Down to the
//! good, Enter, Enter — and the receipt shows at once; Esc for the next resident. The day's
//! takings stay in sight for the settlement.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{Bank, BankError, PointsView, ResidentForm, RewardView};
use crate::domain::points::phone_tail;
use crate::domain::{CardNo, Name};
use crate::i18n::fill;
use crate::tui::contract::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{
    Field, Form, FormKey, ListColumn, TextInput, centered, popup, put, table, title_bar,
};

/// A good on offer: the reward, its price in points.
pub struct Good {
    pub reward: RewardView,
    pub points: u32,
}

pub struct Exchange {
    goods: Vec<Good>,
    /// The scan line: a card, then coupons.
    input: TextInput,
    person: Option<PointsView>,
    selected: usize,
    qty: u32,
    /// The confirm line is up for the selected good.
    confirming: bool,
    /// The last thing done or refused: text and whether it was refused.
    notice: Option<(String, bool)>,
    /// The last receipt's lines (printed with F9).
    receipt: Vec<String>,
    /// This screen's takings so far: goods handed out and points taken.
    served: (u32, u64),
    /// A card scanned that nobody holds: `F2` registers its resident here, in the queue.
    unknown: Option<CardNo>,
    /// The resident's registration form, while it is open: name, community, phone tail.
    register: Option<(CardNo, Form)>,
    /// The redemption asked of the city (short here, the card's pool is asked), until its
    /// answer: the good and the quantity, for the receipt.
    asking: Option<(usize, u32)>,
    /// What the person's card's city pool holds, as the service last said (online only): the
    /// points spendable here are this counter's share and that.
    city_pool: Option<u64>,
}

/// Redeems with the city at `link` (see `city::redeem_points`): what the effect's thread does
/// online, and the screen itself offline or without a city. A refusal in words.
pub fn redeem(
    bank: &Bank,
    link: crate::city::CityLink<'_>,
    actor: &crate::domain::Actor,
    t: &crate::i18n::Text,
    r: &crate::bank::Redemption,
) -> Result<crate::bank::Committed, String> {
    crate::city::redeem_points(bank, link, actor, None, &r.card, r.reward, r.qty)
        .map_err(|e| t.spend_error(&e))
}

/// The goods priced in points, in the catalog's order.
pub fn goods(bank: &Bank) -> Result<Vec<Good>, BankError> {
    let mut out = Vec::new();
    for reward in bank.rewards()?.into_iter().filter(|r| r.reward.active) {
        if let Some(points) = bank.points_price(reward.id)?.points {
            out.push(Good { reward, points: points.get() });
        }
    }
    Ok(out)
}

impl Exchange {
    pub fn new(bank: &Bank) -> Result<Exchange, BankError> {
        Ok(Exchange {
            goods: goods(bank)?,
            input: TextInput::new(48),
            person: None,
            selected: 0,
            qty: 1,
            confirming: false,
            notice: None,
            receipt: Vec::new(),
            served: (0, 0),
            unknown: None,
            register: None,
            asking: None,
            city_pool: None,
        })
    }

    fn refresh(&mut self, cx: &Cx) {
        if let Some(p) = &self.person
            && let Ok(card) = CardNo::parse(&p.card)
        {
            self.person = cx.bank.points_of(&card).ok();
        }
        if let Ok(g) = goods(cx.bank) {
            self.goods = g;
        }
    }

    pub fn scope(&self) -> Scope {
        if self.register.is_some() { Scope::Form } else { Scope::Exchange }
    }

    /// Keys of the resident's registration form: Enter saves it and serves them at once.
    fn on_register_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let Some((card, form)) = self.register.as_mut() else { return Step::Stay };
        match form.on_key(keymap::action(Scope::Form, key), key) {
            FormKey::Back => self.register = None,
            FormKey::Submit => {
                let w = cx.t.points;
                let form_values = (|| -> Result<ResidentForm, String> {
                    Ok(ResidentForm {
                        card: card.clone(),
                        name: Name::parse(form.value(0)).map_err(|e| cx.t.domain_error(&e))?,
                        community: form.value(1).trim().to_string(),
                        phone_tail: phone_tail(form.value(2)).map_err(|e| cx.t.domain_error(&e))?,
                    })
                })();
                let saved = form_values.and_then(|f| {
                    cx.bank.register_resident(&cx.session.actor, None, &f).map_err(|e| cx.t.bank_error(&e))
                });
                match saved {
                    Ok(e) => {
                        *cx.status = Status::Saved(e.seq());
                        self.person = cx.bank.points_of(card).ok();
                        self.notice = Some((w.exchange_registered.into(), false));
                        self.register = None;
                        self.unknown = None;
                    }
                    Err(e) => form.set_error(form.focus, Some(e)),
                }
            }
            FormKey::Handled => {}
        }
        Step::Stay
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        if self.asking.is_some() {
            // Waiting for the city: nothing else is started meanwhile; Esc leaves, and the
            // status line says how it ended.
            let leave = matches!(keymap::action(Scope::Exchange, key), Some(Action::Back));
            return if leave { Step::Back } else { Step::Stay };
        }
        if self.register.is_some() {
            return self.on_register_key(key, cx);
        }
        let action = keymap::action(Scope::Exchange, key);
        if !matches!(action, Some(Action::Submit | Action::Print)) {
            self.confirming = false;
        }
        match action {
            Some(Action::Back) if !self.input.is_empty() => self.input.clear(),
            Some(Action::Back) if self.person.is_some() => {
                // The next resident in the queue.
                self.person = None;
                self.city_pool = None;
                self.notice = None;
                self.receipt.clear();
                self.qty = 1;
            }
            Some(Action::Back) => return Step::Back,
            Some(Action::Up) => {
                self.selected = self.selected.saturating_sub(1);
                self.qty = 1;
            }
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(self.goods.len().saturating_sub(1));
                self.qty = 1;
            }
            Some(Action::More) => self.qty = (self.qty + 1).min(99),
            Some(Action::Less) => self.qty = self.qty.saturating_sub(1).max(1),
            Some(Action::Print) if !self.receipt.is_empty() => return Step::Print(self.receipt.join("\n")),
            Some(Action::Register) => {
                if let Some(card) = self.unknown.clone() {
                    let w = cx.t.points;
                    let fields = vec![
                        Field::new(w.field_name, crate::domain::MAX_NAME_CHARS),
                        Field::new(w.field_community, crate::domain::MAX_NAME_CHARS),
                        Field::new(w.field_phone_tail, 4),
                    ];
                    self.register = Some((card, Form::new(fields)));
                }
            }
            Some(Action::Submit) => return self.submit(cx),
            _ => {
                self.input.handle(key);
            }
        }
        Step::Stay
    }

    fn submit(&mut self, cx: &mut Cx) -> Step {
        let text = self.input.value().trim().to_string();
        let w = cx.t.points;
        if !text.is_empty() {
            self.input.clear();
            self.confirming = false;
            return match (&self.person, text.contains('.')) {
                // A coupon is credited as it is scanned: the resident hands it over.
                (Some(p), true) => {
                    let card = CardNo::parse(&p.card).ok();
                    let result = card.ok_or_else(|| w.err_points.to_string()).and_then(|card| {
                        cx.bank
                            .take_coupon(&cx.session.actor, None, &card, &text)
                            .map_err(|e| cx.t.bank_error(&e))
                    });
                    match result {
                        Ok(e) => {
                            *cx.status = Status::Saved(e.seq());
                            self.refresh(cx);
                            let balance = self.person.as_ref().map_or(0, |p| p.balance);
                            self.notice = Some((fill(w.exchange_coupon_taken, &[&text, &balance]), false));
                        }
                        Err(e) => self.notice = Some((e, true)),
                    }
                    Step::Stay
                }
                (_, _) => {
                    // A points card another community registered is in the city's directory:
                    // taken here as a volunteer's card is at any counter.
                    match CardNo::parse(&text).map_err(|e| cx.t.domain_error(&e)).and_then(|card| {
                        cx.bank
                            .adopt_from_city(&cx.session.actor, std::slice::from_ref(&card))
                            .and_then(|()| cx.bank.points_of(&card))
                            .map_err(|e| cx.t.bank_error(&e))
                    }) {
                        Ok(p) => {
                            self.person = Some(p);
                            self.notice = None;
                            self.unknown = None;
                            self.receipt.clear();
                            return self.ask_pool(cx);
                        }
                        // Nobody holds it: a new resident in the queue, registered here (F2).
                        Err(_) if unknown_card(cx, &text) => {
                            self.unknown = CardNo::parse(&text).ok();
                            self.person = None;
                            self.notice =
                                Some((fill(w.exchange_unknown, &[&text.to_ascii_uppercase()]), true));
                        }
                        Err(e) => self.notice = Some((e, true)),
                    }
                    Step::Stay
                }
            };
        }
        let (Some(p), Some(good)) = (&self.person, self.goods.get(self.selected)) else {
            self.notice = Some((w.exchange_scan_first.into(), true));
            return Step::Stay;
        };
        if !self.confirming {
            self.confirming = true;
            return Step::Stay;
        }
        self.confirming = false;
        let Ok(card) = CardNo::parse(&p.card) else { return Step::Stay };
        let redemption = crate::bank::Redemption { card, reward: good.reward.id, qty: self.qty };
        self.asking = Some((self.selected, self.qty));
        // Online, the city may be asked for points this counter lacks: off the UI thread.
        // Offline, this counter's share only, and the refusal says so; no city, as ever.
        let url = cx.config.sync.background_url();
        let link = match (cx.city, url) {
            (crate::city::Reach::Online, Some(_)) => return Step::CityRedeemPoints(redemption),
            (crate::city::Reach::Offline, Some(_)) => crate::city::CityLink::Unreachable,
            _ => crate::city::CityLink::None,
        };
        let result = redeem(cx.bank, link, &cx.session.actor, cx.t, &redemption);
        self.finish(cx, result)
    }

    /// The city's answer about `card`'s points pool: kept if it is still the card in front.
    pub fn pool_answered(&mut self, card: &CardNo, answer: Result<u64, String>) {
        if self.person.as_ref().is_some_and(|p| p.card == card.as_str()) {
            self.city_pool = answer.ok();
        }
    }

    /// Asks the city for the card's points pool when the city is reachable (the answer comes
    /// off the UI thread); otherwise nothing.
    fn ask_pool(&mut self, cx: &Cx) -> Step {
        self.city_pool = None;
        let card = self.person.as_ref().and_then(|p| CardNo::parse(&p.card).ok());
        match (card, cx.city, cx.config.sync.city_url()) {
            (Some(card), crate::city::Reach::Online, Some(_)) => Step::AskPointsPool(card),
            _ => Step::Stay,
        }
    }

    /// Whether a redemption waits for the city's answer.
    pub fn is_asking(&self) -> bool {
        self.asking.is_some()
    }

    /// The redemption asked for has ended: the receipt, or the refusal in words.
    pub fn finish(&mut self, cx: &mut Cx, result: Result<crate::bank::Committed, String>) -> Step {
        let w = cx.t.points;
        let Some((selected, qty)) = self.asking.take() else { return Step::Stay };
        let e = match result.map(|c| c.events.into_iter().last()) {
            Ok(Some(e)) => e,
            Ok(None) => return Step::Stay,
            Err(e) => {
                self.notice = Some((e, true));
                return Step::Stay;
            }
        };
        *cx.status = Status::Saved(e.seq());
        let (name, each) = match self.goods.get(selected) {
            Some(g) => (g.reward.reward.name.to_string(), g.points),
            None => (String::new(), 0),
        };
        let points = u64::from(each) * u64::from(qty);
        self.served = (self.served.0 + qty, self.served.1 + points);
        self.refresh(cx);
        let card = self.person.as_ref().map_or(String::new(), |p| p.card.clone());
        let balance = self.person.as_ref().map_or(0, |p| p.balance);
        let at = e.body.at.datetime().with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M");
        self.receipt = vec![
            w.receipt_title.to_string(),
            format!("{} {}", card, self.person.as_ref().map_or("", |p| p.name.as_str())),
            fill(w.receipt_line, &[&name, &qty, &points]),
            fill(w.receipt_balance, &[&balance]),
            format!("#{}  {at}  {}", e.seq(), cx.session.staff.id),
        ];
        self.notice = Some((fill(w.exchange_done, &[&name, &qty, &points, &balance]), false));
        self.qty = 1;
        self.ask_pool(cx)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let w = t.points;
        let theme = vx.theme;
        title_bar(buf, area, w.exchange_title, theme);
        if let Some((card, form)) = &self.register {
            let inner = popup(buf, centered(area, 64, 8), &fill(w.register_title, &[card]), theme);
            let fields =
                Rect { x: inner.x + 1, y: inner.y + 1, width: inner.width.saturating_sub(2), height: 3 };
            form.render(fields, buf, theme, t, true);
            put(buf, inner, inner.x + 1, inner.y + 5, w.register_hint, theme.muted);
            return;
        }
        let x = area.x + 1;
        let mut y = area.y + 1;
        let label = if self.person.is_some() { w.exchange_scan_coupon } else { w.exchange_scan_card };
        let shown = put(buf, area, x, y, label, theme.muted);
        put(buf, area, x + shown + 1, y, &format!("{}_", self.input.value()), theme.text);
        y += 1;
        match &self.person {
            Some(p) => {
                let kind = if p.resident { w.resident } else { w.volunteer };
                let mut line = fill(w.exchange_person, &[&p.card, &p.name, &kind, &p.balance]);
                if let Some(pool) = self.city_pool.filter(|p| *p > 0) {
                    line.push_str(&fill(w.exchange_city_pool, &[&pool]));
                }
                put(buf, area, x, y, &line, theme.accent);
            }
            None => {
                put(buf, area, x, y, w.exchange_hint, theme.muted);
            }
        }
        y += 1;
        let columns = [
            ListColumn::fixed("#", 3).right(),
            ListColumn::fill(w.col_good, 1),
            ListColumn::fixed(w.col_price, 10).right(),
            ListColumn::fixed(t.col_stock, 8).right(),
        ];
        let room = usize::from(area.height.saturating_sub(10)).max(1);
        let list = Rect { x, y, width: area.width.saturating_sub(2), height: room as u16 + 1 };
        let start = self.selected.saturating_sub(room.saturating_sub(1));
        // What can be spent here: this counter's share and, online, the card's city pool.
        let balance = self.person.as_ref().map(|p| p.balance + self.city_pool.unwrap_or(0));
        let rows = self.goods.iter().enumerate().skip(start).take(room).map(|(i, g)| {
            let stock =
                if g.reward.reward.limited { g.reward.stock.to_string() } else { t.unlimited.to_string() };
            let short = balance.is_some_and(|b| b < u64::from(g.points))
                || (g.reward.reward.limited && g.reward.stock == 0);
            let style = if i == self.selected {
                theme.selection
            } else if short {
                theme.muted
            } else {
                theme.text
            };
            let row =
                vec![(i + 1).to_string(), g.reward.reward.name.to_string(), g.points.to_string(), stock];
            (row, style)
        });
        table(buf, list, &columns, Some(theme.muted), rows);
        if self.goods.is_empty() {
            put(buf, area, x, y + 1, w.exchange_no_goods, theme.muted);
        }
        let bottom = area.bottom().saturating_sub(5);
        if let Some(g) = self.goods.get(self.selected) {
            let points = u64::from(g.points) * u64::from(self.qty);
            let line = fill(w.exchange_qty, &[&self.qty, &points]);
            put(buf, area, x, bottom, &line, theme.accent);
            if self.confirming {
                let after = balance.unwrap_or(0).saturating_sub(points);
                let text = fill(w.exchange_confirm, &[&g.reward.reward.name, &self.qty, &points, &after]);
                put(buf, area, x, bottom + 1, &text, theme.warning);
            }
        }
        if self.asking.is_some() {
            put(buf, area, x, bottom + 2, t.city_commit_asking, theme.accent);
        } else if let Some((text, refused)) = &self.notice {
            put(buf, area, x, bottom + 2, text, if *refused { theme.danger } else { theme.success });
        }
        let served = fill(w.exchange_served, &[&self.served.0, &self.served.1]);
        put(buf, area, x, bottom + 3, &served, theme.muted);
    }
}

/// Whether `text` is a well-formed card nobody here holds.
fn unknown_card(cx: &Cx, text: &str) -> bool {
    CardNo::parse(text).is_ok_and(|card| {
        matches!(cx.bank.points_of(&card), Err(BankError::Rule(crate::domain::Rule::UnknownCard(_))))
    })
}
