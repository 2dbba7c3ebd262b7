//! Printed paper: the resident information card (§8) and every national form,
//! as PDF.
//!
//! The PDFs are made with krilla, which embeds the font subset to the glyphs
//! used, so the Chinese text is real text (selectable, searchable, read back
//! by `pdftotext`) and a sheet of cards stays small. The one font is compiled
//! in (`assets/fonts`, SIL OFL 1.1). Layout is in millimetres; nothing here
//! reads the disk, the clock or the network: callers pass the data and get
//! bytes back.

mod card;
mod form;
mod pen;

pub use card::{cards_pdf, CardLayout};
pub use form::{form_pdf, FormHeader};

/// What can go wrong while making a PDF.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the embedded font could not be read")]
    Font,
    #[error("the card size {0} × {1} mm does not fit on an A4 sheet")]
    CardSize(f32, f32),
    #[error("nothing to print")]
    Empty,
    #[error("printing was cancelled")]
    Cancelled,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

pub type Result<T> = std::result::Result<T, PrintError>;
