//! The `wirecopy` binary. Everything it does is in [`cli`], over the `wirecopy` library; see
//! ARCHITECTURE.md for why the CLI is a module of the binary rather than of the library.

mod cli;

fn main() {
    cli::main()
}
