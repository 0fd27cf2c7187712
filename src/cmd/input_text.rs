//! The text a query command works on: `--text`, `--file`, or standard input.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::PathBuf;

/// The text of file `path`, or of standard input for `-`.
pub fn read_file_or_stdin(path: &std::path::Path) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Where the query text comes from.
#[derive(Debug, clap::Args)]
pub struct TextInput {
    /// The text.
    #[arg(long, conflicts_with = "file")]
    pub text: Option<String>,
    /// Read the text from a file (`-` for standard input).
    #[arg(long)]
    pub file: Option<PathBuf>,
}

impl TextInput {
    /// Reads the text.
    pub fn read(&self) -> Result<String> {
        if let Some(t) = &self.text {
            return Ok(t.clone());
        }
        match &self.file {
            Some(p) => read_file_or_stdin(p),
            None => bail!("give the text with --text TEXT or --file PATH (- for standard input)"),
        }
    }

    /// Reads the text and refuses an empty one (as the API answers 422): a trace or the
    /// spans of nothing is most likely a mistake, such as an empty file or variable.
    pub fn read_non_empty(&self) -> Result<String> {
        let text = self.read()?;
        if text.is_empty() {
            match &self.file {
                Some(p) if p.as_os_str() == "-" => {
                    bail!("the text is empty: standard input held nothing")
                }
                Some(p) => bail!("the text is empty: {} holds nothing", p.display()),
                None => bail!("the text is empty (--text '')"),
            }
        }
        Ok(text)
    }
}
