//! The streams: stdout for results, stderr for the footer, hints and errors. Everything written
//! goes through `display::for_stream` (no value from outside drives the terminal) and through
//! `anstream` (styles kept only where colour is wanted). A closed stdout (`| head`) ends the
//! process quietly, as for any Unix filter.

use std::io::Write;

use crate::output::display;

/// Prints `text` to stdout. Styles in `text` are kept only when colour is wanted (`--color`, a
/// terminal, `NO_COLOR`).
pub fn print(text: &str) {
    let mut stdout = anstream::stdout().lock();
    if let Err(e) = stdout
        .write_all(display::for_stream(text).as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(std::io::stderr(), "error: writing to stdout: {e}");
        std::process::exit(1);
    }
}

/// `print` with a newline.
pub fn line(text: impl AsRef<str>) {
    print(&format!("{}\n", text.as_ref()));
}

/// Writes `text` to stderr (nothing to do if stderr is gone).
pub fn eprint(text: &str) {
    let mut stderr = anstream::stderr().lock();
    let _ = stderr
        .write_all(display::for_stream(text).as_bytes())
        .and_then(|_| stderr.flush());
}

/// `eprint` with a newline.
pub fn eline(text: impl AsRef<str>) {
    eprint(&format!("{}\n", text.as_ref()));
}
