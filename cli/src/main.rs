//! The installed binary: `cloudtrail-revert run|resume|undo|audit`.

fn main() -> std::process::ExitCode {
    cloudtrail_revert::main(cloudtrail_revert::Program::installed(), std::env::args_os())
}
