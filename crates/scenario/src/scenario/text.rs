//! What a scenario's ids, names and texts may hold, and how text from a file reaches a terminal.
//!
//! Ids are what key paths, policy references, folder names and tables are built from: ASCII letters,
//! digits, `-` and `_` (no `.`, which key paths split on), of bounded length — so that `K\u{202e}E`, a
//! Cyrillic `а` or `open\u{200b}ai` cannot pass for another id. Names and texts may be in any script, but
//! hold no control characters (newlines and tabs aside in texts), no bidirectional overrides or
//! isolates, and no zero-width characters, which make a text print as something it is not. Scenario names
//! name folders: they are portable file names. And whatever a file says is printed with its control
//! characters escaped ([`printable`]), so that no escape sequence from a file reaches the terminal.

/// The longest id.
pub const MAX_ID: usize = 64;
/// The longest name (of an entity, a scenario's name, a source).
pub const MAX_NAME: usize = 200;
/// The longest text (a description, a story).
pub const MAX_TEXT: usize = 20_000;

/// Bidirectional formatting characters and zero-width ones: they change how a text prints without
/// being seen.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2028}'..='\u{2029}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// The first character of `s` that no name or text may hold (`newlines`: whether `\n` and `\t` are
/// allowed), described.
fn forbidden(s: &str, newlines: bool) -> Option<String> {
    let mut chars = s.chars().peekable();
    std::iter::from_fn(|| chars.next().map(|c| (c, chars.peek() == Some(&'\n')))).find_map(
        |(c, before_newline)| {
            // A carriage return only as the first half of a Windows line end: alone, it sends the
            // terminal's cursor back to overwrite the line.
            if newlines && (c == '\n' || c == '\t' || (c == '\r' && before_newline)) {
                None
            } else if c.is_control() {
                Some(format!("a control character ({})", escaped(c)))
            } else if invisible(c) {
                Some(format!(
                    "an invisible formatting character ({}: bidirectional, zero-width or a line separator)",
                    escaped(c)
                ))
            } else {
                None
            }
        },
    )
}

fn escaped(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// What is wrong with `id` as an id, if anything.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("expected an id, found an empty string".into());
    }
    if id.chars().count() > MAX_ID {
        return Some(format!(
            "expected an id of at most {MAX_ID} characters, found {}",
            id.chars().count()
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Some(format!(
            "`{}` holds {}: ids are ASCII letters, digits, `-` and `_`",
            id.escape_debug(),
            if c.is_ascii() {
                format!("`{}`", c.escape_debug())
            } else {
                format!("{} (not ASCII)", escaped(c))
            }
        ));
    }
    None
}

/// What is wrong with `name` as a name (one line), if anything.
pub fn name_problem(name: &str) -> Option<String> {
    if name.chars().count() > MAX_NAME {
        return Some(format!(
            "expected a name of at most {MAX_NAME} characters, found {}",
            name.chars().count()
        ));
    }
    forbidden(name, false).map(|what| format!("a name may not hold {what}"))
}

/// What is wrong with `text` as a text (a description or a story: lines allowed), if anything.
pub fn text_problem(text: &str) -> Option<String> {
    if text.chars().count() > MAX_TEXT {
        return Some(format!(
            "expected a text of at most {MAX_TEXT} characters, found {}",
            text.chars().count()
        ));
    }
    forbidden(text, true).map(|what| format!("a text may not hold {what}"))
}

/// Names Windows reserves for devices, in any case and with any extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// The longest scenario name: it names the output folder (`output/<name>`), and its charts' files.
pub const MAX_SCENARIO_NAME: usize = 100;

/// What is wrong with `name` as a scenario's name — a portable file name — if anything.
pub fn scenario_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("expected a name, found an empty string".into());
    }
    if name.chars().count() > MAX_SCENARIO_NAME {
        return Some(format!(
            "expected a name of at most {MAX_SCENARIO_NAME} characters (it names the output \
             folder), found {}",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "`{}` holds {}: a scenario's name names its output folder, so it is a portable file \
             name — ASCII letters, digits, `-`, `_` and `.`",
            printable(name),
            if c.is_ascii() {
                format!("`{}`", printable(&c.to_string()))
            } else {
                format!("{} (not ASCII)", escaped(c))
            }
        ));
    }
    if name.starts_with('.') || name.ends_with('.') {
        return Some(format!(
            "`{name}` starts or ends with `.`: a hidden folder, or one Windows cannot make"
        ));
    }
    let stem = name.split('.').next().unwrap_or(name);
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Some(format!(
            "`{name}` is a device name on Windows (`{stem}`): a folder cannot be called so"
        ));
    }
    None
}

/// `s` with every control, bidirectional and zero-width character escaped as `\u{…}`: safe to print to
/// a terminal, whatever a file said. Newlines and tabs are kept where they lay out a message, but a
/// newline inside a `quoted` value is escaped (`\n`), so that an id or a name cannot start a line of
/// its own that reads as the program's (`unknown nation `K` then a line `ok: …`).
pub fn printable(s: &str) -> String {
    let kept = |c: char| c == '\n' || c == '\t';
    if !s
        .chars()
        .any(|c| (c.is_control() && !kept(c)) || invisible(c))
        && !s.contains('`')
    {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '`' => {
                quoted = !quoted;
                out.push(c);
            }
            '\n' if quoted => out.push_str("\\n"),
            '\n' => out.push(c),
            '\t' => out.push(c),
            c if c.is_control() || invisible(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `s` on one line: [`printable`], with newlines and tabs escaped too (a diagnostic is one line).
pub fn one_line(s: &str) -> String {
    let s = printable(s);
    if s.contains(['\n', '\t']) {
        s.replace('\n', "\\n").replace('\t', "\\t")
    } else {
        s
    }
}

/// The most characters of a value quoted in a diagnostic: a longer one (a 1 MB id, which can only be
/// a mistake) is cut, with its length said, so that the message stays readable.
pub const MAX_QUOTED: usize = 80;

/// `message` with each `quoted` value longer than [`MAX_QUOTED`] characters cut to its start and its
/// length.
pub fn cut_quoted(message: &str) -> std::borrow::Cow<'_, str> {
    let parts: Vec<&str> = message.split('`').collect();
    let long = |i: usize, part: &str| {
        i % 2 == 1 && i + 1 < parts.len() && part.chars().count() > MAX_QUOTED
    };
    if !parts.iter().enumerate().any(|(i, p)| long(i, p)) {
        return message.into();
    }
    let mut out = String::with_capacity(MAX_QUOTED * parts.len());
    let mut length = None;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('`');
            if let Some(n) = length.take() {
                out.push_str(&format!(" ({n} characters)"));
            }
        }
        if long(i, part) {
            out.extend(part.chars().take(MAX_QUOTED / 2));
            out.push('…');
            length = Some(part.chars().count());
        } else {
            out.push_str(part);
        }
    }
    out.into()
}

/// `s` cut to `max` characters, with its length said if it was longer.
pub fn cut(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let n = s.chars().count();
    if n <= max {
        return s.into();
    }
    let start: String = s.chars().take(max / 2).collect();
    format!("{start}… ({n} characters)").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An id of a million characters is quoted by its start and its length; short ones whole; a lone
    /// backtick opens nothing.
    #[test]
    fn long_quoted_values_are_cut_to_their_start_and_length() {
        let long = "K".repeat(1_000_000);
        let m = format!("unknown nation `{long}`; did you mean `KE`?");
        let shown = cut_quoted(&m);
        assert_eq!(
            shown,
            format!(
                "unknown nation `{}…` (1000000 characters); did you mean `KE`?",
                "K".repeat(MAX_QUOTED / 2)
            )
        );
        let short = "unknown nation `KEE`; did you mean `KE`?";
        assert_eq!(cut_quoted(short), short);
        let lone = format!("a ` and {long}");
        assert_eq!(cut_quoted(&lone), lone);
        assert_eq!(cut("parameters.beta", 10), "param… (15 characters)");
    }

    /// A text may end its lines as Windows does (`\r\n`), but a carriage return alone would send the
    /// terminal's cursor back over the line, and U+2028 breaks a line where none is seen.
    #[test]
    fn a_lone_carriage_return_and_a_line_separator_are_refused_in_texts() {
        assert_eq!(forbidden("one\r\ntwo\n\tthree", true), None);
        assert!(forbidden("safe\roverwritten", true).is_some());
        assert!(forbidden("ends\r", true).is_some());
        assert!(forbidden("a\u{2028}b", true).is_some());
        assert!(forbidden("one\r\ntwo", false).is_some());
    }

    /// A newline inside a quoted value cannot start a line of its own; one between lines of a message
    /// stays; a diagnostic is one line whatever it holds.
    #[test]
    fn a_quoted_newline_is_escaped_and_a_diagnostic_is_one_line() {
        let said = printable("invalid scenario: 1 problem\n  unknown nation `K\nok: fine`\nnext");
        assert_eq!(
            said,
            "invalid scenario: 1 problem\n  unknown nation `K\\nok: fine`\nnext"
        );
        assert_eq!(printable("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        let d = crate::scenario::Diagnostic {
            file: "a\nb.toml".into(),
            line: Some(3),
            column: None,
            key_path: "coalition[0].members[0]".into(),
            message: "unknown nation `K\nE`\tand more".into(),
        };
        let shown = d.to_string();
        assert!(!shown.contains(['\n', '\t']), "{shown}");
        assert!(shown.starts_with("a\\nb.toml:3: "), "{shown}");
    }

    #[test]
    fn ids_are_ascii_words_that_cannot_deceive() {
        for good in ["KE", "huawei-cloud", "us_startup", "rubin-ultra", "a1"] {
            assert_eq!(id_problem(good), None, "{good}");
        }
        for bad in [
            "K\u{202e}E",
            "open\u{200b}ai",
            "оpenai", // a Cyrillic о
            "a.b",
            "new\nline",
            "",
            &"x".repeat(65),
        ] {
            assert!(id_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn names_and_texts_refuse_what_hides_and_what_escapes() {
        assert_eq!(name_problem("Alibaba Cloud (阿里云)"), None);
        assert!(name_problem("sw\u{202e}eep").is_some());
        assert!(name_problem("two\nlines").is_some());
        assert_eq!(text_problem("a story\nin two lines"), None);
        assert!(text_problem("\u{1b}]0;title\u{7}").is_some());
        assert!(name_problem(&"n".repeat(MAX_NAME + 1)).is_some());
    }

    #[test]
    fn scenario_names_are_portable_file_names() {
        assert_eq!(scenario_name_problem("alibaba-ban"), None);
        assert_eq!(scenario_name_problem("run.v2"), None);
        for bad in [
            "CON",
            "nul.txt",
            "Lpt1",
            "trailing.",
            ".hidden",
            "a/b",
            "sw\u{202e}eep",
        ] {
            assert!(scenario_name_problem(bad).is_some(), "{bad}");
        }
        assert!(scenario_name_problem(&"x".repeat(300)).is_some());
    }

    #[test]
    fn printing_escapes_what_would_drive_the_terminal() {
        assert_eq!(
            printable("\u{1b}]0;x\u{7}\u{1b}[2J ok\n"),
            "\\u{1b}]0;x\\u{7}\\u{1b}[2J ok\n"
        );
        assert_eq!(printable("K\u{202e}E"), "K\\u{202e}E");
    }
}
