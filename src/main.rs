//! The `salesagent` binary: a trampoline into the library's command line.

fn main() -> std::process::ExitCode {
    salesagent::cli::main()
}
