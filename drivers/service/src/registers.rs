//! The register blocks of the devices drivers own, defined once (BCM2835
//! ARM Peripherals manual; offsets checked on QEMU raspi3b, see
//! ../shared/notes/raspi3b-on-qemu.md). A driver reaches them through
//! [`Mmio`] at the address the manifest's `uses` mapped.

use core::marker::PhantomData;
use core::ops::Deref;
use tock_registers::fields::FieldValue;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// PL011 flags.
    pub FR [
        /// Transmit FIFO full.
        TXFF OFFSET(5) NUMBITS(1) [],
        /// Receive FIFO empty.
        RXFE OFFSET(4) NUMBITS(1) [],
        /// Busy transmitting.
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    /// PL011 data: the byte and its receive errors.
    pub DR [
        /// Overrun: a byte arrived with the receive FIFO full and was lost.
        OE OFFSET(11) NUMBITS(1) [],
        /// The byte.
        DATA OFFSET(0) NUMBITS(8) []
    ],
    /// PL011 line control.
    pub LCR_H [
        /// Word length.
        WLEN OFFSET(5) NUMBITS(2) [
            EightBit = 0b11
        ],
        /// FIFOs on.
        FEN OFFSET(4) NUMBITS(1) []
    ],
    /// PL011 control.
    pub CR [
        /// Receive enable.
        RXE OFFSET(9) NUMBITS(1) [],
        /// Transmit enable.
        TXE OFFSET(8) NUMBITS(1) [],
        /// UART enable.
        UARTEN OFFSET(0) NUMBITS(1) []
    ],
    /// PL011 interrupt bits (mask, raw and masked status, clear).
    pub INT [
        /// Overrun error.
        OE OFFSET(10) NUMBITS(1) [],
        /// Receive timeout (bytes wait in the FIFO, none came for a while).
        RT OFFSET(6) NUMBITS(1) [],
        /// Transmit FIFO below its level.
        TX OFFSET(5) NUMBITS(1) [],
        /// Receive FIFO at its level.
        RX OFFSET(4) NUMBITS(1) []
    ],

    /// The system timer's control/status: one match flag per compare;
    /// writing 1 clears it.
    pub CS [
        /// Compare 1 matched.
        M1 OFFSET(1) NUMBITS(1) [],
        /// Compare 3 matched.
        M3 OFFSET(3) NUMBITS(1) []
    ]
}

register_structs! {
    /// The PL011 UART (`uart0`).
    pub Pl011Registers {
        /// Data: write a byte to send it, read one received.
        (0x00 => pub dr: ReadWrite<u32, DR::Register>),
        (0x04 => _rsr),
        /// Flags.
        (0x18 => pub fr: ReadOnly<u32, FR::Register>),
        (0x1c => _reserved0),
        /// Integer baud divisor.
        (0x24 => pub ibrd: ReadWrite<u32>),
        /// Fractional baud divisor (64ths).
        (0x28 => pub fbrd: ReadWrite<u32>),
        /// Line control.
        (0x2c => pub lcr_h: ReadWrite<u32, LCR_H::Register>),
        /// Control.
        (0x30 => pub cr: ReadWrite<u32, CR::Register>),
        (0x34 => _ifls),
        /// Interrupt mask (1: enabled).
        (0x38 => pub imsc: ReadWrite<u32, INT::Register>),
        /// Raw interrupt status.
        (0x3c => pub ris: ReadOnly<u32, INT::Register>),
        /// Masked interrupt status.
        (0x40 => pub mis: ReadOnly<u32, INT::Register>),
        /// Interrupt clear.
        (0x44 => pub icr: WriteOnly<u32, INT::Register>),
        (0x48 => @END),
    }
}

register_structs! {
    /// The BCM2835 system timer: a free-running 1 MHz counter and four
    /// 32-bit compares against its low word (C0 and C2 belong to the GPU).
    pub SysTimerRegisters {
        /// Match flags.
        (0x00 => pub cs: ReadWrite<u32, CS::Register>),
        /// Counter, low 32 bits.
        (0x04 => pub clo: ReadOnly<u32>),
        /// Counter, high 32 bits.
        (0x08 => pub chi: ReadOnly<u32>),
        (0x0c => _c0),
        /// Compare 1: matches when the low word equals it.
        (0x10 => pub c1: ReadWrite<u32>),
        (0x14 => _c2),
        /// Compare 3.
        (0x18 => pub c3: ReadWrite<u32>),
        (0x1c => @END),
    }
}

register_bitfields! {u32,
    /// The AUX block's enables.
    pub AUX_ENABLES [
        /// The mini UART's clock and registers.
        MINI_UART OFFSET(0) NUMBITS(1) []
    ],
    /// Mini UART interrupt identify: writing clears the FIFOs.
    pub MU_IIR [
        /// Writing 0b11 clears both FIFOs.
        FIFO_CLEAR OFFSET(1) NUMBITS(2) [
            Both = 0b11
        ]
    ],
    /// Mini UART line control.
    pub MU_LCR [
        /// Word length.
        DATA_SIZE OFFSET(0) NUMBITS(2) [
            EightBit = 0b11
        ]
    ],
    /// Mini UART line status.
    pub MU_LSR [
        /// The transmit FIFO can take a byte.
        TX_EMPTY OFFSET(5) NUMBITS(1) [],
        /// The transmitter is idle and its FIFO empty.
        TX_IDLE OFFSET(6) NUMBITS(1) []
    ],
    /// Mini UART extra control: transmitter and receiver enables.
    pub MU_CNTL [
        /// Transmitter on.
        TX_ENABLE OFFSET(1) NUMBITS(1) [],
        /// Receiver on.
        RX_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Mini UART baud divisor.
    pub MU_BAUD [
        /// Divisor: baud = core clock / (8 * (RATE + 1)).
        RATE OFFSET(0) NUMBITS(16) []
    ]
}

register_structs! {
    /// The AUX block as far as the mini UART (`uart1`) goes.
    pub MiniUartRegisters {
        (0x00 => _irq),
        /// Which AUX peripherals are on.
        (0x04 => pub enables: ReadWrite<u32, AUX_ENABLES::Register>),
        (0x08 => _reserved0),
        /// Data: write a byte to send it.
        (0x40 => pub io: ReadWrite<u32>),
        /// Interrupt enables.
        (0x44 => pub ier: WriteOnly<u32>),
        /// Interrupt identify; FIFO clear.
        (0x48 => pub iir: WriteOnly<u32, MU_IIR::Register>),
        /// Line control.
        (0x4c => pub lcr: WriteOnly<u32, MU_LCR::Register>),
        /// Modem control.
        (0x50 => pub mcr: WriteOnly<u32>),
        /// Line status.
        (0x54 => pub lsr: ReadOnly<u32, MU_LSR::Register>),
        (0x58 => _msr_scratch),
        /// Extra control.
        (0x60 => pub cntl: WriteOnly<u32, MU_CNTL::Register>),
        (0x64 => _stat),
        /// Baud divisor.
        (0x68 => pub baud: WriteOnly<u32, MU_BAUD::Register>),
        (0x6c => @END),
    }
}

register_bitfields! {u32,
    /// GPIO function select for pins 10-19.
    pub GPFSEL1 [
        /// GPIO 15: RXD of the PL011 (ALT0) or of the mini UART (ALT5).
        FSEL15 OFFSET(15) NUMBITS(3) [
            Input = 0b000,
            Alt0 = 0b100,
            Alt5 = 0b010
        ],
        /// GPIO 14: TXD of the PL011 (ALT0) or of the mini UART (ALT5).
        FSEL14 OFFSET(12) NUMBITS(3) [
            Input = 0b000,
            Alt0 = 0b100,
            Alt5 = 0b010
        ]
    ],
    /// GPIO function select for pins 30-39.
    pub GPFSEL3 [
        /// GPIO 33: the PL011's RXD towards the Bluetooth module (ALT3).
        FSEL33 OFFSET(9) NUMBITS(3) [
            Input = 0b000
        ],
        /// GPIO 32: the PL011's TXD towards the Bluetooth module (ALT3).
        FSEL32 OFFSET(6) NUMBITS(3) [
            Input = 0b000
        ]
    ],
    /// GPIO function select for pins 40-49.
    pub GPFSEL4 [
        /// GPIO 49: the SD card's CMD line on the EMMC (ALT3).
        FSEL49 OFFSET(27) NUMBITS(3) [
            Alt3 = 0b111
        ],
        /// GPIO 48: the SD card's clock on the EMMC (ALT3).
        FSEL48 OFFSET(24) NUMBITS(3) [
            Alt3 = 0b111
        ],
        /// GPIO 47: the SD card detect switch (an input).
        FSEL47 OFFSET(21) NUMBITS(3) [
            Input = 0b000
        ]
    ],
    /// GPIO function select for pins 50-59.
    pub GPFSEL5 [
        /// GPIO 53: DAT3 on the EMMC (ALT3).
        FSEL53 OFFSET(9) NUMBITS(3) [
            Alt3 = 0b111
        ],
        /// GPIO 52: DAT2 (ALT3).
        FSEL52 OFFSET(6) NUMBITS(3) [
            Alt3 = 0b111
        ],
        /// GPIO 51: DAT1 (ALT3).
        FSEL51 OFFSET(3) NUMBITS(3) [
            Alt3 = 0b111
        ],
        /// GPIO 50: DAT0 (ALT3).
        FSEL50 OFFSET(0) NUMBITS(3) [
            Alt3 = 0b111
        ]
    ],
    /// GPIO pull-up/down control, applied to the pins clocked in GPPUDCLK.
    pub GPPUD [
        /// The pull to apply.
        PUD OFFSET(0) NUMBITS(2) [
            Off = 0b00,
            PullDown = 0b01,
            PullUp = 0b10
        ]
    ],
    /// GPIO pull clock for pins 0-31.
    pub GPPUDCLK0 [
        /// GPIO 15.
        PUDCLK15 OFFSET(15) NUMBITS(1) [],
        /// GPIO 14.
        PUDCLK14 OFFSET(14) NUMBITS(1) []
    ]
}

register_structs! {
    /// The GPIO block, as far as the header UART's and the SD card's pins
    /// go.
    pub GpioRegisters {
        (0x00 => _gpfsel0),
        /// Function select, pins 10-19.
        (0x04 => pub gpfsel1: ReadWrite<u32, GPFSEL1::Register>),
        (0x08 => _gpfsel2),
        /// Function select, pins 30-39.
        (0x0c => pub gpfsel3: ReadWrite<u32, GPFSEL3::Register>),
        /// Function select, pins 40-49.
        (0x10 => pub gpfsel4: ReadWrite<u32, GPFSEL4::Register>),
        /// Function select, pins 50-59.
        (0x14 => pub gpfsel5: ReadWrite<u32, GPFSEL5::Register>),
        (0x18 => _gpset_to_gplev0),
        /// Pin levels, pins 32-53 (bit n - 32).
        (0x38 => pub gplev1: ReadOnly<u32>),
        (0x3c => _gpeds_to_reserved),
        /// Pull-up/down control.
        (0x94 => pub gppud: ReadWrite<u32, GPPUD::Register>),
        /// Pull clock, pins 0-31.
        (0x98 => pub gppudclk0: ReadWrite<u32, GPPUDCLK0::Register>),
        /// Pull clock, pins 32-53 (bit n - 32).
        (0x9c => pub gppudclk1: ReadWrite<u32>),
        (0xa0 => @END),
    }
}

/// Which UART the header's serial pins (GPIO 14 and 15, header pins 8 and
/// 10) carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderUart {
    /// The PL011 (ALT0; config.txt's `dtoverlay=disable-bt` takes it back
    /// from the Bluetooth module).
    Pl011,
    /// The mini UART (ALT5).
    MiniUart,
}

/// Puts GPIO 14/15 in the function of `uart`, with no pull-up or
/// pull-down (the BCM2835 sequence: set the pull, wait 150 cycles, clock it
/// into the pins, wait, clear both). For the PL011 it also turns GPIO
/// 32/33 into inputs: the firmware routes the PL011 to the Bluetooth
/// module there (ALT3), and a function on two pins at once is undefined.
/// That is what config.txt's `dtoverlay=disable-bt` would do, so cards
/// need no overlay. QEMU ignores pin functions; a physical Pi 3 needs them.
pub fn route_header_uart(gpio: &GpioRegisters, uart: HeaderUart) {
    if uart == HeaderUart::Pl011 {
        gpio.gpfsel3.modify(GPFSEL3::FSEL32::Input + GPFSEL3::FSEL33::Input);
    }
    gpio.gpfsel1.modify(match uart {
        HeaderUart::Pl011 => GPFSEL1::FSEL14::Alt0 + GPFSEL1::FSEL15::Alt0,
        HeaderUart::MiniUart => GPFSEL1::FSEL14::Alt5 + GPFSEL1::FSEL15::Alt5,
    });
    let pins = GPPUDCLK0::PUDCLK14::SET + GPPUDCLK0::PUDCLK15::SET;
    apply_pull(gpio, GPPUD::PUD::Off, pins.value, 0);
}

/// The SD card's pins as a Pi 3 wires them: GPIO 48-53 (clock, command,
/// data 0-3) to the EMMC (ALT3), the command and data lines pulled up,
/// GPIO 47 (card detect) an input. The firmware leaves them on its own SD
/// host controller; QEMU ignores pin functions.
pub fn route_sd_card(gpio: &GpioRegisters) {
    gpio.gpfsel4.modify(GPFSEL4::FSEL47::Input + GPFSEL4::FSEL48::Alt3 + GPFSEL4::FSEL49::Alt3);
    gpio.gpfsel5.modify(
        GPFSEL5::FSEL50::Alt3
            + GPFSEL5::FSEL51::Alt3
            + GPFSEL5::FSEL52::Alt3
            + GPFSEL5::FSEL53::Alt3,
    );
    // GPIO 49-53: bits 17-21 of the second pull clock.
    apply_pull(gpio, GPPUD::PUD::PullUp, 0, 0b11111 << 17);
}

/// The level of GPIO 47, the SD slot's card-detect switch on a Pi 3.
pub fn sd_card_detect(gpio: &GpioRegisters) -> bool {
    gpio.gplev1.get() & (1 << (47 - 32)) != 0
}

/// The BCM2835 pull sequence: set the pull, wait 150 cycles, clock it into
/// the pins `clock0` (0-31) and `clock1` (32-53), wait, clear both.
fn apply_pull(
    gpio: &GpioRegisters,
    pull: FieldValue<u32, GPPUD::Register>,
    clock0: u32,
    clock1: u32,
) {
    let wait_150_cycles = || (0..150).for_each(|_| core::hint::spin_loop());
    gpio.gppud.write(pull);
    wait_150_cycles();
    gpio.gppudclk0.set(clock0);
    gpio.gppudclk1.set(clock1);
    wait_150_cycles();
    gpio.gppud.write(GPPUD::PUD::Off);
    gpio.gppudclk0.set(0);
    gpio.gppudclk1.set(0);
}

/// The GPIO block's physical address on a Pi 3, for code that runs with
/// the MMU off (the chainloader); the board description's `gpio` base (a
/// test holds the two together).
pub const PHYS_GPIO_BASE: usize = 0x3F20_0000;
/// The PL011's physical address on a Pi 3 (the board's `uart0`), likewise.
pub const PHYS_PL011_BASE: usize = 0x3F20_1000;

/// The EMMC's base clock on a Pi 3: what the board description gives
/// `emmc` (`clock-hz`), which the firmware sets (start.elf since 2018: 200
/// MHz; the mailbox's clock 1 reports it).
pub const EMMC_CLOCK_HZ: u32 = 200_000_000;

/// The PL011's clock on a Pi 3: what the board description gives `uart0`
/// (`clock`), which the SD card's config.txt sets (`init_uart_clock`).
pub const PL011_CLOCK_HZ: u32 = 48_000_000;

/// The core clock the mini UART's baud rate follows on a Pi 3: what the
/// board description gives `uart1` (`clock`), which config.txt pins
/// (`core_freq`).
pub const MINI_UART_CLOCK_HZ: u32 = 250_000_000;

/// The PL011's divisors (IBRD, FBRD: 64ths) for `baud` from a `clock_hz`
/// UART clock: clock / (16 * baud), rounded to the nearest 64th.
pub const fn pl011_divisors(clock_hz: u32, baud: u32) -> (u32, u32) {
    let sixty_fourths = (clock_hz as u64 * 4 + baud as u64 / 2) / baud as u64;
    ((sixty_fourths >> 6) as u32, (sixty_fourths & 0x3f) as u32)
}

/// The mini UART's divisor for `baud` from a `clock_hz` core clock:
/// clock / (8 * baud) - 1, rounded.
pub const fn mini_uart_divisor(clock_hz: u32, baud: u32) -> u32 {
    ((clock_hz as u64 + 4 * baud as u64) / (8 * baud as u64) - 1) as u32
}

/// No PL011 interrupt enabled: the UART is polled (for [`start_pl011`]).
pub const PL011_POLLED: FieldValue<u32, INT::Register> =
    FieldValue::<u32, INT::Register>::new(0, 0, 0);

/// Starts the PL011 at 115200 8N1 with its FIFOs, the interrupts `enabled`
/// (none: polled), from a disabled UART with every interrupt cleared:
/// the kernel's console, the `uart` driver and the chainloader start it so.
pub fn start_pl011(pl011: &Pl011Registers, enabled: FieldValue<u32, INT::Register>) {
    pl011.cr.set(0);
    pl011.icr.set(0x7FF);
    let (ibrd, fbrd) = PL011_DIVISORS_115200;
    pl011.ibrd.set(ibrd);
    pl011.fbrd.set(fbrd);
    pl011.lcr_h.write(LCR_H::WLEN::EightBit + LCR_H::FEN::SET);
    pl011.imsc.write(enabled);
    pl011.cr.write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
}

/// The PL011's divisors for 115200 baud on a Pi 3: 48e6 / (16 * 115200) =
/// 26.04, so IBRD 26 and FBRD round(0.04 * 64) = 3.
pub const PL011_DIVISORS_115200: (u32, u32) = pl011_divisors(PL011_CLOCK_HZ, 115_200);

/// The mini UART's divisor for 115200 baud on a Pi 3: 250e6 / (8 *
/// 115200) - 1 = 270 (115313 baud, 0.1% off).
pub const MINI_UART_DIVISOR_115200: u32 = mini_uart_divisor(MINI_UART_CLOCK_HZ, 115_200);

register_bitfields! {u32,
    /// EMMC block size and count of the next data command.
    pub BLKSIZECNT [
        /// Blocks to move (multi-block commands).
        BLKCNT OFFSET(16) NUMBITS(16) [],
        /// Bytes per block.
        BLKSIZE OFFSET(0) NUMBITS(10) []
    ],
    /// EMMC status (SDHCI's present state).
    pub EMMC_STATUS [
        /// A card is in the slot (SDHCI; a physical Pi 3 reports it on
        /// GPIO 47 instead).
        CARD_INSERTED OFFSET(16) NUMBITS(1) [],
        /// The data lines are busy.
        DAT_INHIBIT OFFSET(1) NUMBITS(1) [],
        /// The command line is busy.
        CMD_INHIBIT OFFSET(0) NUMBITS(1) []
    ],
    /// EMMC host control and power (SDHCI's host control 1 and power
    /// control).
    pub CONTROL0 [
        /// Bus voltage: 0b111 is 3.3 V.
        BUS_VOLTAGE OFFSET(9) NUMBITS(3) [
            V3_3 = 0b111
        ],
        /// Bus power on.
        BUS_POWER OFFSET(8) NUMBITS(1) []
    ],
    /// EMMC clock control, data timeout and resets.
    pub CONTROL1 [
        /// Reset the data lines' circuit.
        SRST_DATA OFFSET(26) NUMBITS(1) [],
        /// Reset the command line's circuit.
        SRST_CMD OFFSET(25) NUMBITS(1) [],
        /// Reset the whole host controller.
        SRST_HC OFFSET(24) NUMBITS(1) [],
        /// Data timeout: TMCLK * 2^(13 + n); 0b1110 is the longest.
        DATA_TOUNIT OFFSET(16) NUMBITS(4) [
            Longest = 0b1110
        ],
        /// The 10-bit clock divisor, with `CLK_FREQ_MS2` (see
        /// `sd::divisor_bits`).
        CLK_FREQ8 OFFSET(8) NUMBITS(8) [],
        /// The divisor's two high bits.
        CLK_FREQ_MS2 OFFSET(6) NUMBITS(2) [],
        /// The SD clock reaches the card.
        CLK_EN OFFSET(2) NUMBITS(1) [],
        /// The internal clock is stable.
        CLK_STABLE OFFSET(1) NUMBITS(1) [],
        /// The internal clock runs.
        CLK_INTLEN OFFSET(0) NUMBITS(1) []
    ],
    /// EMMC interrupt flags (status, mask and enable registers alike);
    /// writing 1 clears a status flag.
    pub EMMC_INT [
        /// The automatic CMD12 failed.
        ACMD_ERR OFFSET(24) NUMBITS(1) [],
        /// Data end bit error.
        DEND_ERR OFFSET(22) NUMBITS(1) [],
        /// Data CRC error.
        DCRC_ERR OFFSET(21) NUMBITS(1) [],
        /// Data timeout.
        DTO_ERR OFFSET(20) NUMBITS(1) [],
        /// Command index error.
        CBAD_ERR OFFSET(19) NUMBITS(1) [],
        /// Command end bit error.
        CEND_ERR OFFSET(18) NUMBITS(1) [],
        /// Command CRC error.
        CCRC_ERR OFFSET(17) NUMBITS(1) [],
        /// Command timeout: no card answered.
        CTO_ERR OFFSET(16) NUMBITS(1) [],
        /// Some error flag (bits 16 and up) is set.
        ERR OFFSET(15) NUMBITS(1) [],
        /// The data buffer holds a block to read.
        READ_RDY OFFSET(5) NUMBITS(1) [],
        /// The data buffer has room for a block to write.
        WRITE_RDY OFFSET(4) NUMBITS(1) [],
        /// The data transfer ended.
        DATA_DONE OFFSET(1) NUMBITS(1) [],
        /// The command ended (its response is in).
        CMD_DONE OFFSET(0) NUMBITS(1) []
    ]
}

register_structs! {
    /// The EMMC controller (an Arasan SDHCI, `emmc`), in the BCM2835
    /// manual's names for the SDHCI registers.
    pub EmmcRegisters {
        (0x00 => _arg2),
        /// Block size and count.
        (0x04 => pub blksizecnt: ReadWrite<u32, BLKSIZECNT::Register>),
        /// The command's argument.
        (0x08 => pub arg1: ReadWrite<u32>),
        /// Command and transfer mode: writing it issues the command (see
        /// `sd::Command::cmdtm`).
        (0x0c => pub cmdtm: ReadWrite<u32>),
        /// The response, bits 0-127 (136-bit responses without their CRC).
        (0x10 => pub resp: [ReadOnly<u32>; 4]),
        /// The data port: one 32-bit word of the block at a time.
        (0x20 => pub data: ReadWrite<u32>),
        /// Status.
        (0x24 => pub status: ReadOnly<u32, EMMC_STATUS::Register>),
        /// Host control and power.
        (0x28 => pub control0: ReadWrite<u32, CONTROL0::Register>),
        /// Clocks, timeout, resets.
        (0x2c => pub control1: ReadWrite<u32, CONTROL1::Register>),
        /// Interrupt flags.
        (0x30 => pub interrupt: ReadWrite<u32, EMMC_INT::Register>),
        /// Which flags show in `interrupt`.
        (0x34 => pub irpt_mask: ReadWrite<u32, EMMC_INT::Register>),
        /// Which flags raise the interrupt line.
        (0x38 => pub irpt_en: ReadWrite<u32, EMMC_INT::Register>),
        (0x3c => _control2_to_slotisr),
        (0x100 => @END),
    }
}

register_bitfields! {u32,
    /// Mailbox 0's status.
    pub MAILBOX_STATUS [
        /// No room to write.
        FULL OFFSET(31) NUMBITS(1) [],
        /// Nothing to read.
        EMPTY OFFSET(30) NUMBITS(1) []
    ]
}

register_structs! {
    /// Mailbox 0 of the VideoCore (`mailbox`): the ARM reads the
    /// firmware's answers here and writes to it through mailbox 1's write
    /// register, which this block calls `write`.
    pub MailboxRegisters {
        /// The next word from the firmware (reading takes it).
        (0x00 => pub read: ReadOnly<u32>),
        (0x04 => _peek_sender),
        /// Whether there is anything to read, or room to write.
        (0x18 => pub status: ReadOnly<u32, MAILBOX_STATUS::Register>),
        (0x1c => _config),
        /// A word for the firmware: a message's bus address and channel.
        (0x20 => pub write: WriteOnly<u32>),
        (0x24 => @END),
    }
}

/// Where mailbox 0's registers lie in the `mailbox` device's page.
pub const MAILBOX_OFFSET: usize = 0x880;

/// The bus address alias through which the VideoCore reaches ARM memory
/// without its L2 cache (the ARM's own caches still need cleaning and
/// invalidating around each message).
pub const BUS_UNCACHED_ALIAS: u32 = 0xC000_0000;

/// A register block of type `T` at a fixed address.
pub struct Mmio<T> {
    base: usize,
    phantom: PhantomData<fn() -> T>,
}

impl<T> Mmio<T> {
    /// The block at `base`.
    ///
    /// # Safety
    /// `base` must be the device's registers, mapped as device memory in
    /// this domain for as long as the value lives, and no other code may
    /// assume it alone drives them.
    pub const unsafe fn new(base: usize) -> Self {
        Self { base, phantom: PhantomData }
    }
}

impl<T> Deref for Mmio<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `new`'s caller promised a mapped block of type `T`.
        unsafe { &*(self.base as *const T) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_divisors_for_115200_baud_are_the_datasheet_ones() {
        assert_eq!(PL011_DIVISORS_115200, (26, 3));
        assert_eq!(MINI_UART_DIVISOR_115200, 270);
        assert_eq!(pl011_divisors(3_000_000, 115_200), (1, 40), "QEMU's default clock");
    }
}
