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
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}{source}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Io {
        /// The file, when known.
        path: Option<PathBuf>,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An index could not be opened or written (damaged, mismatched, unreadable).
    #[error(transparent)]
    Index(#[from] verbatim_core::Error),
    /// The memory budget cannot work.
    #[error(transparent)]
    Budget(#[from] crate::memory::BudgetTooSmall),
    /// A Parquet input could not be read.
    #[error(transparent)]
    Parquet(#[from] verbatim_parquet::Error),
    /// The request is refused as asked (e.g. an append that would repeat ids, another
    /// tokenizer, a locked index, parts that do not fit together); nothing was changed.
    #[error("{0}")]
    Refused(String),
    /// Bad options.
    #[error("{0}")]
    Options(String),
    /// Bad input, as an error (with `--strict`, or input with no document at all).
    #[error("{0}")]
    Input(String),
    /// Anything else that stopped the build.
    #[error("{0}")]
    Failed(String),
    /// An error with what was being done when it happened.
    #[error("{context}: {source}")]
    Context {
        /// What was being done.
        context: String,
        /// The cause.
        source: Box<Error>,
    },
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
    fn from(source: std::io::Error) -> Self {
        Error::Io { path: None, source }
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
