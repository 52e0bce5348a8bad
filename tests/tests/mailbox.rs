//! The mailbox service (`drivers/mailbox`): the firmware's properties for
//! many clients, every request checked, under `-icount`.

use std::path::Path;
use vesper_tests::boot_manifest;

#[test]
fn clients_read_the_boards_properties_and_a_hostile_one_is_refused_and_still_served() {
    let run = boot_manifest(Path::new("tests/manifests/mailbox.toml"));
    run.assert_exit(0).assert_lacks("PANIC").assert_lacks("faulted");
    let said = |program: &str, what: &str| {
        let domain = if program == "mailbox-client" { "client" } else { "hostile" };
        run.domain_line(domain, &format!("{program}: {what}"))
    };
    // QEMU's raspi3b: a Pi 3 Model B, 960 MiB for the ARM, the rest the GPU's.
    run.check(said("mailbox-client", "board revision ") == "0xa02082", "board revision");
    run.check(said("mailbox-client", "ARM memory ") == "base 0x0 size 0x3c000000", "ARM memory");
    run.check(
        said("mailbox-client", "VideoCore memory ") == "base 0x3c000000 size 0x4000000",
        "VideoCore memory",
    );
    let clock: u64 =
        said("mailbox-client", "ARM clock ").trim_end_matches(" Hz").parse().unwrap_or(0);
    run.check(clock > 0, "the ARM clock has a rate");
    let temperature = said("mailbox-client", "temperature ");
    run.check(temperature.ends_with(" mC"), &format!("a temperature: {temperature}"));
    // UNKNOWN_TAG 1, BAD_LENGTH 2, BAD_VALUE 3, NOT_PERMITTED 6 (the
    // framebuffer is the display's, and this image names none).
    for (what, status) in [
        ("allocate a framebuffer: ", "status 6"),
        ("allocate a framebuffer properly: ", "status 6"),
        ("set the ARM clock: ", "status 1"),
        ("power a device off: ", "status 1"),
        ("revision with a value: ", "status 2"),
        ("clock without an id: ", "status 2"),
        ("clock 99: ", "status 3"),
        ("a huge length: ", "status 2"),
    ] {
        run.check(said("mailbox-hostile", what) == status, &format!("refused: {what}{status}"));
    }
    run.check(
        said("mailbox-hostile", "my address as a value: ") == "Ok(0), canary intact true",
        "an address in a request's value is never passed on",
    );
    run.check(
        said("mailbox-hostile", "still served: ") == "revision 0xa02082",
        "the hostile client is still served",
    );
    run.check(run.stats("mailbox").state == "running", "the driver keeps serving");
}
