//! Structured logs. Every line logged while serving a request carries that request's id
//! (the `request` span opened by the HTTP layer).
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber; logs go to stderr so `chancery schema` output stays clean.
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_new(&config.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = use_colour(std::io::IsTerminal::is_terminal(&std::io::stderr()), std::env::var_os("NO_COLOR"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let result = match config.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    // A second initialisation (tests) keeps the first subscriber.
    let _ = result;
}

/// Colour only for a person at a terminal: never when standard error goes to a file, a pipe or
/// a log collector, and never when `NO_COLOR` is set to anything but the empty string
/// (https://no-color.org).
pub fn use_colour(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::use_colour;

    #[test]
    fn colour_only_at_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("".into())));
        assert!(!use_colour(true, Some("1".into())));
        assert!(!use_colour(false, None));
    }
}
