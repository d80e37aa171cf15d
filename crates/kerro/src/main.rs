//! The `kerro` command; everything happens in `kerro::cli`.

fn main() -> std::process::ExitCode {
    kerro::cli::main()
}
