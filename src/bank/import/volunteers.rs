//! `import volunteers`: `card_no,name,phone,community[,registered_at][,id_number]`.

use std::collections::HashMap;
use std::path::Path;

use super::*;
use crate::domain::{Actor, CardNo, EventKind, IdNumber, ImportRef, Name, Phone, Timestamp, Volunteer};
use crate::store::Pending;

impl Bank {
    /// Imports volunteers: `card_no,name,phone,community[,registered_at][,id_number]`.
    pub fn import_volunteers(
        &self,
        who: &Actor,
        path: &Path,
        source: &str,
    ) -> Result<ImportSummary, ImportError> {
        validate_source(source)?;
        let text = open_text(path)?;
        let previous = PreviousImports::load(self, source)?;
        let mut bad = BadRows::default();
        let required = ["card_no", "name", "phone", "community"];
        let Some(mut csv) = CsvRows::open(text, VOLUNTEER_COLUMNS, &required, &mut bad) else {
            return bad.into_result().map(|_| ImportSummary::default());
        };
        let today = self.today();
        let mut summary = ImportSummary::default();
        let mut new: Vec<(u64, Volunteer)> = Vec::new();
        let mut cards_in_file: HashMap<CardNo, u64> = HashMap::new();
        while let Some((line, record)) = csv.next_row(&mut bad) {
            let columns = &csv.columns;
            let parsed = (|| -> Result<Volunteer, RowProblem> {
                let card = CardNo::parse(columns.get(&record, "card_no")).map_err(RowProblem::Invalid)?;
                let name = Name::parse(columns.get(&record, "name"))
                    .map_err(|error| RowProblem::Column { column: TextColumn::Name, error })?;
                let phone =
                    Phone::parse_optional(columns.get(&record, "phone")).map_err(RowProblem::Invalid)?;
                let community = crate::domain::parse_text(
                    columns.get(&record, "community"),
                    crate::domain::MAX_NAME_CHARS,
                )
                .map_err(|error| RowProblem::Column { column: TextColumn::Community, error })?;
                let registered = columns.get(&record, "registered_at");
                let registered_on = if registered.is_empty() {
                    today
                } else {
                    parse_timestamp(registered)
                        .map(local_day)
                        .ok_or_else(|| RowProblem::BadRegistered(registered.to_string()))?
                };
                let id_number = IdNumber::parse_optional(columns.get(&record, "id_number"))
                    .map_err(RowProblem::Invalid)?;
                Ok(Volunteer {
                    card,
                    name,
                    phone,
                    community,
                    registered_on,
                    id_number,
                    active: true,
                    pin_hash: None,
                })
            })();
            let v = match parsed {
                Ok(v) => v,
                Err(reason) => {
                    bad.add(line, reason);
                    continue;
                }
            };
            if let Some(first) = cards_in_file.insert(v.card.clone(), line) {
                bad.add(line, RowProblem::DuplicateCard { card: v.card.to_string(), first });
                continue;
            }
            let given = registered_given(columns, &record).is_some();
            // The same row imported before from this source is a no-op only if it says what it
            // said then (the volunteer may have been edited since); otherwise it is a bad row,
            // as for entries.
            if let Some(seq) = previous.find(self, &format!("volunteer:{}", v.card))? {
                let then = self.store.event(seq).map_err(BankError::from)?.map(|e| e.body.kind);
                match then {
                    Some(EventKind::VolunteerRegistered(then)) if same_details(&then, &v, given) => {
                        summary.already_present += 1;
                    }
                    _ => bad.add(line, RowProblem::VolunteerChanged { card: v.card.to_string(), seq }),
                }
                continue;
            }
            match self.store.volunteer_id_by_card(&v.card).map_err(BankError::from)? {
                None => new.push((line, v)),
                Some(id) => {
                    let existing = self.volunteer(id)?.volunteer;
                    if same_details(&existing, &v, given) {
                        summary.already_present += 1;
                    } else {
                        bad.add(line, RowProblem::RegisteredDifferently(v.card.to_string()));
                    }
                }
            }
        }
        summary.rows = csv.rows;
        bad.into_result()?;
        for chunk in new.chunks(CHUNK) {
            let pending: Vec<Pending> = chunk
                .iter()
                .map(|(_, v)| Pending {
                    kind: EventKind::VolunteerRegistered(v.clone()),
                    import: Some(ImportRef {
                        source: source.to_string(),
                        row_id: format!("volunteer:{}", v.card),
                        occurred: Timestamp::from_datetime(
                            v.registered_on.date().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
                        ),
                    }),
                })
                .collect();
            self.store.commit(&self.context(who), None, |_| Ok(pending.clone())).map_err(BankError::from)?;
            summary.imported += chunk.len();
        }
        Ok(summary)
    }
}

/// Whether a file's row says what `existing` holds (its registration day only if the file
/// gives one).
fn same_details(existing: &Volunteer, row: &Volunteer, registered_given: bool) -> bool {
    existing.name == row.name
        && existing.phone == row.phone
        && existing.community == row.community
        && existing.id_number == row.id_number
        && (!registered_given || existing.registered_on == row.registered_on)
}

fn registered_given(columns: &Columns, record: &csv::StringRecord) -> Option<()> {
    (!columns.get(record, "registered_at").is_empty()).then_some(())
}
