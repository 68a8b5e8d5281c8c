//! Diagnostics: a message tied to a file and position, printed through miette with the
//! source snippet.

use crate::doc::{Document, Pos, Source};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
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
        let source = crate::doc::source_by_id(pos.file).unwrap_or_else(|| source.clone());
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
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
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
