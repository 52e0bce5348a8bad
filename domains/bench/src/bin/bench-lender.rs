//! `bench-lender`: the longest kernel path a domain can start, measured.
//! It lends a read-write copy of the region `loan` (as large as a domain
//! can map) over the channel `c1` to the first of a line of
//! `bench-borrower`s, each of which passes a copy on, fills its table with
//! a chain of copies and says when it and everything after it is ready;
//! then the lender revokes its own capability, which deletes every copy in
//! every table, unmaps every page of the loan from every borrower and
//! rewrites their DCB mirrors, all in one system call:
//! `revoke_loan_chain`. First it revokes a
//! capability with nothing derived from it: `revoke_no_descendants`, the
//! scan of every table that any revoke makes.

#![no_std]
#![no_main]

use vesper_abi::cap::{CapKind, Rights, RESERVATION};
use vesper_activations::events::{cap, EventChannel};
use vesper_activations::println;
use vesper_activations::syscall::{cap_mint, cap_revoke};
use vesper_domains_bench::instructions;

vesper_activations::main!(run);

fn run() {
    let (Some(lend), Some(loan)) =
        (EventChannel::named("c1"), cap("loan").filter(|c| c.kind() == CapKind::Region))
    else {
        println!("bench-lender: the manifest gives no channel `c1` or region `loan`");
        return;
    };
    let copy = cap_mint(loan.handle, Rights::READ | Rights::WRITE | Rights::GRANT);
    let Ok(copy) = copy else {
        println!("bench-lender: mint failed: {copy:?}");
        return;
    };
    if let Err(error) = lend.advance_with(copy) {
        println!("bench-lender: lending failed: {error:?}");
        return;
    }
    lend.await_count(1);
    let Some(own) = cap(RESERVATION) else {
        println!("bench-lender: no reservation capability");
        return;
    };
    let (scan, _) = measure(|| cap_revoke(own.handle));
    println!("bench revoke_no_descendants instructions={scan}");
    let (chain, revoked) = measure(|| cap_revoke(loan.handle));
    println!("bench-lender: revoked {revoked:?} capabilities");
    println!("bench revoke_loan_chain instructions={chain}");
}

/// The instructions `call` takes, and what it returned.
fn measure<R>(call: impl FnOnce() -> R) -> (u64, R) {
    let before = instructions();
    let result = call();
    (instructions() - before, result)
}
