//! `display-pattern`: a client of the display service that draws a test
//! pattern with `embedded_graphics` and presents it: squares of known
//! colours at known places (`vesper_service::display::TEST_PATTERN`),
//! which the QEMU test finds at those pixels of a screendump, whatever the
//! screen's pixel order and depth. It
//! also tries presents the driver must refuse (past the screen's edge,
//! empty, wrapping around) and exits with 1 unless the pattern was
//! presented and each of those refused with `BAD_RECT`.

#![no_std]
#![no_main]

use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use vesper_activations::println;
use vesper_activations::services::{DisplayClient, ServiceError};
use vesper_activations::syscall::exit;
use vesper_service::display::{Rect, BAD_RECT, TEST_PATTERN};

vesper_activations::main!(run);

fn run() {
    let Some(mut display) = DisplayClient::own() else {
        println!("display-pattern: no display connection");
        return;
    };
    let mode = display.mode();
    println!("display-pattern: {}x{}x{} {:?}", mode.width, mode.height, mode.depth, mode.order);
    for (x, y, side, (r, g, b)) in TEST_PATTERN {
        let square = Rectangle::new(Point::new(x, y), Size::new(side, side));
        let _ =
            square.into_styled(PrimitiveStyle::with_fill(Rgb888::new(r, g, b))).draw(&mut display);
    }
    // A diagonal across the screen, clipped at its edges.
    let _ = Rectangle::new(Point::new(-5, mode.height as i32 - 10), Size::new(mode.width + 10, 4))
        .into_styled(PrimitiveStyle::with_fill(Rgb888::new(0xFF, 0xFF, 0x00)))
        .draw(&mut display);
    let presented = display.present_all();
    let off = display.present(Rect { x: mode.width - 10, y: 0, width: 20, height: 5 });
    let empty = display.present(Rect { x: 0, y: 0, width: 0, height: 5 });
    let wrapping = display.present(Rect { x: u32::MAX, y: 0, width: 2, height: 1 });
    println!("display-pattern: presented {presented:?}; off the screen {off:?}, empty {empty:?}, wrapping {wrapping:?}");
    let refused = Err(ServiceError::Refused(BAD_RECT));
    if presented.is_err() || [off, empty, wrapping].iter().any(|got| *got != refused) {
        exit(1);
    }
}
