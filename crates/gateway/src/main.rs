use std::process::ExitCode;

// Every request allocates many small, short-lived buffers on whichever worker
// thread serves it; mimalloc's thread-local free lists make that cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    gateway::cli::main()
}
