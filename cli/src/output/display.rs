//! What reaches a terminal: every value from outside (AWS answers, file and folder names, ids
//! given on the command line, journal contents) is shown, never obeyed.
//!
//! Two layers, one rule. `escape` is the one display-escaping function for a value: control
//! characters (C0 but tab, DEL, C1), and the invisible characters that reorder or hide text
//! (bidi overrides and isolates, zero-width marks, line and paragraph separators) become visible
//! `\u{…}` escapes, so a value cannot move the cursor, clear the screen, set the window title, or
//! make a line read differently from what it says. `for_stream` is the backstop every stream
//! goes through (`out::print`, `out::eprint`, the prompt): the same escaping for the whole text,
//! except the line breaks and tabs of our own layout and the exact colour sequences of our own
//! palette (`PALETTE`), which `anstream` then keeps or strips as `--color` says.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The styles `render` paints with; their sequences are the only escape sequences let through.
pub const PALETTE: [anstyle::Style; 2] = [
    anstyle::AnsiColor::Red.on_default(),
    anstyle::AnsiColor::Green.on_default(),
];

/// Whether `c` is shown escaped rather than written: it controls the terminal or reorders,
/// hides or breaks the text around it.
fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Bidi: the Arabic letter mark, LRM/RLM, embeddings and overrides, isolates.
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Zero-width and invisible: they hide text or make two values look the same.
        | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
        // Line and paragraph separators: a line break a reader does not expect.
        | '\u{2028}' | '\u{2029}'
        // Interlinear annotation controls.
        | '\u{fff9}'..='\u{fffb}'
        // Invisible or blank-looking: a soft hyphen, fillers, the Mongolian vowel separator,
        // variation selectors, tag characters (two values that look the same must not be).
        | '\u{ad}' | '\u{115f}' | '\u{1160}' | '\u{180e}' | '\u{3164}' | '\u{ffa0}'
        | '\u{fe00}'..='\u{fe0f}' | '\u{e0000}'..='\u{e007f}' | '\u{e0100}'..='\u{e01ef}')
}

fn push_escaped(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// The one display-escaping function for a value from outside: hostile characters (see
/// `is_hostile`; a line break too, since a value is one line) become `\u{…}`.
pub fn escape(value: &str) -> Cow<'_, str> {
    if !value.chars().any(is_hostile) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 16);
    for c in value.chars() {
        if is_hostile(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A serialized JSON document with the hostile characters serde_json leaves as they are (DEL,
/// C1, bidi and invisible marks; it already escapes C0) written as JSON's own `\uXXXX`: the
/// same string to a parser, inert on a terminal, and nothing left for `for_stream` to change.
/// (Outside strings, JSON holds only ASCII punctuation, digits, letters and whitespace.)
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| c > '\u{7e}' && is_hostile(c)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c > '\u{7e}' && is_hostile(c) {
            // JSON's escapes are UTF-16 code units: a surrogate pair past the BMP.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with the userinfo of every URL in it left out (`http://user:pass@host/x` as
/// `http://host/x`): a printed command or a quoted flag value carries no credentials.
pub fn without_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| "/?#'\"`<>".contains(c) || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rsplit_once('@') {
            Some((_, host)) => out.push_str(host),
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The sequences of our palette: each style's start and the reset.
fn palette_sequences() -> Vec<String> {
    let mut sequences: Vec<String> = PALETTE
        .iter()
        .flat_map(|s| [s.render().to_string(), s.render_reset().to_string()])
        .collect();
    sequences.sort();
    sequences.dedup();
    sequences
}

/// The backstop of every stream: `text` with every hostile character escaped but the line
/// breaks and tabs of our own layout and the exact sequences of our palette.
pub fn for_stream(text: &str) -> Cow<'_, str> {
    keeping_layout(text, palette_sequences)
}

/// The backstop of a page (the evidence page): the same as [`for_stream`], but no sequence is
/// let through: a page has no colours.
pub fn for_page(text: &str) -> Cow<'_, str> {
    keeping_layout(text, Vec::new)
}

/// `text` with every hostile character escaped but line breaks, tabs and the exact `sequences`
/// given (made only when there is something to escape: most text has nothing).
fn keeping_layout(text: &str, sequences: impl FnOnce() -> Vec<String>) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c != '\n' && c != '\t' && is_hostile(c))
    {
        return Cow::Borrowed(text);
    }
    let sequences = sequences();
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' {
            if let Some(seq) = sequences.iter().find(|seq| rest.starts_with(seq.as_str())) {
                out.push_str(seq);
                rest = &rest[seq.len()..];
                continue;
            }
        }
        if c != '\n' && c != '\t' && is_hostile(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_cannot_drive_the_terminal() {
        // The id of a run that does not exist made to look like one that does.
        assert_eq!(
            escape("20261204T160731.556Z-ca19\u{ad}\u{e0069}\u{3164}"),
            "20261204T160731.556Z-ca19\\u{ad}\\u{e0069}\\u{3164}"
        );
        let hostile = "Members\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}gpj.exe\r\nX";
        assert_eq!(
            escape(hostile),
            "Members\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{202e}gpj.exe\\u{d}\\u{a}X"
        );
        // Japanese, ARNs and ordinary punctuation pass untouched (and unallocated).
        let plain = "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members 有効";
        assert!(matches!(escape(plain), Cow::Borrowed(_)));
    }

    /// A printed resume command or a quoted flag never carries an endpoint URL's credentials.
    #[test]
    fn an_endpoints_userinfo_is_left_out() {
        for (url, printed) in [
            ("http://user:pass@127.0.0.1:5000", "http://127.0.0.1:5000"),
            ("https://u:p@h.example/x?y=@z", "https://h.example/x?y=@z"),
            ("http://a@b@host/", "http://host/"),
            ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
            (
                "invalid value 'http://u:S3CRET@exa mple' for '--endpoint-url <URL>'",
                "invalid value 'http://exa mple' for '--endpoint-url <URL>'",
            ),
        ] {
            assert_eq!(without_userinfo(url), printed, "{url}");
        }
    }

    #[test]
    fn json_stays_json_and_inert() {
        let value =
            serde_json::json!({ "name": "a\u{1b}[2J\u{7f}\u{9b}\u{202e}b\u{ad}\u{e0069} 有効" });
        let text = serde_json::to_string_pretty(&value).unwrap();
        let shown = escape_json(&text);
        assert!(
            !shown.chars().any(|c| c != '\n' && is_hostile(c)),
            "{shown}"
        );
        assert_eq!(for_stream(&shown), shown);
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn a_page_keeps_its_layout_only() {
        let red = PALETTE[0];
        let page = format!("<p>a\tb</p>\n<p>{red}x\u{202e}y\u{2066}</p>\n");
        assert_eq!(
            for_page(&page),
            "<p>a\tb</p>\n<p>\\u{1b}[31mx\\u{202e}y\\u{2066}</p>\n"
        );
        let plain = "<p>有効 arn:aws:kms:ap-northeast-1:123456789012:key/x</p>\n";
        assert!(matches!(for_page(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn a_stream_keeps_our_layout_and_palette_only() {
        let red = PALETTE[0];
        let ours = format!("a\tb\n{red}有効{red:#}\n");
        assert_eq!(for_stream(&ours), ours);
        // A colour that is not ours, a title, a screen clear, a bidi override: all shown.
        let theirs = "x\u{1b}[8mhidden\u{1b}]0;t\u{7}\u{1b}[2J\u{202e}y\n";
        assert_eq!(
            for_stream(theirs),
            "x\\u{1b}[8mhidden\\u{1b}]0;t\\u{7}\\u{1b}[2J\\u{202e}y\n"
        );
    }
}
