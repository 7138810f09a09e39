//! The crate's one error type (the model is ureq's `Error`): every fallible function returns it,
//! and every variant prints as a sentence that names what is wrong and where. It sits below every
//! other module (it imports none), so any layer can return it. What a provider said about one
//! record is not an error of the program but a result (`providers::Outcome`).

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The command line cannot be used.
    Usage(String),
    /// A configuration file, section or option cannot be used; the text names file:line.
    Config(String),
    /// A ubus call's arguments do not fit the method's policy.
    Argument(String),
    /// The system refused what the daemon needs (a socket, a file); the text says which.
    Io(String),
    /// An echo service's answer that does not say what it must.
    Answer(String),
    /// A file the daemon wrote itself (its state) that does not read back.
    Corrupt(String),
}

impl Error {
    pub fn io(what: &str, error: impl fmt::Display) -> Error {
        Error::Io(format!("{what}: {error}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m)
            | Error::Config(m)
            | Error::Argument(m)
            | Error::Io(m)
            | Error::Answer(m)
            | Error::Corrupt(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
