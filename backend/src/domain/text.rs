//! What free text (names, codes, reasons) may contain.

/// Characters refused in stored text: control characters (line breaks, NUL, escape sequences) and the
/// invisible Unicode bidirectional controls. The latter reorder how the rest of a line is displayed
/// ("Trojan Source", CVE-2021-42574): a name holding U+202E shows its characters reversed in the
/// dashboard, the PDF and the spreadsheet, so a report could show another name than the one stored.
/// Joiners (U+200C/U+200D), which some scripts and emoji need, stay allowed.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// True when `s` holds a character refused by [`is_forbidden_char`].
pub fn has_forbidden_chars(s: &str) -> bool {
    s.chars().any(is_forbidden_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_refused() {
        for s in [
            "Budi\nSantoso",
            "Budi\u{0}",
            "\u{1b}[31mBudi",
            "Budi \u{202E}onatnaS",
            "\u{2067}Siti\u{2069}",
            "Ani\u{200F}",
            "\u{FEFF}Ani",
        ] {
            assert!(has_forbidden_chars(s), "{s:?}");
        }
    }

    #[test]
    fn names_of_every_script_pass() {
        for s in ["Budi Santoso", "Ni Luh Putu Ayu", "D'Costa-Wijaya", "José Müller", "محمد", "李小龙", "क्‍ष", "👩‍💻 Rina"]
        {
            assert!(!has_forbidden_chars(s), "{s:?}");
        }
    }
}
