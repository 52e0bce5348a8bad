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

# Clippy on the host crates, and on the kernel and domains for the board.
clippy:
    cargo xtask clippy

# Format everything.
fmt:
    cargo fmt --all

# Validate a manifest without building.
check *ARGS:
    cargo xtask check {{ARGS}}

# Build a physical-board image into a folder: just image MANIFEST --out DIR
image *ARGS:
    cargo xtask image {{ARGS}}

# Write an SD card image: just sdcard MANIFEST --out sd.img
sdcard *ARGS:
    cargo xtask sdcard {{ARGS}}

# Simulate a manifest's task sets under user-level schedulers.
sim *ARGS:
    cargo xtask sim {{ARGS}}

# Count instructions on kernel paths.
bench:
    cargo xtask bench
