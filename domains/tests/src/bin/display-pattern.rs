//! `display-pattern`: a client of the display service that draws a test
//! pattern with `embedded_graphics` and presents it: squares of known
//! colours at known places ([`PATTERN`]), which the QEMU test finds at
//! those pixels of a screendump, whatever the screen's pixel order. It
//! also tries presents the driver must refuse (off the screen, empty, an
//! unknown operation is not reachable through the client) and says what
//! each got.

#![no_std]
#![no_main]

use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use vesper_activations::println;
use vesper_activations::services::DisplayClient;
use vesper_service::display::Rect;

vesper_activations::main!(run);

/// Each square's top-left corner, side and colour (the test checks them).
pub const PATTERN: [(i32, i32, u32, (u8, u8, u8)); 5] = [
    (10, 10, 20, (0xFF, 0x00, 0x00)),
    (40, 10, 20, (0x00, 0xFF, 0x00)),
    (70, 10, 20, (0x00, 0x00, 0xFF)),
    (100, 10, 20, (0x12, 0x34, 0x56)),
    (130, 10, 20, (0xFF, 0xFF, 0xFF)),
];

fn run() {
    let Some(mut display) = DisplayClient::own() else {
        println!("display-pattern: no display connection");
        return;
    };
    let mode = display.mode();
    println!("display-pattern: {}x{}x{} {:?}", mode.width, mode.height, mode.depth, mode.order);
    for (x, y, side, (r, g, b)) in PATTERN {
        let square = Rectangle::new(Point::new(x, y), Size::new(side, side));
        let _ = square.into_styled(PrimitiveStyle::with_fill(Rgb888::new(r, g, b))).draw(&mut display);
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
}
