//! `display`: the screen as a driver domain, serving the display service
//! (`vesper_service::display`, whose module documentation states the
//! rules) to every client the manifest connects to it.
//!
//! The manifest gives the driver the VideoCore's memory (`uses =
//! ["gpu-memory"]`, with `trusted = true`: the firmware's own code and
//! data live there), a connection to the mailbox service (`services =
//! ["mailbox"]`, the mailbox driver's `args` naming this domain as the one
//! that may allocate the framebuffer), and for each client a region and a
//! channel both named `display-CLIENT`, the region holding the client's
//! back buffer. The mode comes from the driver's `args` (`640x480x32 rgb`,
//! the default; `vesper_service::display::Mode::parse`).
//!
//! At start the driver asks the firmware for the framebuffer through the
//! mailbox service, checks that it lies in the memory it maps, and clears
//! it; then it loops: take every client's requests, copy each presented
//! rectangle of the client's back buffer to the screen, reply, and wait
//! for any event.
//!
//! On a physical Pi 3 the firmware scans the framebuffer out over HDMI
//! (config.txt: `cargo xtask sdcard` writes the settings, see
//! docs/physical-pi3.md); the driver cleans the data cache over every row
//! it writes (`dc cvac`), so that what the GPU reads from memory is what
//! was drawn. QEMU draws from memory directly and accepts both.

#![no_std]
#![no_main]

use heapless::Vec;
use vesper_activations::cache::clean;
use vesper_activations::events::Region;
use vesper_activations::services::{notify_clients, serve_clients, MailboxClient, Served};
use vesper_activations::{args, await_any_event, events_seen, println};
use vesper_service::display::{
    check_present, framebuffer_request, DisplayReply, DisplayRequest, Mode, Rect, BAD_OP,
    BUFFER_OFFSET, NO_SCREEN, OK, OP_MODE, OP_PRESENT, RING_SLOTS,
};
use vesper_service::mailbox::{FRAMEBUFFER_REQUEST_LEN, TAG_ALLOCATE_FRAMEBUFFER};

vesper_activations::main!(run);

/// The driver's name in its reports.
const DRIVER: &str = "display";
/// The name prefix of the regions and channels that connect clients.
const PREFIX: &str = "display-";
/// The most clients the driver serves.
const MAX_CLIENTS: usize = 4;

/// One client, as the driver sees it.
type Client = Served<DisplayRequest, DisplayReply, RING_SLOTS, ()>;

/// The framebuffer the firmware allocated.
struct Screen {
    mode: Mode,
    /// Its first byte (mapped at its physical address).
    base: usize,
    /// Bytes from one row to the next.
    pitch: usize,
}

fn run() {
    let mode = match Mode::parse(args()) {
        Ok(mode) => mode,
        Err(error) => {
            println!("display: args {:?}: {error:?}; no screen", args());
            vesper_activations::syscall::exit(1);
        }
    };
    let screen = allocate(mode);
    match &screen {
        Some(s) => println!(
            "display: {}x{}x{} {:?} at {:#x}, pitch {}",
            mode.width, mode.height, mode.depth, mode.order, s.base, s.pitch
        ),
        None => println!("display: no screen; presents are refused"),
    }
    let mut clients: Vec<Client, MAX_CLIENTS> = serve_clients(DRIVER, PREFIX, || ());
    for client in clients.iter_mut() {
        // Its back buffer must lie in the region: the builder makes it so;
        // a region that does not is not served.
        if client.end.region.size < (BUFFER_OFFSET + mode.buffer_len()) as u64 {
            client.drop_for(DRIVER, "its region is too small for a back buffer");
        }
    }
    println!("display: serving {} clients", clients.iter().filter(|c| !c.dropped).count());
    loop {
        let seen = events_seen();
        for client in clients.iter_mut().filter(|c| !c.dropped) {
            serve(&mode, screen.as_ref(), client);
        }
        notify_clients(&mut clients);
        await_any_event(seen);
    }
}

/// Asks the firmware for a framebuffer in `mode` and checks that it lies
/// within the VideoCore memory the manifest maps; clears it.
fn allocate(mode: Mode) -> Option<Screen> {
    let Some(memory) = Region::named("gpu-memory") else {
        println!("display: the manifest gives no gpu-memory");
        return None;
    };
    let Some(mut mailbox) = MailboxClient::own() else {
        println!("display: the manifest gives no mailbox connection");
        return None;
    };
    let reply =
        mailbox.ask(TAG_ALLOCATE_FRAMEBUFFER, FRAMEBUFFER_REQUEST_LEN, framebuffer_request(&mode));
    let [base, size, pitch, order] = match reply {
        Ok(reply) if reply.status == vesper_service::mailbox::OK => reply.value,
        other => {
            println!("display: the framebuffer was refused: {other:?}");
            return None;
        }
    };
    let (base, size, pitch) = (base as u64, size as u64, pitch as usize);
    let inside = base >= memory.base && base.saturating_add(size) <= memory.base + memory.size;
    // The mailbox service checked these; checking again costs nothing and
    // keeps every row of the screen in what this driver maps.
    let rows_fit = pitch >= mode.stride() && (pitch as u64) * u64::from(mode.height) <= size;
    if !inside || !rows_fit || order != mode.order as u32 {
        println!(
            "display: the firmware's framebuffer {base:#x}+{size:#x} (order {order}) is unusable"
        );
        return None;
    }
    let screen = Screen { mode, base: base as usize, pitch };
    for row in 0..mode.height as usize {
        let line = screen.base + row * pitch;
        // SAFETY: the row lies in the framebuffer (pitch * height <= size,
        // checked by the mailbox service), in memory this domain maps.
        unsafe { core::ptr::write_bytes(line as *mut u8, 0, mode.stride()) };
        clean(line, mode.stride());
    }
    Some(screen)
}

/// Answers every request `client` has queued, while its reply ring has
/// room.
fn serve(mode: &Mode, screen: Option<&Screen>, client: &mut Client) {
    let buffer = client.end.region.base as usize + BUFFER_OFFSET;
    client.answer_each(DRIVER, |_, request| {
        let status = match request.op {
            OP_MODE => OK,
            OP_PRESENT => match (screen, check_present(mode, &request)) {
                (None, _) => NO_SCREEN,
                (Some(_), Err(status)) => status,
                (Some(screen), Ok(rect)) => {
                    present(screen, buffer, rect);
                    OK
                }
            },
            _ => BAD_OP,
        };
        mode.reply(request.id, status)
    });
}

/// Copies `rect` of the back buffer at `buffer` (laid out as the mode's
/// stride) to the screen, row by row.
fn present(screen: &Screen, buffer: usize, rect: Rect) {
    let bpp = screen.mode.bytes_per_pixel();
    let (x, width) = (rect.x as usize * bpp, rect.width as usize * bpp);
    for row in rect.y as usize..(rect.y + rect.height) as usize {
        let from = buffer + row * screen.mode.stride() + x;
        let to = screen.base + row * screen.pitch + x;
        // SAFETY: `rect` lies within the screen (`check_present`): the
        // source within the client's back buffer (`run` served only
        // clients whose region holds one), which this domain maps, the
        // destination within the framebuffer (`allocate` checked that
        // pitch * height rows fit it). The client may write its
        // buffer meanwhile: it only spoils its own pixels.
        unsafe { core::ptr::copy_nonoverlapping(from as *const u8, to as *mut u8, width) };
        clean(to, width);
    }
}
