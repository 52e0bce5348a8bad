//! The boot stub (`boot.s`): from the loader's exception level to EL1, MMU
//! on, running in the upper half. See the comments in `boot.s` for the two
//! ways the board starts the image.

core::arch::global_asm!(include_str!("boot.s"));
