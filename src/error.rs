//! Diagnostics: a message tied to a file and position, printed through miette with the
//! source snippet.

use crate::doc::{Document, Pos, Source};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Note,
}

#[derive(Clone, Debug)]
pub struct Diag {
    pub level: Level,
    pub message: String,
    /// The file named in the message (when there is no source text to quote).
    pub file: Option<String>,
    pub source: Option<Arc<Source>>,
    pub pos: Pos,
    pub help: Option<String>,
}

impl Diag {
    pub fn new(message: impl Into<String>) -> Diag {
        Diag {
            level: Level::Error,
            message: message.into(),
            file: None,
            source: None,
            pos: Pos::NONE,
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Diag {
        Diag {
            level: Level::Warning,
            ..Diag::new(message)
        }
    }

    pub fn note(message: impl Into<String>) -> Diag {
        Diag {
            level: Level::Note,
            ..Diag::new(message)
        }
    }

    pub fn in_file(mut self, name: impl Into<String>) -> Diag {
        self.file = Some(name.into());
        self
    }

    /// At a position in `source`, or in the file the position itself names.
    pub fn at(mut self, source: &Arc<Source>, pos: Pos) -> Diag {
        let source = crate::doc::source_at(pos, source);
        self.file = Some(source.name().to_string());
        self.source = Some(source);
        self.pos = pos;
        self
    }

    pub fn at_doc(self, doc: &Document, pointer: &str) -> Diag {
        let pos = doc.pos(pointer);
        self.at(&doc.source, pos)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    /// `file:line:col` (or less, when unknown).
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(if self.pos.is_known() {
            format!("{file}:{}", self.pos)
        } else {
            file.to_string()
        })
    }

    fn span(&self) -> Option<SourceSpan> {
        let source = self.source.as_ref()?;
        let start = source.offset(self.pos)?;
        let rest = &source.text[start..];
        let line_len = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line_start = source.text[..start].rfind('\n').map_or(0, |i| i + 1);
        if start + line_len - line_start > 300 {
            // A minified or generated line: quoting it helps nobody.
            return None;
        }
        let token = rest[..line_len]
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
            .unwrap_or(line_len)
            .min(rest.find(": ").unwrap_or(usize::MAX));
        let len = token.max(rest.chars().next().map_or(0, char::len_utf8));
        Some(SourceSpan::new(start.into(), len))
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location() {
            Some(loc) => write!(f, "{loc}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for Diag {}

struct NamedText(Arc<Source>);

impl SourceCode for NamedText {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette counts lines from the start of the text on every call; starting at a line
        // boundary just before the context gives the same contents at the cost of the context.
        let starts = self.0.line_starts();
        let line = starts
            .partition_point(|&s| s <= span.offset())
            .saturating_sub(1);
        let first = line.saturating_sub(before);
        let window = starts.get(first).copied().unwrap_or(0);
        let shifted = SourceSpan::new((span.offset() - window).into(), span.len());
        let inner = self.0.text[window..].read_span(&shifted, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name().to_string(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + window).into(), inner.span().len()),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )))
    }
}

/// The miette view of a `Diag`; kept apart so `Diag` stays `Clone` and cheap.
struct Report<'a> {
    diag: &'a Diag,
    text: Option<NamedText>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.diag, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.diag, f)
    }
}

impl std::error::Error for Report<'_> {}

impl Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.text.as_ref().map(|t| t as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.diag.span()?;
        self.text.as_ref()?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some("here".into()),
            span,
        ))))
    }
}

/// Renders diagnostics for a terminal (with colour) or for logs and pipes (without).
pub fn format_diag(diag: &Diag, color: bool) -> String {
    if !color && let Some(drawn) = format_plain(diag) {
        return drawn;
    }
    format_miette(diag, color)
}

fn format_miette(diag: &Diag, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false);
    let report = Report {
        diag,
        text: diag.span().and(diag.source.clone()).map(NamedText),
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{diag}\n");
    }
    out
}

const WIDTH: usize = 100;

/// What miette draws without colour for a diagnostic whose label lies inside one line of
/// plain ASCII text (no tabs or carriage returns near it), drawn directly: lint prints
/// tens of thousands of these, and miette's general layout costs about 10 µs each. `None`
/// for anything else, which miette draws. Tests compare the two on every position of
/// sample files and on every rule fixture.
fn format_plain(diag: &Diag) -> Option<String> {
    let first = match diag.level {
        Level::Error => "  × ",
        Level::Warning => "  ⚠ ",
        Level::Note => "  ☞ ",
    };
    let mut out = String::with_capacity(512);
    wrap_into(&mut out, &diag.to_string(), first, "  │ ");
    if let (Some(span), Some(source)) = (diag.span(), &diag.source) {
        let text = source.text.as_str();
        let (start, end) = (span.offset(), span.offset() + span.len());
        let starts = source.line_starts();
        let line = starts.partition_point(|&s| s <= start).checked_sub(1)?;
        let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
        let here = (starts[line], line_end(starts[line]));
        if span.is_empty() || end > here.1 {
            return None;
        }
        let mut shown = [(0, (0, 0)); 3];
        let mut count = 0;
        if line > 0 {
            shown[count] = (line, (starts[line - 1], starts[line] - 1));
            count += 1;
        }
        shown[count] = (line + 1, here);
        count += 1;
        if here.1 + 1 < text.len() {
            shown[count] = (line + 2, (here.1 + 1, line_end(here.1 + 1)));
            count += 1;
        }
        let shown = &shown[..count];
        if !shown.iter().all(|(_, (a, b))| {
            text.as_bytes()[*a..*b]
                .iter()
                .all(|c| (0x20..0x7f).contains(c))
        }) {
            return None;
        }
        let width = shown[count - 1].0.checked_ilog10().unwrap_or(0) as usize + 1;
        let repeat = |out: &mut String, s: &str, n: usize| (0..n).for_each(|_| out.push_str(s));
        let column = start - here.0;
        repeat(&mut out, " ", width + 2);
        let _ = writeln!(out, "╭─[{}:{}:{}]", source.name(), line + 1, column + 1);
        for (number, (a, b)) in shown {
            let _ = writeln!(out, " {number:>width$} │ {}", &text[*a..*b]);
            if *number == line + 1 {
                let (from, to) = (column, end - here.0);
                let bar = (from + to) / 2;
                repeat(&mut out, " ", width + 1);
                out.push_str(" · ");
                repeat(&mut out, " ", from);
                repeat(&mut out, "─", bar - from);
                out.push('┬');
                repeat(&mut out, "─", to - bar - 1);
                out.push('\n');
                repeat(&mut out, " ", width + 1);
                out.push_str(" · ");
                repeat(&mut out, " ", bar);
                out.push_str("╰── here\n");
            }
        }
        repeat(&mut out, " ", width + 2);
        out.push_str("╰────\n");
    }
    if let Some(help) = &diag.help {
        wrap_into(&mut out, help, "  help: ", "        ");
    }
    Some(out)
}

/// A paragraph as miette wraps it (textwrap, first-fit, two columns short of the width).
/// Plain ASCII text is wrapped by `fill_ascii`, which chooses the lines textwrap's Unicode
/// rules choose for it (tested) at a fraction of their cost.
fn wrap_into(out: &mut String, text: &str, first: &str, rest: &str) {
    let width = WIDTH - 2;
    if ascii_breaks_apply(text) {
        fill_ascii(out, text, first, rest, width);
    } else {
        let options = textwrap::Options::new(width)
            .initial_indent(first)
            .subsequent_indent(rest)
            .break_words(true);
        out.push_str(&textwrap::fill(text, options));
    }
    out.push('\n');
}

/// textwrap's `fill` (first-fit, hyphen splitting, long words broken, a non-empty first
/// indent) for text `ascii_breaks_apply` accepts, where every character is one column:
/// the same words and lines, without building them.
fn fill_ascii(out: &mut String, text: &str, first: &str, rest: &str, width: usize) {
    /// `text[start..end]`, then its spaces up to `next`.
    struct Piece {
        start: usize,
        end: usize,
        next: usize,
    }
    let widths = [
        width.saturating_sub(textwrap::core::display_width(first)),
        width.saturating_sub(textwrap::core::display_width(rest)),
    ];
    let bytes = text.as_bytes();
    // textwrap puts an empty word first when there is a first-line indent, so that a long
    // first word may go to the second line.
    let mut pieces = Vec::with_capacity(text.len() / 4 + 4);
    pieces.push(Piece {
        start: 0,
        end: 0,
        next: 0,
    });
    let push = |start: usize, end: usize, next: usize, pieces: &mut Vec<Piece>| {
        // Words wider than a line are cut into line-wide pieces.
        let (mut at, most) = (start, widths[1].max(1));
        while end - at > most {
            pieces.push(Piece {
                start: at,
                end: at + most,
                next: at + most,
            });
            at += most;
        }
        pieces.push(Piece {
            start: at,
            end,
            next,
        });
    };
    let mut word_start = 0;
    for next in ascii_breaks(text).chain([text.len()]) {
        let end = word_start + text[word_start..next].trim_end_matches(' ').len();
        // Hyphens between letters or digits are where textwrap's hyphen splitter cuts.
        let mut from = word_start;
        for i in word_start + 1..end.saturating_sub(1) {
            if bytes[i] == b'-'
                && bytes[i - 1].is_ascii_alphanumeric()
                && bytes[i + 1].is_ascii_alphanumeric()
            {
                push(from, i + 1, i + 1, &mut pieces);
                from = i + 1;
            }
        }
        push(from, end, next, &mut pieces);
        word_start = next;
    }
    let mut line_start = 0;
    let mut lines = 0;
    let mut used = 0;
    for i in 0..pieces.len() {
        let p = &pieces[i];
        let line_width = widths[lines.min(1)];
        if used + (p.end - p.start) > line_width && i > line_start {
            let (a, b) = (&pieces[line_start], &pieces[i - 1]);
            out.push_str(if lines == 0 { first } else { rest });
            out.push_str(&text[a.start..b.end]);
            out.push('\n');
            lines += 1;
            line_start = i;
            used = 0;
        }
        used += pieces[i].next - pieces[i].start;
    }
    let (a, b) = (&pieces[line_start], &pieces[pieces.len() - 1]);
    out.push_str(if lines == 0 { first } else { rest });
    out.push_str(&text[a.start..b.end]);
}

/// Punctuation whose line-break class `ascii_breaks` knows wherever it stands (with
/// letters, digits and the space); `ascii_breaks_apply` lets a few more in where they are
/// safe. Text with anything else goes to the full Unicode rules.
const ASCII_WORD_CHARS: &[u8] = b" .,:;_`/";

/// Text `ascii_breaks` splits as the Unicode rules do: the characters it knows, no leading
/// space; `-`, `@` and `=` only inside words, `'` only after a letter or digit; brackets
/// only around words, as in `rule [KF123]: message (in a)` (elsewhere the rules for those
/// depend on more context than `ascii_breaks` keeps).
fn ascii_breaks_apply(text: &str) -> bool {
    let b = text.as_bytes();
    !text.starts_with(' ')
        && b.iter().enumerate().all(|(i, &c)| {
            let (before, after) = (i.checked_sub(1).map(|j| b[j]), b.get(i + 1).copied());
            match c {
                b'[' => {
                    before.is_none_or(|p| p == b' ')
                        && after.is_some_and(|n| n.is_ascii_uppercase())
                }
                b']' => {
                    before.is_some_and(|p| p.is_ascii_alphanumeric())
                        && after.is_none_or(|n| n == b':' || n == b' ')
                }
                b'-' | b'@' | b'=' => {
                    before.is_some_and(|p| p.is_ascii_alphanumeric())
                        && after.is_some_and(|n| n.is_ascii_alphanumeric())
                }
                b'\'' => {
                    before.is_some_and(|p| p.is_ascii_alphanumeric())
                        && after.is_none_or(|n| n.is_ascii_alphanumeric() || n == b' ')
                }
                b'(' => {
                    before.is_none_or(|p| p == b' ')
                        && after.is_some_and(|n| n.is_ascii_alphanumeric())
                }
                b')' => {
                    before.is_some_and(|p| p.is_ascii_alphanumeric() || p == b'`')
                        && after.is_none_or(|n| b" .,:;".contains(&n))
                }
                c => c.is_ascii_alphanumeric() || ASCII_WORD_CHARS.contains(&c),
            }
        })
}

/// Where textwrap's Unicode line-break separator starts a new word in plain ASCII text (UAX
/// #14 on the classes these characters have, minus breaks after `-`, which textwrap leaves
/// to its hyphen splitter). Tested against it on random text.
fn ascii_breaks(line: &str) -> impl Iterator<Item = usize> + '_ {
    #[derive(Clone, Copy, PartialEq)]
    enum Class {
        Space,
        Alpha,
        Digit,
        Infix,
        Slash,
        Hyphen,
        Open,
        Close,
    }
    let class = |c: u8| match c {
        b' ' => Class::Space,
        b'0'..=b'9' => Class::Digit,
        b'.' | b',' | b':' | b';' => Class::Infix,
        b'/' => Class::Slash,
        b'-' => Class::Hyphen,
        b'[' | b'(' => Class::Open,
        b']' | b')' => Class::Close,
        _ => Class::Alpha,
    };
    let bytes = line.as_bytes();
    // The last character that is not a space, for "no break after an opening bracket and
    // the spaces that follow it".
    let mut last_visible = None;
    (1..bytes.len()).filter(move |&i| {
        let (a, b) = (class(bytes[i - 1]), class(bytes[i]));
        if a != Class::Space {
            last_visible = Some(a);
        }
        use Class::*;
        match (a, b) {
            (_, Space | Close | Infix | Slash) | (Hyphen | Open, _) => false,
            (Space, _) => last_visible != Some(Open),
            (_, Hyphen) => false,
            (Alpha | Digit, _) => false,
            (Infix, Alpha | Digit) | (Close, Alpha | Digit) | (Slash, Digit) => false,
            (Infix | Slash | Close, _) => true,
        }
    })
}

/// `ascii_breaks` as a textwrap word separator, to compare with its Unicode one.
#[cfg(test)]
fn ascii_words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut starts = vec![0];
    starts.extend(ascii_breaks(line));
    starts.push(line.len());
    Box::new(
        starts
            .windows(2)
            .map(|w| textwrap::core::Word::from(&line[w[0]..w[1]]))
            .collect::<Vec<_>>()
            .into_iter(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts with the edges a snippet meets: first and last lines, a missing final newline,
    /// empty, indented and long lines, CRLF, tabs and non-ASCII (those go to miette).
    const SAMPLES: &[&str] = &[
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
        "a: 1\nb: 2",
        "a: 1\n\nb: [x, y]\n\n",
        "only: line",
        "spec:\n  containers:\n  - name: app\n    image: nginx:latest\n    args: [\"--port\", \"8080\"]\n",
        "a: 1\r\nb: 2\r\n",
        "a:\n\tb: 1\nc: é\n",
        "k: \"a long value that goes on and on past the place where a terminal of a hundred columns would wrap it\"\n",
    ];

    fn lines_and_columns(text: &str) -> Vec<Pos> {
        let mut out = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            for col in 1..=line.chars().count() + 1 {
                out.push(Pos::new(i + 1, col));
            }
        }
        out
    }

    #[test]
    fn plain_reports_are_what_miette_draws() {
        let messages = [
            "short",
            "a message long enough that miette has to wrap it onto a second line, with `code`, paths/like/this and-hyphens",
        ];
        let helps = [
            None,
            Some("set it"),
            Some(
                "a help text long enough that it needs wrapping too: it names overlays/prod/kustomization.yaml and keeps going",
            ),
        ];
        let mut drawn = 0;
        for (n, text) in SAMPLES.iter().enumerate() {
            let source = Source::new(format!("dir/sample-{n}.yaml"), text.to_string());
            for pos in lines_and_columns(text) {
                for (m, level) in messages.iter().zip([Level::Error, Level::Warning]) {
                    for help in helps {
                        let mut d = Diag::new(*m).at(&source, pos);
                        d.level = level;
                        d.help = help.map(String::from);
                        if let Some(plain) = format_plain(&d) {
                            assert_eq!(plain, format_miette(&d, false), "{n} at {pos}");
                            drawn += 1;
                        }
                    }
                }
            }
        }
        // Most positions are drawn directly; the rest (CRLF, tabs, é, line ends) by miette.
        assert!(drawn > 400, "only {drawn} drawn directly");
        let note = Diag::note("no position").with_help("a help");
        assert!(format_plain(&note).is_some());
        assert_eq!(format_plain(&note).unwrap(), format_miette(&note, false));
    }

    fn words(separator: textwrap::WordSeparator, text: &str) -> Vec<(String, String)> {
        separator
            .find_words(text)
            .map(|w| (w.word.to_string(), w.whitespace.to_string()))
            .collect()
    }

    /// `ascii_words` against textwrap's Unicode separator on random text over the
    /// characters it claims, weighted towards the ones with rules (spaces, `/`, `[`).
    /// A xorshift generator: random enough for test inputs, and the same ones every run.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn text(&mut self, alphabet: &[u8], len: usize) -> String {
            (0..len)
                .map(|_| alphabet[self.below(alphabet.len())] as char)
                .collect()
        }
    }

    #[test]
    fn ascii_words_are_the_unicode_words() {
        let alphabet: Vec<u8> = (b'a'..=b'e')
            .chain(b'X'..=b'Z')
            .chain(b'0'..=b'3')
            .chain(ASCII_WORD_CHARS.iter().copied())
            .chain(b"   //--[[]K()'@=".iter().copied())
            .collect();
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let mut tested = 0;
        while tested < 20_000 {
            let len = 1 + random.below(24);
            let text = random.text(&alphabet, len);
            if !ascii_breaks_apply(&text) {
                continue;
            }
            tested += 1;
            assert_eq!(
                words(textwrap::WordSeparator::Custom(ascii_words), &text),
                words(textwrap::WordSeparator::UnicodeBreakProperties, &text),
                "{text:?}"
            );
        }
    }

    /// `fill_ascii` against textwrap's `fill` with its Unicode separator, on random text
    /// long enough to wrap, with words longer than a line and hyphens inside words.
    #[test]
    fn fill_ascii_is_textwraps_fill() {
        let alphabet: Vec<u8> = (b'a'..=b'e')
            .chain(b'0'..=b'2')
            .chain(b"      .,:;_`/-[]K()'@=".iter().copied())
            .collect();
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let mut tested = 0;
        while tested < 5_000 {
            let len = random.below(260);
            let mut text = random.text(&alphabet, len);
            if random.below(4) == 0 {
                text.push_str(&"x".repeat(90 + random.below(120)));
            }
            if !ascii_breaks_apply(&text) {
                continue;
            }
            tested += 1;
            for (first, rest) in [("  × ", "  │ "), ("  help: ", "        ")] {
                let mut got = String::new();
                fill_ascii(&mut got, &text, first, rest, WIDTH - 2);
                let options = textwrap::Options::new(WIDTH - 2)
                    .initial_indent(first)
                    .subsequent_indent(rest)
                    .break_words(true);
                assert_eq!(got, textwrap::fill(&text, options), "{text:?}");
            }
        }
    }
}
