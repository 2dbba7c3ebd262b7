//! Normalising what people type: full-width digits and letters, stray spaces.

/// Turns full-width ASCII (ＡＢＣ０１２) into half-width and trims spaces,
/// including the ideographic space U+3000 a Chinese IME produces.
pub fn normalize_ascii(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Keeps only the ASCII digits of an input, after full-width normalisation.
pub fn digits_only(input: &str) -> String {
    normalize_ascii(input).chars().filter(|c| c.is_ascii_digit()).collect()
}

/// True for a character of the CJK Unified Ideographs blocks.
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_become_ascii() {
        assert_eq!(normalize_ascii("　１１０１０５ｘ "), "110105x");
        assert_eq!(digits_only("138-0013 8000"), "13800138000");
    }
}
