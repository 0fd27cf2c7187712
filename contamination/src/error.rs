//! The errors of contamination checks, typed so that callers (the CLI, the server) can tell a
//! setup the index cannot answer from unreadable input or a failed write.

use std::path::PathBuf;

/// A contamination-check error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No method was chosen.
    #[error("no contamination method chosen")]
    NoMethod,
    /// An unknown method name.
    #[error("{0}")]
    UnknownMethod(String),
    /// A side index given for a normalisation it was not built with.
    #[error("{dir} is not a `{want}` side index (its manifest records normalisation {found})")]
    NotASideIndex {
        /// The side index directory.
        dir: PathBuf,
        /// The normalisation asked for.
        want: &'static str,
        /// What its manifest records.
        found: String,
    },
    /// A side index of another corpus.
    #[error(
        "the `{want}` side index {dir} holds {side_documents} documents but the index {index} \
         holds {index_documents}: they were not built from the same corpus"
    )]
    SideIndexMismatch {
        /// The normalisation.
        want: &'static str,
        /// The side index directory.
        dir: PathBuf,
        /// Its documents.
        side_documents: u64,
        /// The main index directory.
        index: PathBuf,
        /// Its documents.
        index_documents: u64,
    },
    /// A side index built from other input files than the index (other bytes, or the same
    /// files in another order): its documents are not the index's, whatever their ids.
    #[error(
        "the `{want}` side index {dir} was not built from the input files of the index \
         {index}: {detail} (pass the side index of a build of the same files, in the same \
         order, or rebuild with `--side-indexes`)"
    )]
    SideIndexOtherInputs {
        /// The normalisation.
        want: &'static str,
        /// The side index directory.
        dir: PathBuf,
        /// The main index directory.
        index: PathBuf,
        /// The first difference.
        detail: String,
    },
    /// A side index of another corpus with as many documents: a document's id differs.
    #[error(
        "the `{want}` side index {dir} names document #{doc_no} `{side_id}` where the index \
         {index} names it `{index_id}`: they were not built from the same corpus (pass the \
         side index of this index's corpus, or rebuild with `--side-indexes`)"
    )]
    SideIndexOtherDocuments {
        /// The normalisation.
        want: &'static str,
        /// The side index directory.
        dir: PathBuf,
        /// The global number of the first document found to differ.
        doc_no: u64,
        /// Its id in the side index.
        side_id: String,
        /// The main index directory.
        index: PathBuf,
        /// Its id in the main index.
        index_id: String,
    },
    /// Methods that need side indexes the index lacks.
    #[error(
        "index {index} cannot answer every method asked: {}. Rebuild it with \
         `verbatim index ... --side-indexes words,alnum` (or pass side indexes of the same \
         corpus with --side-index DIR), or choose other methods with --method (llama2 needs \
         no side index)", missing.join("; ")
    )]
    MissingSideIndexes {
        /// The index directory.
        index: PathBuf,
        /// One line per method that cannot be answered.
        missing: Vec<String>,
    },
    /// An input file that cannot be opened or read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why (part of the message, not a separate `source`, so that error chains print it
        /// once).
        error: std::io::Error,
    },
    /// An input file whose content is not items (bad JSON or CSV, unknown format, no text).
    #[error("{path}: {detail}")]
    Input {
        /// The file (and line, where known).
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// A malformed `--template`.
    #[error("template {template:?}: {detail}")]
    Template {
        /// The template.
        template: String,
        /// What is wrong.
        detail: String,
    },
    /// Writing a report failed.
    #[error("cannot write the report: {0}")]
    Write(String),
    /// More worker threads asked for than [`crate::report::MAX_THREADS`].
    #[error("{0} threads is more than {max}; give at most one per core", max = crate::report::MAX_THREADS)]
    TooManyThreads(usize),
    /// The worker threads could not be started.
    #[error("cannot start the worker threads: {0}")]
    Threads(String),
    /// An error of the index.
    #[error(transparent)]
    Index(#[from] verbatim_core::Error),
}

/// A contamination result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the error is about the request (what was asked, or the input given), not about
    /// the machine: a server answers these 4xx.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            Error::Write(_) | Error::Threads(_) | Error::Index(_) | Error::Read { .. }
        )
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Write(e.to_string())
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        Error::Write(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Write(e.to_string())
    }
}
