//! The indexer's typed error.
//!
//! Callers (the CLI, the Python package, a server) can tell a refused request — an append
//! that would repeat ids, a budget too small, bad options — from bad input, an unreadable
//! file or a damaged index, and show the message, which always says what to do. Context is
//! added the way `anyhow` does it (`.context(...)`, `.with_context(|| ...)`): the message
//! then reads `context: cause`.

use std::fmt::Display;
use std::path::PathBuf;

/// An indexer error.
///
/// Every message holds its whole cause (`context: cause: ...`), so no variant reports a
/// separate [`std::error::Error::source`]: a caller printing the chain (`{:#}` of `anyhow`,
/// or walking `source()`) would print each cause again, two or three times over. The same
/// rule as `verbatim_core::Error` (whose I/O variant names its field `error` for this
/// reason). [`Error::root`] walks the contexts.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    Io {
        /// The file, when known.
        path: Option<PathBuf>,
        /// The underlying error (part of the message, not a separate `source`).
        error: std::io::Error,
    },
    /// An index could not be opened or written (damaged, mismatched, unreadable).
    Index(verbatim_core::Error),
    /// The memory budget cannot work.
    Budget(crate::memory::BudgetTooSmall),
    /// A Parquet input could not be read.
    Parquet(verbatim_parquet::Error),
    /// The request is refused as asked (e.g. an append that would repeat ids, another
    /// tokenizer, a locked index, parts that do not fit together); nothing was changed.
    Refused(String),
    /// Bad options.
    Options(String),
    /// Bad input, as an error (with `--strict`, or input with no document at all).
    Input(String),
    /// Anything else that stopped the build.
    Failed(String),
    /// An error with what was being done when it happened.
    Context {
        /// What was being done.
        context: String,
        /// The cause (part of the message, not a separate `std::error::Error::source`).
        source: Box<Error>,
    },
}

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io { path, error } => match path {
                Some(p) => write!(f, "{}: {error}", p.display()),
                None => write!(f, "{error}"),
            },
            Error::Index(e) => Display::fmt(e, f),
            Error::Budget(e) => Display::fmt(e, f),
            Error::Parquet(e) => Display::fmt(e, f),
            Error::Refused(m) | Error::Options(m) | Error::Input(m) | Error::Failed(m) => {
                f.write_str(m)
            }
            Error::Context { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

/// No `source()`: see [`Error`].
impl std::error::Error for Error {}

impl From<verbatim_core::Error> for Error {
    fn from(e: verbatim_core::Error) -> Self {
        Error::Index(e)
    }
}

impl From<crate::memory::BudgetTooSmall> for Error {
    fn from(e: crate::memory::BudgetTooSmall) -> Self {
        Error::Budget(e)
    }
}

impl From<verbatim_parquet::Error> for Error {
    fn from(e: verbatim_parquet::Error) -> Self {
        Error::Parquet(e)
    }
}

impl Error {
    /// The innermost error, past every context.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root(),
            e => e,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::Io { path: None, error }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Failed(format!("JSON: {e}"))
    }
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Failed(format!("full-text index: {e}"))
    }
}

impl From<fst::Error> for Error {
    fn from(e: fst::Error) -> Self {
        Error::Failed(format!("id map: {e}"))
    }
}

impl From<rayon::ThreadPoolBuildError> for Error {
    fn from(e: rayon::ThreadPoolBuildError) -> Self {
        Error::Failed(format!("worker threads: {e}"))
    }
}

impl<T> From<std::sync::mpsc::SendError<T>> for Error {
    fn from(_: std::sync::mpsc::SendError<T>) -> Self {
        Error::Failed("a pipeline stage stopped".into())
    }
}

impl From<std::num::TryFromIntError> for Error {
    fn from(e: std::num::TryFromIntError) -> Self {
        Error::Failed(format!("number out of range: {e}"))
    }
}

/// Result alias of the indexer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what was being done to an error (as `anyhow::Context` does).
pub trait Context<T> {
    /// Wraps the error with `context`.
    fn context<C: Display>(self, context: C) -> Result<T>;
    /// Wraps the error with the context `f` makes (only on error).
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context.to_string(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: f().to_string(),
            source: Box::new(e.into()),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context<C: Display>(self, context: C) -> Result<T> {
        self.ok_or_else(|| Error::Failed(context.to_string()))
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.ok_or_else(|| Error::Failed(f().to_string()))
    }
}

/// Returns early with an [`Error::Failed`] of the formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::Failed(format!($($arg)*)))
    };
}

/// Returns early with an [`Error::Refused`] of the formatted message.
macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::Refused(format!($($arg)*)))
    };
}

pub(crate) use {bail, refuse};

#[cfg(test)]
mod tests {
    use super::*;

    /// The message and every `source()` after it, joined as `anyhow`'s `{:#}` prints them.
    fn chain(e: &Error) -> String {
        let mut parts = vec![e.to_string()];
        let mut next = std::error::Error::source(e);
        while let Some(s) = next {
            parts.push(s.to_string());
            next = s.source();
        }
        parts.join(": ")
    }

    #[test]
    fn a_printed_chain_holds_each_cause_once() {
        let missing = std::fs::File::open("/nonexistent/verbatim-test").unwrap_err();
        let e = Err::<(), _>(missing)
            .context("cannot create /nonexistent")
            .context("outer step")
            .unwrap_err();
        let text = chain(&e);
        assert_eq!(text.matches("os error 2").count(), 1, "{text}");
        assert!(
            text.starts_with("outer step: cannot create /nonexistent: "),
            "{text}"
        );
        assert!(matches!(e.root(), Error::Io { .. }));

        let core = verbatim_core::Error::Invalid("not an index".into());
        let e = Err::<(), _>(core)
            .context("cannot open part p")
            .unwrap_err();
        assert_eq!(chain(&e), "cannot open part p: not an index");
    }
}
