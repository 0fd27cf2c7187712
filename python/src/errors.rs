//! Rust errors as Python exceptions.
//!
//! The exception classes live in `verbatim/errors.py` (so they can also derive from Python's
//! `ValueError`, `LookupError` and `OSError`); this module raises them by name with the same
//! message the CLI prints for the same error.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// The Python exception classes of `verbatim.errors`, by name.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Anything else (`verbatim.VerbatimError`).
    Generic,
    /// Bad arguments: empty text, ids outside the vocabulary, unknown methods.
    InvalidInput,
    /// The text cannot be tokenized, or the tokenizer does not match the index.
    Tokenizer,
    /// A file of the index is damaged or belongs to another build.
    Corrupt,
    /// The index was written by another format version.
    Version,
    /// A file could not be read or written (e.g. the path is not an index).
    Io,
    /// A document that is not in the index (or was taken down).
    NotFound,
    /// The BM25 full-text index failed or is absent.
    FullText,
    /// A contamination check could not be set up or run.
    Contamination,
    /// An index build or assembly failed.
    Build,
}

impl Kind {
    fn class_name(self) -> &'static str {
        match self {
            Kind::Generic => "VerbatimError",
            Kind::InvalidInput => "InvalidInputError",
            Kind::Tokenizer => "TokenizerError",
            Kind::Corrupt => "IndexCorruptError",
            Kind::Version => "IndexVersionError",
            Kind::Io => "IndexIOError",
            Kind::NotFound => "NotFoundError",
            Kind::FullText => "FullTextError",
            Kind::Contamination => "ContaminationError",
            Kind::Build => "BuildError",
        }
    }
}

/// A `verbatim.errors` exception of `kind` with `message`.
pub fn error(kind: Kind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let class = py
            .import("verbatim.errors")
            .and_then(|m| m.getattr(kind.class_name()))
            .and_then(|c| Ok(c.cast_into::<PyType>()?));
        match class {
            Ok(c) => PyErr::from_type(c, message),
            // Only when the pure-Python part of the package is missing (a broken install).
            Err(_) => PyRuntimeError::new_err(message),
        }
    })
}

/// The exception kind of a core error.
pub fn kind_of(e: &verbatim_core::Error) -> Kind {
    use verbatim_core::Error as E;
    match e {
        E::Io { .. } | E::NotAnIndex(_) => Kind::Io,
        E::Corrupt { .. }
        | E::BadOptionalFile { .. }
        | E::BadTakedownList { .. }
        | E::InfiniGram { .. } => Kind::Corrupt,
        E::Version { .. } | E::InfiniGramVariant { .. } => Kind::Version,
        E::TokenizerMismatch { .. } | E::Tokenizer(_) => Kind::Tokenizer,
        E::FullText(_) => Kind::FullText,
        E::Invalid(_) => Kind::InvalidInput,
        E::DocumentNotFound(_) => Kind::NotFound,
        _ => Kind::Generic,
    }
}

/// A core error as a Python exception with the core's message.
pub fn core(e: verbatim_core::Error) -> PyErr {
    error(kind_of(&e), e.to_string())
}

/// An invalid-input exception.
pub fn invalid(message: impl Into<String>) -> PyErr {
    error(Kind::InvalidInput, message)
}

/// A contamination-check error as a Python exception: bad methods, items or templates are
/// invalid input, unreadable or unwritable files I/O errors, an index that cannot answer
/// the methods a `ContaminationError`.
pub fn contamination(e: verbatim_contamination::Error) -> PyErr {
    use verbatim_contamination::Error as E;
    let kind = match &e {
        E::Index(c) => kind_of(c),
        E::UnknownMethod(_) | E::Input { .. } | E::Template { .. } | E::TooManyThreads(_) => {
            Kind::InvalidInput
        }
        E::Read { .. } | E::Write(_) => Kind::Io,
        _ => Kind::Contamination,
    };
    error(kind, e.to_string())
}

/// An indexer error as a Python exception: refusals, bad options and bad input are invalid
/// input, I/O errors I/O errors, index errors their core kind, the rest a `BuildError`; the
/// message is the indexer's, context included.
pub fn indexer(e: verbatim_indexer::Error) -> PyErr {
    use verbatim_indexer::Error as E;
    fn kind(e: &E) -> Kind {
        match e {
            E::Io { .. } => Kind::Io,
            E::Index(c) => kind_of(c),
            E::Budget(_) | E::Refused(_) | E::Options(_) | E::Input(_) | E::Parquet(_) => {
                Kind::InvalidInput
            }
            E::Context { source, .. } => kind(source),
            _ => Kind::Build,
        }
    }
    error(kind(&e), e.to_string())
}
