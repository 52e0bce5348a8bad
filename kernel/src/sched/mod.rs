//! Scheduling of the CPU between domains.
//!
//! The nucleus shares the processor between domains by *reservation*, as in
//! Nemesis: each domain is promised a slice of CPU time in every period, and
//! [`atropos`] (pure logic, no hardware) decides who runs next and when the
//! next scheduling event falls.

pub mod atropos;
