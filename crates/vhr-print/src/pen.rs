//! Drawing in millimetres with the embedded font: text (measured, so it can
//! be wrapped and fitted), lines, boxes, tick boxes and QR codes.

use std::sync::OnceLock;

use krilla::geom::{PathBuilder, Point, Rect};
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use crate::{PrintError, Result};

static FONT_DATA: &[u8] = include_bytes!("../../../assets/fonts/NotoSansSC-Regular-subset.otf");

/// Points per millimetre.
const PT: f32 = 72.0 / 25.4;

pub(crate) fn mm(v: f32) -> f32 {
    v * PT
}

/// The font, for drawing (krilla) and for measuring (ttf-parser).
pub(crate) struct Type {
    font: Font,
    face: ttf_parser::Face<'static>,
}

impl Type {
    pub(crate) fn load() -> Result<&'static Type> {
        static TYPE: OnceLock<Option<Type>> = OnceLock::new();
        TYPE.get_or_init(|| {
            let face = ttf_parser::Face::parse(FONT_DATA, 0).ok()?;
            let font = Font::new(FONT_DATA.into(), 0)?;
            Some(Type { font, face })
        })
        .as_ref()
        .ok_or(PrintError::Font)
    }

    /// The width of `text` at `size` points, in millimetres.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let upem = f32::from(self.face.units_per_em());
        let units: f32 = text
            .chars()
            .map(|c| self.face.glyph_index(c).and_then(|g| self.face.glyph_hor_advance(g)).map(f32::from).unwrap_or(upem))
            .sum();
        units / upem * size / PT
    }

    /// `text` broken into lines no wider than `max` mm (at any character:
    /// Chinese has no spaces to break at, and codes must not be split from
    /// their labels more than the width forces).
    pub(crate) fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for c in para.chars() {
                line.push(c);
                if self.width(&line, size) > max && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// A page surface with the font at hand; coordinates in mm from the top left.
pub(crate) struct Pen<'a, 'b> {
    pub(crate) s: &'a mut Surface<'b>,
    pub(crate) ty: &'static Type,
}

impl Pen<'_, '_> {
    /// Text with its baseline at `y`.
    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.s.set_stroke(None);
        self.s.set_fill(Some(Fill::default()));
        self.s.draw_text(Point::from_xy(mm(x), mm(y)), self.ty.font.clone(), size, text, false, TextDirection::Auto);
    }

    /// Text shrunk (down to 60 %) to fit `max` mm.
    pub(crate) fn text_fit(&mut self, x: f32, y: f32, size: f32, max: f32, text: &str) {
        let w = self.ty.width(text, size);
        let size = if w > max { (size * max / w).max(size * 0.6) } else { size };
        self.text(x, y, size, text);
    }

    /// Text centred on `cx`.
    pub(crate) fn text_centered(&mut self, cx: f32, y: f32, size: f32, text: &str) {
        let w = self.ty.width(text, size);
        self.text(cx - w / 2.0, y, size, text);
    }

    pub(crate) fn text_right(&mut self, right: f32, y: f32, size: f32, text: &str) {
        let w = self.ty.width(text, size);
        self.text(right - w, y, size, text);
    }

    fn stroke(&mut self, width: f32) {
        self.s.set_fill(None);
        self.s.set_stroke(Some(Stroke { width, ..Stroke::default() }));
    }

    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        let mut p = PathBuilder::new();
        p.move_to(mm(x1), mm(y1));
        p.line_to(mm(x2), mm(y2));
        if let Some(path) = p.finish() {
            self.stroke(width);
            self.s.draw_path(&path);
        }
    }

    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32) {
        let mut p = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(mm(x), mm(y), mm(w), mm(h)) {
            p.push_rect(r);
        }
        if let Some(path) = p.finish() {
            self.stroke(width);
            self.s.draw_path(&path);
        }
    }

    /// A grey band behind a section title.
    pub(crate) fn shade(&mut self, x: f32, y: f32, w: f32, h: f32) {
        let mut p = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(mm(x), mm(y), mm(w), mm(h)) {
            p.push_rect(r);
        }
        if let Some(path) = p.finish() {
            self.s.set_stroke(None);
            self.s.set_fill(Some(Fill { paint: krilla::color::luma::Color::new(235).into(), ..Fill::default() }));
            self.s.draw_path(&path);
        }
    }

    /// A tick box of side `side` mm with its label after it; returns where the label ends.
    pub(crate) fn tick(&mut self, x: f32, y: f32, side: f32, size: f32, ticked: bool, label: &str) -> f32 {
        self.rect(x, y - side, side, side, 0.25);
        if ticked {
            let mut p = PathBuilder::new();
            p.move_to(mm(x + side * 0.18), mm(y - side * 0.5));
            p.line_to(mm(x + side * 0.42), mm(y - side * 0.18));
            p.line_to(mm(x + side * 0.85), mm(y - side * 0.85));
            if let Some(path) = p.finish() {
                self.stroke(0.8);
                self.s.draw_path(&path);
            }
        }
        self.text(x + side + 0.6, y, size, label);
        x + side + 0.6 + self.ty.width(label, size)
    }

    /// A QR code of `text` (error correction M) filling a `side` mm square.
    pub(crate) fn qr(&mut self, x: f32, y: f32, side: f32, text: &str) {
        let Ok(code) = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium) else { return };
        let n = code.size();
        // The quiet zone of four modules on each side that readers need.
        let module = side / (n + 8) as f32;
        let mut p = PathBuilder::new();
        for row in 0..n {
            for col in 0..n {
                if code.get_module(col, row) {
                    let (mx, my) = (x + (col + 4) as f32 * module, y + (row + 4) as f32 * module);
                    if let Some(r) = Rect::from_xywh(mm(mx), mm(my), mm(module), mm(module)) {
                        p.push_rect(r);
                    }
                }
            }
        }
        if let Some(path) = p.finish() {
            self.s.set_stroke(None);
            self.s.set_fill(Some(Fill::default()));
            self.s.draw_path(&path);
        }
    }
}
