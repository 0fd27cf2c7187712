//! `verbatim takedown`: remove documents from results without rebuilding the index.

use anyhow::{bail, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use verbatim_core::takedown::Takedown;

/// Arguments of `verbatim takedown`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Take documents down (by external id). Every id must name a document, or nothing is
    /// written.
    Add {
        /// The index directory.
        #[arg(long)]
        index: PathBuf,
        #[command(flatten)]
        ids: Ids,
    },
    /// Restore taken-down documents.
    Remove {
        /// The index directory.
        #[arg(long)]
        index: PathBuf,
        #[command(flatten)]
        ids: Ids,
    },
    /// List taken-down documents, one id a line: an id holding a line break, or starting
    /// with `"`, is written as a JSON string (`"a\nb"`), as `--from-file` reads it.
    List {
        /// The index directory.
        #[arg(long)]
        index: PathBuf,
    },
}

/// The ids a change names: on the command line, and/or one per line of a file.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = true)]
struct Ids {
    /// External document ids.
    ids: Vec<String>,
    /// Read ids from this file too, one per line (`-` for standard input; blank lines are
    /// skipped, nothing else is trimmed; a line that is a JSON string is that string, as
    /// `takedown list` writes an id holding a line break): for lists too long for a command
    /// line, such as `verbatim takedown list` of another build of the corpus.
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
}

impl Ids {
    /// Every id named, command-line ones first.
    fn read(&self) -> Result<Vec<String>> {
        let mut ids = self.ids.clone();
        if let Some(path) = &self.from_file {
            let text = super::input_text::read_file_or_stdin(path)?;
            // `lines` takes a line end of `\n` or `\r\n`; nothing else is trimmed.
            ids.extend(text.lines().filter(|l| !l.is_empty()).map(id_of_line));
            if ids.is_empty() {
                bail!("{} holds no ids", path.display());
            }
        }
        Ok(ids)
    }
}

/// Runs `verbatim takedown`.
pub fn run(a: Args) -> Result<ExitCode> {
    match a.action {
        Action::Add { index, ids } => change(&index, &ids.read()?, true),
        Action::Remove { index, ids } => change(&index, &ids.read()?, false),
        Action::List { index: dir } => {
            let index = open(&dir)?;
            let list = Takedown::load(index.takedown_dir(), index.takedown_id())?;
            for no in list.iter() {
                let id = index
                    .locate(no)
                    .and_then(|l| index.doc_record(l).ok())
                    .map_or_else(|| format!("#{no}"), |r| r.id);
                outln!("{}", line_of_id(&id));
            }
            eprintln!("{} document(s) taken down", list.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// An id as one line of `takedown list`: as it is, or as a JSON string when it holds a line
/// break (which would split it, and `--from-file` would take down the pieces) or starts with
/// a quote (which would read as such a string).
fn line_of_id(id: &str) -> String {
    if id.contains(['\n', '\r']) || id.starts_with('"') {
        serde_json::Value::from(id).to_string()
    } else {
        id.to_string()
    }
}

/// The id a line of a `--from-file` list names: a JSON string's text ([`line_of_id`]), else
/// the line as it is (an id such as `"abc` of a list written before ids were escaped).
fn id_of_line(line: &str) -> String {
    if line.starts_with('"') {
        if let Ok(id) = serde_json::from_str::<String>(line) {
            return id;
        }
    }
    line.to_string()
}

/// Opens the index whose takedown list is read or written: the list lives in
/// [`verbatim_core::Index::takedown_dir`], which for an infini-gram index is its side
/// directory (the infini-gram directory itself is never written) and for a side index
/// (`INDEX/side/words`) its parent index's. A bare infini-gram index has none.
fn open(dir: &std::path::Path) -> Result<verbatim_core::Index> {
    let index = super::open_index(dir, false)?;
    if index.infini_gram().is_some_and(|g| g.side.is_none()) {
        bail!(
            "{} is an infini-gram index without a side directory, which is where a takedown \
             list is kept: run `verbatim attach --infini-gram {} --tokenizer TOKENIZER` first",
            dir.display(),
            dir.display()
        );
    }
    Ok(index)
}

/// Takes documents down (`add`) or restores them, holding the commit lock of the directory
/// that holds the list (see [`verbatim_indexer::takedowns::lock_for_change`]), taken before the
/// index that is changed is opened.
fn change(dir: &std::path::Path, ids: &[String], add: bool) -> Result<ExitCode> {
    // The list lives in the index directory, in an infini-gram index's side directory, or in
    // a side index's parent: the lock is taken on that directory before the index is opened,
    // so that what is changed is the index now at that path.
    let list_dir = verbatim_core::Index::takedown_dir_for(dir);
    let _lock = verbatim_indexer::takedowns::lock_for_change(&list_dir)?;
    let index = open(dir)?;
    if index.takedown_dir() != list_dir {
        bail!(
            "{} changed while its takedown list was being locked (its list is now kept in \
             {}): run the command again",
            dir.display(),
            index.takedown_dir().display()
        );
    }
    // A damaged id map would take down (or restore) another document than the one named.
    index.verify_id_map()?;
    let mut list = Takedown::load(&list_dir, index.takedown_id())?;
    let mut changed = 0;
    for id in ids {
        // Every id a document is shown under, `#N` of an infini-gram index included.
        let Some(no) = index.doc_by_id_ignoring_takedowns(id) else {
            bail!("no document with id {id:?} in {}", dir.display());
        };
        if !id.starts_with('#') {
            let shown = index
                .locate(no)
                .map(|loc| index.doc_record(loc))
                .transpose()?
                .map(|r| r.id);
            if shown.as_deref() != Some(id.as_str()) {
                bail!(
                    "the id map of {} names document #{no} for {id:?}, but that document is \
                     {shown:?}: the index is damaged; run `verbatim verify {}`",
                    dir.display(),
                    dir.display()
                );
            }
        }
        if if add {
            list.insert(no)
        } else {
            list.remove(no)
        } {
            changed += 1;
        }
    }
    list.save(&list_dir, index.takedown_id())?;
    outln!(
        "{changed} document(s) {}; {} taken down in all",
        if add { "taken down" } else { "restored" },
        list.len()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_survives_a_list_read_back() {
        for id in [
            "x",
            "x\ny",
            "x\r",
            "\"quoted\"",
            "\"",
            "a \"b\"",
            "é\u{2028}",
            "#5",
        ] {
            let line = line_of_id(id);
            assert_eq!(line.lines().count(), 1, "{id:?} -> {line:?}");
            assert_eq!(id_of_line(line.lines().next().unwrap()), id, "{line:?}");
        }
        // Lines of lists written before ids were escaped read as before.
        assert_eq!(id_of_line("\"abc"), "\"abc");
        assert_eq!(line_of_id("x\ny"), "\"x\\ny\"");
    }
}
