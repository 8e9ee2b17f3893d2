//! The `salesagent` binary: a trampoline into the library's command line.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    salesagent::cli::main()
}
