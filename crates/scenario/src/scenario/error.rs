//! Scenario errors that say where: file, line and column, the key path, and what was expected.

use std::fmt;

/// One problem found in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the offending key is in (`--set` for command-line overrides).
    pub file: String,
    /// 1-based line and column of the key, when it could be located.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted key path, e.g. `policy[2].targets[0]`; empty for a problem with the whole file.
    pub key_path: String,
    pub message: String,
}

/// One line, whatever the file, key or message held: a newline in an echoed id or file name cannot
/// start a line that reads as another diagnostic.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::text::{cut, cut_quoted, one_line};
        // A file name or key path is the user's own, but a key can be any length: cut past a page's
        // width, as quoted values are.
        write!(f, "{}", one_line(&cut(&self.file, 4096)))?;
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, ":{line}:{column}")?,
            (Some(line), None) => write!(f, ":{line}")?,
            _ => {}
        }
        let message = one_line(&cut_quoted(&self.message));
        if self.key_path.is_empty() {
            write!(f, ": {message}")
        } else {
            write!(f, ": `{}`: {message}", one_line(&cut(&self.key_path, 200)))
        }
    }
}

/// Every problem found in a scenario, not only the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    pub fn single(file: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            diagnostics: vec![Diagnostic {
                file: file.into(),
                line: None,
                column: None,
                key_path: String::new(),
                message: message.into(),
            }],
        }
    }
}

/// Problems printed at most: a file of a hundred thousand mistakes gets a page, not a flood.
pub const MAX_SHOWN: usize = 50;

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_problems(f, "invalid scenario", &self.diagnostics)
    }
}

/// `HEAD: N problems` and the first [`MAX_SHOWN`] of them, one a line: how scenario and sweep errors
/// print.
pub fn write_problems(
    f: &mut fmt::Formatter<'_>,
    head: &str,
    diagnostics: &[Diagnostic],
) -> fmt::Result {
    let n = diagnostics.len();
    writeln!(f, "{head}: {n} problem{}", if n == 1 { "" } else { "s" })?;
    for d in diagnostics.iter().take(MAX_SHOWN) {
        writeln!(f, "  {d}")?;
    }
    if n > MAX_SHOWN {
        writeln!(
            f,
            "  … and {} more (mend these and validate again)",
            n - MAX_SHOWN
        )?;
    }
    Ok(())
}

impl std::error::Error for ScenarioError {}

/// Where a text's lines start, and whether each is ASCII (so a column is a byte count): locates an
/// offset in logarithmic time, and in constant time on an ASCII line, so a million problems on one long
/// line are located in a moment. Made once per file, when its first problem is located.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    ascii: Vec<bool>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let b = starts.get(i + 1).copied().unwrap_or(text.len());
                text.as_bytes()[a..b].is_ascii()
            })
            .collect();
        LineIndex { starts, ascii }
    }

    /// The 1-based (line, column) of a byte offset of `text` (the text the index was made of), counting
    /// columns in characters.
    pub fn locate(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = if self.ascii[line - 1] {
            offset - start + 1
        } else {
            text.get(start..offset).map_or(1, |t| t.chars().count() + 1)
        };
        (line, column)
    }
}

/// The position of `path` in `positions`, or of its nearest ancestor there (`a.b[2].c`, `a.b[2]`,
/// `a.b`, `a`).
pub fn nearest(positions: &std::collections::HashMap<String, usize>, path: &str) -> Option<usize> {
    let mut p = path;
    loop {
        if let Some(&pos) = positions.get(p) {
            return Some(pos);
        }
        let cut = p.rfind(['.', '['])?;
        p = &p[..cut];
    }
}

/// Converts a byte offset into a 1-based (line, column), counting columns in characters.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 4));
    }
}
