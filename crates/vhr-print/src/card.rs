//! Information cards (§8) on A4 sheets: the fronts on one page, the backs on
//! the next, mirrored so each back lands behind its front when the sheet is
//! printed on both sides (long-edge flip), with cut marks in the margins.

use krilla::geom::Transform;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::Document;
use vhr_domain::card::CardData;

use crate::pen::{mm, Pen, Type};
use crate::{PrintError, Result};

const A4: (f32, f32) = (210.0, 297.0);
/// The size the card is drawn at; other sizes scale it (C1).
const ID1: (f32, f32) = (85.6, 53.98);

/// Card size and how cards sit on the sheet. The default is ISO/IEC 7810
/// ID-1 (85.60 × 53.98 mm, a bank card), ten to an A4 sheet (C1: the
/// spec's recommendation; the size is **Unconfirmed** and a setting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardLayout {
    pub width_mm: f32,
    pub height_mm: f32,
    /// Space between cards, so each can be cut out on its own lines.
    pub gap_mm: f32,
}

impl Default for CardLayout {
    fn default() -> Self {
        CardLayout { width_mm: ID1.0, height_mm: ID1.1, gap_mm: 3.0 }
    }
}

impl CardLayout {
    /// Columns and rows on an A4 sheet with at least 6 mm of margin for the cut marks.
    pub fn grid(&self) -> Result<(usize, usize)> {
        let fit = |sheet: f32, size: f32| ((sheet - 12.0 + self.gap_mm) / (size + self.gap_mm)).floor().max(0.0) as usize;
        let (cols, rows) = (fit(A4.0, self.width_mm), fit(A4.1, self.height_mm));
        if cols == 0 || rows == 0 || self.width_mm < 40.0 || self.height_mm < 25.0 {
            return Err(PrintError::CardSize(self.width_mm, self.height_mm));
        }
        Ok((cols, rows))
    }

    /// Where the front of the `i`-th card of a sheet sits: its top-left corner in mm.
    pub fn front_origin(&self, i: usize) -> Result<(f32, f32)> {
        let (cols, rows) = self.grid()?;
        Ok(self.origin(cols, rows, i % cols, (i / cols) % rows))
    }

    /// Where the card at `col`, `row` sits: its top-left corner in mm.
    fn origin(&self, cols: usize, rows: usize, col: usize, row: usize) -> (f32, f32) {
        let used_w = cols as f32 * self.width_mm + (cols - 1) as f32 * self.gap_mm;
        let used_h = rows as f32 * self.height_mm + (rows - 1) as f32 * self.gap_mm;
        let (left, top) = ((A4.0 - used_w) / 2.0, (A4.1 - used_h) / 2.0);
        (left + col as f32 * (self.width_mm + self.gap_mm), top + row as f32 * (self.height_mm + self.gap_mm))
    }
}

/// All the cards in one PDF: ⌈n / per sheet⌉ sheets, two pages each.
/// `progress(done, total)` is told after each card; returning `false`
/// cancels, and nothing is returned.
pub fn cards_pdf(cards: &[CardData], layout: CardLayout, progress: &mut dyn FnMut(usize, usize) -> bool) -> Result<Vec<u8>> {
    if cards.is_empty() {
        return Err(PrintError::Empty);
    }
    let ty = Type::load()?;
    let (cols, rows) = layout.grid()?;
    let per_sheet = cols * rows;
    let mut doc = Document::new();
    doc.set_metadata(Metadata::new().title("居民健康档案信息卡".into()).creator("村卫生室居民健康档案".into()));
    let mut done = 0;
    for sheet in cards.chunks(per_sheet) {
        for back in [false, true] {
            let mut page = doc.start_page_with(PageSettings::from_wh(mm(A4.0), mm(A4.1)).ok_or(PrintError::Empty)?);
            let mut surface = page.surface();
            let mut pen = Pen { s: &mut surface, ty };
            cut_marks(&mut pen, &layout, cols, rows);
            for (i, card) in sheet.iter().enumerate() {
                let (col, row) = (i % cols, i / cols);
                // Long-edge duplex turns the sheet over left to right: a back goes in the mirrored column.
                let col = if back { cols - 1 - col } else { col };
                let (x, y) = layout.origin(cols, rows, col, row);
                let k = layout.width_mm / ID1.0;
                let ky = layout.height_mm / ID1.1;
                pen.s.push_transform(&Transform::from_row(k, 0.0, 0.0, ky, mm(x), mm(y)));
                if back {
                    draw_back(&mut pen, card);
                } else {
                    draw_front(&mut pen, card);
                }
                pen.s.pop();
                if !back {
                    done += 1;
                    if !progress(done, cards.len()) {
                        return Err(PrintError::Cancelled);
                    }
                }
            }
            surface.finish();
            page.finish();
        }
    }
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

/// Short lines in the margins along every cut.
fn cut_marks(pen: &mut Pen<'_, '_>, layout: &CardLayout, cols: usize, rows: usize) {
    let (left, top) = layout.origin(cols, rows, 0, 0);
    let (last_x, last_y) = layout.origin(cols, rows, cols - 1, rows - 1);
    let (right, bottom) = (last_x + layout.width_mm, last_y + layout.height_mm);
    for col in 0..cols {
        let (x, _) = layout.origin(cols, rows, col, 0);
        for edge in [x, x + layout.width_mm] {
            pen.line(edge, top - 5.0, edge, top - 1.5, 0.2);
            pen.line(edge, bottom + 1.5, edge, bottom + 5.0, 0.2);
        }
    }
    for row in 0..rows {
        let (_, y) = layout.origin(cols, rows, 0, row);
        for edge in [y, y + layout.height_mm] {
            pen.line(left - 5.0, edge, left - 1.5, edge, 0.2);
            pen.line(right + 1.5, edge, right + 5.0, edge, 0.2);
        }
    }
}

const SMALL: f32 = 6.2;
const BOX: f32 = 2.1;

/// The front, drawn in ID-1 millimetres from the card's top-left corner.
fn draw_front(pen: &mut Pen<'_, '_>, c: &CardData) {
    let (w, h) = ID1;
    pen.rect(0.0, 0.0, w, h, 0.3);
    pen.text_centered(34.0, 5.6, 8.6, "居民健康档案信息卡");
    pen.qr(w - 17.5, 1.2, 16.5, &c.record_no);
    let label = |pen: &mut Pen<'_, '_>, x: f32, y: f32, text: &str| pen.text(x, y, SMALL, text);
    // Identity rows, left of the QR code.
    pen.line(2.0, 7.8, w - 18.0, 7.8, 0.2);
    label(pen, 2.5, 11.4, "姓名");
    pen.text_fit(9.0, 11.4, 7.6, 30.0, &c.name);
    label(pen, 41.0, 11.4, "性别");
    pen.text(47.5, 11.4, SMALL + 0.6, &c.sex);
    pen.line(2.0, 13.0, w - 18.0, 13.0, 0.2);
    label(pen, 2.5, 16.4, "出生日期");
    pen.text(13.0, 16.4, SMALL + 0.6, &c.birth_date);
    pen.line(0.0, 18.2, w, 18.2, 0.2);
    // A provisional number says so where the number is named (same width).
    label(pen, 2.5, 21.9, if c.provisional { "临时档案编号" } else { "健康档案编号" });
    pen.text(18.5, 21.9, 7.8, &c.record_no);
    pen.line(0.0, 23.6, w, 23.6, 0.2);
    // Blood groups.
    label(pen, 2.5, 27.4, "ABO血型");
    let mut x = 13.5;
    for (code, name) in [("1", "A"), ("2", "B"), ("3", "O"), ("4", "AB")] {
        x = pen.tick(x, 27.5, BOX, SMALL, c.abo.as_deref() == Some(code), name) + 1.6;
    }
    label(pen, 38.5, 27.4, "RH血型");
    let mut x = 47.0;
    for (code, name) in [("1", "Rh阴性"), ("2", "Rh阳性"), ("3", "不详")] {
        x = pen.tick(x, 27.5, BOX, SMALL, c.rh.as_deref() == Some(code), name) + 1.4;
    }
    pen.line(0.0, 29.3, w, 29.3, 0.2);
    // Chronic conditions (C2).
    label(pen, 2.5, 33.0, "慢性病患病情况");
    let t = &c.chronic;
    let mut x = 21.0;
    for (ticked, name) in [(t.none, "无"), (t.hypertension, "高血压"), (t.diabetes, "糖尿病"), (t.stroke, "脑卒中"), (t.coronary, "冠心病")]
    {
        x = pen.tick(x, 33.1, BOX, SMALL, ticked, name) + 1.6;
    }
    let mut x = 2.5;
    for (ticked, name) in [(t.asthma, "哮喘"), (t.occupational, "职业病"), (t.other, "其他疾病")] {
        x = pen.tick(x, 37.6, BOX, SMALL, ticked, name) + 1.6;
    }
    pen.line(x, 38.1, w - 2.0, 38.1, 0.15);
    pen.text_fit(x + 0.5, 37.4, SMALL, w - 2.5 - x, &t.other_text);
    pen.line(0.0, 39.8, w, 39.8, 0.2);
    // Allergies.
    label(pen, 2.5, 43.6, "过敏史");
    let lines = pen.ty.wrap(&c.allergies, SMALL, w - 14.0);
    for (i, line) in lines.iter().take(3).enumerate() {
        pen.text(12.0, 43.6 + i as f32 * 3.2, SMALL, line);
    }
}

/// A line of the back: its label and value, and a phone beside it.
type BackLine<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);

/// The back, drawn in ID-1 millimetres: seven ruled lines.
fn draw_back(pen: &mut Pen<'_, '_>, c: &CardData) {
    let (w, h) = ID1;
    pen.rect(0.0, 0.0, w, h, 0.3);
    let lines: [BackLine<'_>; 7] = [
        ("家庭住址", &c.home_address, None),
        ("家庭电话", &c.home_phone, None),
        ("紧急情况联系人", &c.emergency_contact, Some(("联系人电话", &c.emergency_phone))),
        ("建档机构名称", &c.institution, None),
        ("联系电话", &c.institution_phone, None),
        ("责任医生或护士", &c.doctor, Some(("联系电话", &c.doctor_phone))),
        ("其他说明", &c.notes, None),
    ];
    let row_h = h / lines.len() as f32;
    for (i, (label, value, phone)) in lines.iter().enumerate() {
        let base = i as f32 * row_h + row_h / 2.0 + 1.1;
        pen.text(2.0, base, SMALL, label);
        let x = 3.0 + pen.ty.width(label, SMALL);
        match phone {
            Some((phone_label, phone_value)) => {
                pen.text_fit(x, base, SMALL + 0.4, 50.0 - x, value);
                pen.text(51.0, base, SMALL, phone_label);
                let px = 52.0 + pen.ty.width(phone_label, SMALL);
                pen.text_fit(px, base, SMALL + 0.4, w - 2.0 - px, phone_value);
            }
            None => pen.text_fit(x, base, SMALL + 0.4, w - 2.0 - x, value),
        }
        if i + 1 < lines.len() {
            pen.line(0.0, (i + 1) as f32 * row_h, w, (i + 1) as f32 * row_h, 0.2);
        }
    }
}
