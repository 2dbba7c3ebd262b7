//! Printing: information cards one at a time or in batches, and any filled-in
//! form as its national A4 page. Every print is logged (§8 C3).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::card::{card_of, CardData};
use vhr_domain::clinic::ClinicProfile;
use vhr_domain::forms::FormValues;
use vhr_domain::problem::Problem;
use vhr_domain::resident::{ResidenceType, Resident};
use vhr_print::{CardLayout, FormHeader, PrintError};
use vhr_store::{CardSelection, PrintEntry, User};

use crate::{Clinic, Error, ResidentView, Result};

/// Which cards to print.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardsRequest {
    /// Records created on or after a day.
    Since {
        date: NaiveDate,
    },
    Village {
        code: String,
    },
    Household {
        id: String,
    },
    /// Residents by id, record number or ID number (a selection from the search list).
    Residents {
        ids: Vec<String>,
    },
}

/// The information card's size in millimetres (§8 C1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct CardSize {
    pub width_mm: f32,
    pub height_mm: f32,
}

/// A print job saved for the desktop: where its PDF is, how many it holds.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SavedPrint {
    pub path: String,
    pub count: usize,
}

/// A finished print job.
#[derive(Debug)]
pub struct Printed {
    pub pdf: Vec<u8>,
    /// How many cards or forms it holds.
    pub count: usize,
    /// A short name for the file: `信息卡-石桥村-20261121` and the like.
    pub name: String,
}

impl From<PrintError> for Error {
    fn from(e: PrintError) -> Self {
        match e {
            PrintError::Cancelled => Error::Cancelled,
            PrintError::Empty => Error::Invalid(vec![Problem::error("selection", "print.empty", "没有可打印的居民", "Nobody to print")]),
            PrintError::CardSize(w, h) => Error::Invalid(vec![Problem::error(
                "card_size",
                "print.card_size",
                format!("信息卡尺寸 {w}×{h} 毫米放不进 A4 纸"),
                format!("A {w} × {h} mm card does not fit on A4"),
            )]),
            other => Error::Print(other.to_string()),
        }
    }
}

impl Clinic {
    /// The card size in force: the `print.card_size` setting (`85.6x53.98`,
    /// millimetres), else ISO/IEC 7810 ID-1 (C1, Unconfirmed).
    pub fn card_layout(&self) -> Result<CardLayout> {
        let mut layout = CardLayout::default();
        if let Some(size) = self.store.setting("print.card_size")? {
            let parsed = size.split_once(['x', '×']).and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
            let (w, h) = parsed.ok_or_else(|| Error::Storage(format!("print.card_size {size:?} is not WIDTHxHEIGHT in mm")))?;
            layout.width_mm = w;
            layout.height_mm = h;
        }
        layout.grid()?;
        Ok(layout)
    }

    /// The card size in force.
    pub fn card_size(&self) -> Result<CardSize> {
        let l = self.card_layout()?;
        Ok(CardSize { width_mm: l.width_mm, height_mm: l.height_mm })
    }

    /// Sets the card size (millimetres); refused when it does not fit on A4.
    pub fn set_card_size(&self, width_mm: f32, height_mm: f32) -> Result<()> {
        CardLayout { width_mm, height_mm, ..CardLayout::default() }.grid()?;
        Ok(self.store.set_setting("print.card_size", &format!("{width_mm}x{height_mm}"))?)
    }

    /// One card, with the clinic and its users read once per batch.
    fn card_data(&self, r: &Resident, clinic: &ClinicProfile, users: &[User]) -> Result<CardData> {
        let exam = self.store.last_service(self.actor()?, &r.id, "health_exam")?;
        let mut card = card_of(&r.id, &r.record_no, &r.data, clinic, exam.as_ref().map(|e| &e.data));
        // The responsible doctor's phone, when the doctor is a user here who gave one.
        let doctor = r.data.responsible_doctor.trim();
        card.doctor_phone =
            users.iter().find(|u| !doctor.is_empty() && u.display_name == doctor).map(|u| u.phone.clone()).unwrap_or_default();
        // A closed record's card says so, on its "other notes" line.
        if let Some(note) = vhr_domain::closure::status_note(r.status, r.closure.as_ref()) {
            card.notes = note;
        }
        Ok(card)
    }

    /// What one resident's card says (for the preview on screen).
    pub fn card(&self, resident_key: &str) -> Result<CardData> {
        let view = self.find_resident(resident_key)?;
        self.card_data(&view.resident, &self.profile_required()?, &self.store.users()?)
    }

    /// The cards of a selection in one PDF, logged as one job.
    /// `progress(done, total)` after each card; returning `false` cancels.
    pub fn print_cards(&mut self, req: &CardsRequest, progress: &mut dyn FnMut(usize, usize) -> bool) -> Result<Printed> {
        let actor = self.actor()?.clone();
        let clinic = self.profile_required()?;
        let (selection, what) = match req {
            CardsRequest::Since { date } => (CardSelection::CreatedSince(*date), format!("{date}起建档")),
            CardsRequest::Village { code } => {
                let name = clinic.village(code).map(|v| v.name.clone()).unwrap_or_else(|| code.clone());
                (CardSelection::Village(code.clone()), name)
            }
            CardsRequest::Household { id } => (CardSelection::Household(id.clone()), "家庭".to_string()),
            CardsRequest::Residents { ids } => (CardSelection::Residents(ids.clone()), String::new()),
        };
        let residents = self.store.residents_for_cards(&actor, &selection)?;
        let users = self.store.users()?;
        let cards = residents.iter().map(|r| self.card_data(r, &clinic, &users)).collect::<Result<Vec<_>>>()?;
        let pdf = vhr_print::cards_pdf(&cards, self.card_layout()?, progress)?;
        let job = self.env.ids.new_id();
        let printed: Vec<(String, Option<String>)> = cards.iter().map(|c| (c.resident_id.clone(), None)).collect();
        self.store.log_prints(&actor, &job, "card", &printed, self.now())?;
        let who = match (cards.as_slice(), what.is_empty()) {
            ([one], true) => format!("{}-{}", one.name, one.record_no),
            (_, true) => format!("{}张", cards.len()),
            (_, false) => what,
        };
        Ok(Printed { pdf, count: cards.len(), name: format!("信息卡-{who}-{}", self.today().format("%Y%m%d")) })
    }

    /// Sets a form's values as its A4 page(s) under the resident's name and
    /// number, and logs the print (with the service record, if it is one).
    fn form_job(&mut self, view: &ResidentView, form_id: &str, values: &FormValues, record_id: Option<&str>) -> Result<Vec<u8>> {
        let form = self.forms.form(form_id).ok_or_else(|| Error::NotFound { entity: "form".into(), id: form_id.into() })?;
        let clinic = self.profile_required()?;
        let actor = self.actor()?.clone();
        let header = FormHeader {
            name: view.resident.data.name.clone(),
            record_no: view.resident.record_no.clone(),
            record_no_short: view.record_no_short.clone(),
            institution: clinic.institution_name.clone(),
            printed: match vhr_domain::closure::status_note(view.resident.status, view.resident.closure.as_ref()) {
                Some(note) => format!("{note}  打印：{} {}", actor.name, self.today()),
                None => format!("打印：{} {}", actor.name, self.today()),
            },
        };
        let pdf = vhr_print::form_pdf(form, &self.forms, values, &header)?;
        let job = self.env.ids.new_id();
        let printed = [(view.resident.id.clone(), record_id.map(str::to_string))];
        self.store.log_prints(&actor, &job, "form", &printed, self.now())?;
        Ok(pdf)
    }

    fn form_title(&self, form_id: &str) -> String {
        self.forms.form(form_id).map(|f| f.title.zh.clone()).unwrap_or_else(|| form_id.to_string())
    }

    /// A filled-in form as its A4 page(s), logged.
    pub fn print_form(&mut self, record_id: &str) -> Result<Printed> {
        let record = self.find_service(record_id)?;
        let view = self.find_resident(&record.resident_id)?;
        let pdf = self.form_job(&view, &record.form_id, &record.data, Some(&record.id))?;
        let name = format!("{}-{}-{}", self.form_title(&record.form_id), view.resident.data.name, record.service_date.format("%Y%m%d"));
        Ok(Printed { pdf, count: 1, name })
    }

    /// The personal basic information form (§5) as its A4 pages, with the
    /// cover items (name, sex, birth date, ID number, phone, residence type)
    /// filled in from the record; logged.
    pub fn print_basic_info(&mut self, resident_key: &str) -> Result<Printed> {
        let view = self.find_resident(resident_key)?;
        let r = &view.resident.data;
        let mut values = r.basic_info.clone();
        let residence = match r.residence_type {
            ResidenceType::Registered => "1",
            ResidenceType::NotRegistered => "2",
        };
        let cover = [
            ("name", r.name.clone()),
            ("sex", r.sex.map(|s| s.code().to_string()).unwrap_or_default()),
            ("birth_date", r.birth_date.map(|d| d.to_string()).unwrap_or_default()),
            ("id_number", r.id_document.citizen_number().unwrap_or_default().to_string()),
            ("phone", r.phone.clone()),
            ("residence_type", residence.to_string()),
        ];
        for (id, value) in cover {
            values.insert(id.into(), serde_json::Value::String(value));
        }
        let pdf = self.form_job(&view, "personal_basic_info", &values, None)?;
        let name = format!("{}-{}-{}", self.form_title("personal_basic_info"), r.name, view.resident.record_no);
        Ok(Printed { pdf, count: 1, name })
    }

    /// Saves a print job as `<data dir>/prints/<name>.pdf` (a number added
    /// when that name is taken), to be opened in the system's PDF viewer.
    pub fn save_print(&self, printed: &Printed) -> Result<SavedPrint> {
        let dir = self.data_dir.join("prints");
        std::fs::create_dir_all(&dir).map_err(|e| Error::Storage(format!("{}: {e}", dir.display())))?;
        let safe: String =
            printed.name.chars().map(|c| if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '-' } else { c }).collect();
        let mut path = dir.join(format!("{safe}.pdf"));
        let mut n = 2;
        while path.exists() {
            path = dir.join(format!("{safe}-{n}.pdf"));
            n += 1;
        }
        std::fs::write(&path, &printed.pdf).map_err(|e| Error::Storage(format!("{}: {e}", path.display())))?;
        Ok(SavedPrint { path: path.to_string_lossy().into_owned(), count: printed.count })
    }

    /// Every print of a resident's card and forms, newest first.
    pub fn prints_of(&self, resident_key: &str) -> Result<Vec<PrintEntry>> {
        let view = self.find_resident(resident_key)?;
        Ok(self.store.prints_of(self.actor()?, &view.resident.id)?)
    }
}
