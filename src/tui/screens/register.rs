//! Register a new volunteer or edit one: card (unique), name (required), phone (digits),
//! community, ID number. Each field is checked when the cursor leaves it, and all on save.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{VolunteerForm, VolunteerView};
use crate::domain::privacy::{mask_id_number, mask_phone};
use crate::domain::{CardNo, IdNumber, MAX_NAME_CHARS, Name, PersonalField, Phone, VolunteerId, parse_text};
use crate::i18n::{Text, fill};
use crate::tui::contract::{Cx, Route, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Field, Form, title_bar};

const CARD: usize = 0;
const NAME: usize = 1;
const PHONE: usize = 2;
const COMMUNITY: usize = 3;
const ID_NUMBER: usize = 4;

pub struct Register {
    /// `Some` when editing.
    editing: Option<(VolunteerId, bool)>,
    form: Form,
    /// Editing as staff: the phone and ID number as stored, and the masked text the fields
    /// show instead. A field still showing its mask keeps the stored value; typing replaces it.
    masked: Option<Masked>,
}

struct Masked {
    phone: (Option<Phone>, String),
    id_number: (Option<IdNumber>, String),
}

impl Register {
    pub fn new(card: Option<&str>) -> Register {
        let form = Form::new(vec![
            Field::new("", 32).value(card.unwrap_or("")),
            Field::new("", MAX_NAME_CHARS),
            Field::new("", 15),
            Field::new("", MAX_NAME_CHARS),
            Field::new("", 18),
        ]);
        let mut r = Register { editing: None, form, masked: None };
        if card.is_some() {
            r.form.focus = NAME;
        }
        r
    }

    /// The edit form. Staff see the phone and ID number masked, as on the volunteer page; an
    /// admin sees them in full, and that look is journalled (a `revealed` entry) first — when
    /// it cannot be, the admin gets the masked form too.
    pub fn edit(view: &VolunteerView, cx: &mut Cx) -> Register {
        let v = &view.volunteer;
        let mut r = Register::new(Some(v.card.as_str()));
        r.form.fields[NAME].input.set(v.name.as_str());
        r.form.fields[COMMUNITY].input.set(&v.community);
        r.editing = Some((view.id, v.active));
        let full = cx.session.staff.role == crate::domain::Role::Admin
            && match cx.bank.reveal(
                &cx.session.actor,
                view.id,
                &[PersonalField::Phone, PersonalField::IdNumber],
            ) {
                Ok((seq, _)) => {
                    *cx.status = Status::Saved(seq);
                    true
                }
                Err(e) => {
                    *cx.status = Status::Error(cx.t.bank_error(&e));
                    false
                }
            };
        if full {
            r.form.fields[PHONE].input.set(v.phone.as_ref().map_or("", |p| p.as_str()));
            r.form.fields[ID_NUMBER].input.set(v.id_number.as_ref().map_or("", |n| n.as_str()));
        } else {
            let phone = v.phone.as_ref().map_or(String::new(), |p| mask_phone(p.as_str()));
            let id_number = v.id_number.as_ref().map_or(String::new(), |n| mask_id_number(n.as_str()));
            r.form.fields[PHONE].input.set(&phone);
            r.form.fields[ID_NUMBER].input.set(&id_number);
            r.masked =
                Some(Masked { phone: (v.phone.clone(), phone), id_number: (v.id_number.clone(), id_number) });
        }
        r
    }

    /// Whether field `i` still shows the stored value's mask (so it was not changed).
    fn still_masked(&self, i: usize) -> bool {
        self.masked.as_ref().is_some_and(|m| {
            let mask = if i == PHONE { &m.phone.1 } else { &m.id_number.1 };
            !mask.is_empty() && self.form.value(i) == mask
        })
    }

    /// Checks one field; the card also against the bank (another volunteer's card is taken).
    fn check(&mut self, i: usize, cx: &Cx) {
        let t: &Text = cx.t;
        let value = self.form.value(i).to_string();
        let error = match i {
            CARD => match CardNo::parse(&value) {
                Err(e) => Some(t.domain_error(&e)),
                Ok(card) => match cx.bank.find_card(&card) {
                    Ok(owner) if Some(owner.id) != self.editing.map(|e| e.0) => {
                        Some(fill(t.card_taken, &[&owner.volunteer.name]))
                    }
                    _ => None,
                },
            },
            NAME => Name::parse(&value).err().map(|_| t.name_required.to_string()),
            PHONE | ID_NUMBER if self.still_masked(i) => None,
            PHONE => Phone::parse_optional(&value).err().map(|_| t.phone_digits.to_string()),
            COMMUNITY => parse_text(&value, MAX_NAME_CHARS).err().map(|e| t.domain_error(&e)),
            _ => IdNumber::parse_optional(&value).err().map(|e| t.domain_error(&e)),
        };
        self.form.set_error(i, error);
    }

    fn save(&mut self, cx: &mut Cx) -> Step {
        for i in 0..self.form.fields.len() {
            self.check(i, cx);
        }
        let kept = |i: usize| self.still_masked(i).then_some(()).and(self.masked.as_ref());
        let parsed = (
            CardNo::parse(self.form.value(CARD)),
            Name::parse(self.form.value(NAME)),
            match kept(PHONE) {
                Some(m) => Ok(m.phone.0.clone()),
                None => Phone::parse_optional(self.form.value(PHONE)),
            },
            match kept(ID_NUMBER) {
                Some(m) => Ok(m.id_number.0.clone()),
                None => IdNumber::parse_optional(self.form.value(ID_NUMBER)),
            },
        );
        let (Ok(card), Ok(name), Ok(phone), Ok(id_number)) = parsed else {
            self.form.focus_first_error();
            return Step::Stay;
        };
        if self.form.has_errors() {
            self.form.focus_first_error();
            return Step::Stay;
        }
        let form = VolunteerForm {
            card,
            name,
            phone,
            community: self.form.value(COMMUNITY).trim().to_string(),
            registered_on: None,
            id_number,
        };
        let who = &cx.session.actor;
        let result = match self.editing {
            Some((id, active)) => cx.bank.edit_volunteer(who, None, id, &form, active).map(|e| (id, e.seq())),
            None => cx.bank.register_volunteer(who, None, &form).map(|e| (e.seq(), e.seq())),
        };
        match result.and_then(|(id, seq)| Ok((cx.bank.volunteer(id)?, seq))) {
            Ok((view, seq)) => {
                if let Some(index) = cx.index.as_mut() {
                    index.upsert(view.id, &view.volunteer);
                }
                *cx.status = Status::Saved(seq);
                match self.editing {
                    // Back to the page it was corrected from, read afresh.
                    Some(_) => Step::Back,
                    None => Step::Replace(Route::Volunteer(view.id)),
                }
            }
            Err(e) => {
                *cx.status = Status::Error(cx.t.bank_error(&e));
                Step::Stay
            }
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let leaving = self.form.focus;
        match keymap::action(Scope::Form, key) {
            Some(Action::Back) => {
                return match self.editing {
                    Some(_) => Step::Back,
                    None => Step::Home,
                };
            }
            Some(Action::NextField | Action::Down) => {
                self.check(leaving, cx);
                self.form.next();
            }
            Some(Action::PrevField | Action::Up) => {
                self.check(leaving, cx);
                self.form.prev();
            }
            Some(Action::Submit)
                if leaving + 1 < self.form.fields.len()
                    && self.form.value(leaving + 1).is_empty()
                    && leaving < NAME =>
            {
                self.check(leaving, cx);
                self.form.next();
            }
            Some(Action::Submit) => return self.save(cx),
            _ => {
                self.form.edit(key);
            }
        }
        Step::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let mut form = self.form.clone();
        for (i, label) in [t.card, t.name, t.phone, t.community, t.id_number].into_iter().enumerate() {
            form.fields[i].label = label;
        }
        form.fields[PHONE].hint = t.optional;
        form.fields[COMMUNITY].hint = t.optional;
        form.fields[ID_NUMBER].hint = t.optional;
        let title = if self.editing.is_some() { t.edit_title } else { t.register_title };
        title_bar(buf, area, title, vx.theme);
        form.render(
            Rect { x: area.x + 1, y: area.y + 2, width: area.width.saturating_sub(2), height: 5 },
            buf,
            vx.theme,
            vx.t,
            true,
        );
    }
}
