//! GPIO pin multiplexing, as far as the kernel console needs it: the
//! header's serial pins (GPIO 14/15) to the console UART. The register
//! block and the BCM2835 pull sequence are `vesper_service::registers`',
//! shared with the UART driver domain.

use super::memory_map::{mmio, GPIO_BASE};
use vesper_service::registers::{route_header_uart, GpioRegisters, HeaderUart, Mmio};

/// Puts GPIO 14/15 in the function of `uart`, with no pull-up or pull-down.
pub fn route_to_header(uart: HeaderUart) {
    // SAFETY: GPIO_BASE is the GPIO block in the kernel map; the kernel
    // touches only the console's two pins.
    let gpio: Mmio<GpioRegisters> = unsafe { Mmio::new(mmio(GPIO_BASE)) };
    route_header_uart(&gpio, uart);
}
