//! Writing to stdout without panicking when the reader goes away (`| head`), in colour only
//! where colour is wanted (`anstream`).

use std::io::Write;

/// Prints `text` to stdout; a closed pipe ends the process quietly, as for any Unix filter.
/// Styles in `text` are kept only when colour is wanted (`--color`, a terminal, `NO_COLOR`).
pub fn print(text: &str) {
    let mut stdout = anstream::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to stdout: {e}");
        std::process::exit(1);
    }
}

/// `print` with a newline.
pub fn line(text: impl AsRef<str>) {
    print(&format!("{}\n", text.as_ref()));
}
