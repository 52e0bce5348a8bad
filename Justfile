# Vesper: a thin layer over `cargo xtask` (run `just --list`).

# Build and boot the demo in QEMU.
run *ARGS:
    cargo xtask run {{ARGS}}

# Run every test: host unit tests and QEMU boot tests.
test *ARGS:
    cargo xtask test {{ARGS}}

# Build an image from a manifest (default images/demo.toml) under target/images/.
build *ARGS:
    cargo xtask build {{ARGS}}

# Boot halted under QEMU's gdb stub and attach gdb-multiarch.
gdb *ARGS:
    cargo xtask gdb {{ARGS}}

# Clippy on the host crates and on the kernel for the board.
clippy:
    cargo xtask clippy

# Format everything.
fmt:
    cargo fmt --all
