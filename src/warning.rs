//! Problems with the input that do not stop a scan: an unreadable or binary file, a corrupt
//! archive, an over-long line, a bad user rule file. Each names the path (and line where
//! known), is shown on stderr and in every output format, and turns into exit code 2 under
//! `--strict`.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub message: String,
}

impl Warning {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    pub fn at_line(path: impl Into<String>, line: u64, message: impl Into<String>) -> Self {
        Warning {
            path: path.into(),
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}
