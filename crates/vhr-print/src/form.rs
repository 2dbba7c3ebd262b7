//! A filled-in national form on A4, laid out from its definition like the
//! paper form: the title, the resident's name and record number, then each
//! section's items in order — the printed options with the chosen codes in
//! boxes at the right, numbers with their units, dates, tables.

use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::Document;
use serde_json::Value;
use vhr_domain::forms::{CodeSet, Field, FieldKind, FormDef, FormRegistry, FormValues};

use crate::pen::{mm, Pen, Type};
use crate::{PrintError, Result};

const A4: (f32, f32) = (210.0, 297.0);
const LEFT: f32 = 15.0;
const RIGHT: f32 = 195.0;
const TOP: f32 = 15.0;
const BOTTOM: f32 = 282.0;
const LABEL_W: f32 = 38.0;
/// The chosen-code boxes at the right of a coded item.
const BOXES_W: f32 = 22.0;
const SIZE: f32 = 8.0;
const LINE: f32 = 3.6;
/// The height of a one-line item.
const ROW: f32 = 5.0;
/// The space above and below an item's lines.
const PAD: f32 = 1.4;

/// Who and what the page is about, printed at its head and foot.
#[derive(Debug, Clone, PartialEq)]
pub struct FormHeader {
    pub name: String,
    /// The full 17 digits.
    pub record_no: String,
    /// `VVV-SSSSS`, as forms other than the cover print it (R2.4).
    pub record_no_short: String,
    pub institution: String,
    /// "打印：李春华 2026-11-21" — who printed it, when.
    pub printed: String,
}

/// One item's printed content: the wrapped text beside its label, and the
/// codes that go in the boxes.
struct Item {
    label: String,
    lines: Vec<String>,
    boxes: Vec<String>,
    /// A coded item: it has boxes on paper even when nothing is chosen.
    coded: bool,
}

impl Item {
    /// The height of its row: its lines with padding, at least one row.
    fn height(&self) -> f32 {
        (self.lines.len().max(1) as f32 * LINE + PAD).max(ROW)
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 => format!("{f:.0}"),
            Some(f) => format!("{f}"),
            None => n.to_string(),
        },
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn options(set: &CodeSet) -> String {
    set.codes.iter().map(|c| format!("{} {}", c.code, c.label.zh)).collect::<Vec<_>>().join("  ")
}

fn chosen(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn item(ty: &Type, field: &Field, registry: &FormRegistry, values: &FormValues, width: f32) -> Item {
    let label = match &field.number {
        Some(n) => format!("{n}. {}", field.label.zh),
        None => field.label.zh.clone(),
    };
    let value = values.get(&field.id);
    let other = values.get(&format!("{}_text", field.id)).map(text_of).filter(|t| !t.is_empty());
    let (text, boxes) = match &field.kind {
        FieldKind::Code { code_set, .. } => {
            let mut text = registry.code_set(code_set).map(options).unwrap_or_default();
            if let Some(o) = other {
                text.push_str(&format!("\n其他：{o}"));
            }
            (text, chosen(value))
        }
        FieldKind::Number { unit, .. } => {
            let v = value.map(text_of).unwrap_or_default();
            (if v.is_empty() { v } else { format!("{v} {}", unit.clone().unwrap_or_default()).trim_end().to_string() }, Vec::new())
        }
        FieldKind::Text { .. } | FieldKind::Date { .. } => (value.map(text_of).unwrap_or_default(), Vec::new()),
        FieldKind::CodeDates { code_set, .. } => {
            let set = registry.code_set(code_set);
            let rows: Vec<String> = value
                .and_then(Value::as_array)
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            let code = r.get("code").map(text_of).unwrap_or_default();
                            let name = set.and_then(|s| s.entry(&code)).map(|e| e.label.zh.clone()).unwrap_or_default();
                            let date = r.get("date").map(text_of).unwrap_or_default();
                            format!("{code} {name}{}", if date.is_empty() { String::new() } else { format!("  确诊时间 {date}") })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut text = rows.join("\n");
            if let Some(o) = other {
                text.push_str(&format!("\n其他：{o}"));
            }
            (text, Vec::new())
        }
        FieldKind::Rows { columns, .. } => {
            let rows: Vec<String> = value
                .and_then(Value::as_array)
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            columns
                                .iter()
                                .map(|c| format!("{}：{}", c.label.zh, r.get(&c.id).map(text_of).unwrap_or_default()))
                                .collect::<Vec<_>>()
                                .join("  ")
                        })
                        .collect()
                })
                .unwrap_or_default();
            (rows.join("\n"), Vec::new())
        }
    };
    let room = width - LABEL_W - if boxes.is_empty() && !matches!(field.kind, FieldKind::Code { .. }) { 2.0 } else { BOXES_W + 2.0 };
    let coded = matches!(field.kind, FieldKind::Code { .. });
    Item { label, lines: ty.wrap(&text, SIZE, room), boxes, coded }
}

enum Row {
    Section(String),
    Item(Item),
}

/// A filled-in form as an A4 PDF (more pages when it is long).
pub fn form_pdf(form: &FormDef, registry: &FormRegistry, values: &FormValues, header: &FormHeader) -> Result<Vec<u8>> {
    let ty = Type::load()?;
    let width = RIGHT - LEFT;
    // Lay out first, so every page knows its rows before it is drawn.
    let mut pages: Vec<Vec<(f32, Row)>> = vec![Vec::new()];
    let mut y = TOP + 20.0;
    // What was not asked (a reason for a patient seen, readings of one not seen) is not printed.
    for section in form.asked_sections(values) {
        // Items shown from the resident's cover (name, sex…) print when the caller supplies them.
        let fields: Vec<&Field> =
            section.fields.iter().filter(|f| f.asked(values) && (f.bound.is_none() || values.contains_key(&f.id))).collect();
        if fields.is_empty() {
            continue;
        }
        if y + 6.0 + LINE * 2.0 > BOTTOM {
            pages.push(Vec::new());
            y = TOP + 10.0;
        }
        pages.last_mut().expect("a page").push((y, Row::Section(section.title.zh.clone())));
        y += 6.0;
        for field in fields {
            let it = item(ty, field, registry, values, width);
            let h = it.height();
            if y + h > BOTTOM {
                pages.push(Vec::new());
                y = TOP + 10.0;
            }
            pages.last_mut().expect("a page").push((y, Row::Item(it)));
            y += h;
        }
    }
    let mut doc = Document::new();
    doc.set_metadata(Metadata::new().title(form.title.zh.clone()).creator("村卫生室居民健康档案".into()));
    let total = pages.len();
    for (n, rows) in pages.into_iter().enumerate() {
        draw_page(&mut doc, ty, form, header, (n, total), &rows)?;
    }
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

/// One page: `at` is (this page's index, how many pages).
fn draw_page(doc: &mut Document, ty: &'static Type, form: &FormDef, h: &FormHeader, at: (usize, usize), rows: &[(f32, Row)]) -> Result<()> {
    let (n, total) = at;
    let mut page = doc.start_page_with(PageSettings::from_wh(mm(A4.0), mm(A4.1)).ok_or(PrintError::Empty)?);
    let mut surface = page.surface();
    let mut pen = Pen { s: &mut surface, ty };
    if n == 0 {
        pen.text_centered(A4.0 / 2.0, TOP + 6.0, 15.0, &form.title.zh);
        pen.text(LEFT, TOP + 15.0, 10.0, &format!("姓名：{}", h.name));
        pen.text_right(RIGHT, TOP + 15.0, 10.0, &format!("编号：{}", h.record_no_short));
    } else {
        pen.text(LEFT, TOP + 5.0, 9.0, &format!("{}（续）  姓名：{}  编号：{}", form.title.zh, h.name, h.record_no_short));
    }
    for (y, row) in rows {
        match row {
            Row::Section(title) => {
                pen.shade(LEFT, *y, RIGHT - LEFT, 6.0);
                pen.rect(LEFT, *y, RIGHT - LEFT, 6.0, 0.3);
                pen.text(LEFT + 1.5, y + 4.3, SIZE + 0.5, title);
            }
            Row::Item(it) => {
                let height = it.height();
                pen.rect(LEFT, *y, RIGHT - LEFT, height, 0.3);
                pen.line(LEFT + LABEL_W, *y, LEFT + LABEL_W, y + height, 0.3);
                let label_lines = ty.wrap(&it.label, SIZE, LABEL_W - 2.5);
                for (i, line) in label_lines.iter().take(3).enumerate() {
                    pen.text(LEFT + 1.2, y + 3.8 + i as f32 * LINE, SIZE, line);
                }
                for (i, line) in it.lines.iter().enumerate() {
                    pen.text(LEFT + LABEL_W + 1.5, y + 3.8 + i as f32 * LINE, SIZE, line);
                }
                // The chosen codes in boxes at the right, as on the paper form.
                // Nothing chosen leaves the one empty box the paper has.
                let mut x = RIGHT - 1.5;
                let empty = [String::new()];
                let boxes: &[String] = if it.coded && it.boxes.is_empty() { &empty } else { &it.boxes };
                for code in boxes.iter().rev().take(6) {
                    let bw = (ty.width(code, SIZE) + 1.6).max(3.8);
                    x -= bw;
                    pen.rect(x, y + 0.7, bw, 3.8, 0.3);
                    pen.text_centered(x + bw / 2.0, y + 3.7, SIZE, code);
                    x -= 0.8;
                }
            }
        }
    }
    pen.text(LEFT, BOTTOM + 7.0, 7.5, &format!("{}  档案编号 {}  {}", h.institution, h.record_no, h.printed));
    pen.text_right(RIGHT, BOTTOM + 7.0, 7.5, &format!("第 {} 页 / 共 {} 页", n + 1, total));
    surface.finish();
    page.finish();
    Ok(())
}
