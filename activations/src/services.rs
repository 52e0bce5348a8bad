//! Services of driver domains (see `vesper_service` and docs/drivers.md):
//! both ends of a connection, the client's and the driver's view of one
//! shared region and one event channel, and the clients of each service.

use crate::events::{EventChannel, Region};
use crate::runtime::now_ns;
use embedded_graphics_core::draw_target::DrawTarget;
use embedded_graphics_core::geometry::{OriginDimensions, Size};
use embedded_graphics_core::pixelcolor::{Rgb888, RgbColor};
use embedded_graphics_core::Pixel;
use vesper_abi::cap::CapKind;
use vesper_abi::dcb::peer_stopped;
use vesper_service::block::{
    self, BlockReply, BlockRequest, BLOCK_SIZE, DATA_OFFSET, MAX_BLOCKS, OK, OP_INFO, OP_READ,
    OP_WRITE,
};
use vesper_service::console::{self, Chunk, INPUT, OUTPUT, OUTPUT_MARKED};
use vesper_service::display::{self, DisplayReply, DisplayRequest, Mode, Rect};
use vesper_service::mailbox::{self, MailboxReply, MailboxRequest};
use vesper_service::ring::{Consumer, Corrupt, Message, Producer, ServiceArea};
use vesper_service::timer::{
    TimerReply, TimerRequest, FIRED, OP_CANCEL, OP_ONCE, OP_PERIODIC, RING_SLOTS,
};

/// The shared area and the channel of the connection called `name`: a
/// region and a channel of that name (the manifest's `SERVICE-CLIENT`);
/// `None` if the domain holds no such pair or the region is too small.
fn connection<Req: Message, Rep: Message, const N: usize>(
    name: &str,
) -> Option<(&'static ServiceArea<Req, Rep, N>, EventChannel, Region)> {
    let (region, channel) = (Region::named(name)?, EventChannel::named(name)?);
    // SAFETY: the manifest maps the region read-write here and shares it
    // between the client and its driver alone; nothing else of this domain
    // lies in it.
    let area = unsafe { ServiceArea::at(region.base, region.size)? };
    Some((area, channel, region))
}

/// A client's end: it produces requests and consumes replies.
///
/// It notices when the driver stops or is restarted (the kernel's `peers`
/// in the DCB, with an event on the channel so that a waiting client
/// wakes): while the driver is stopped every call fails with
/// [`ServiceError::PeerStopped`]; the first call after a restart fails
/// with [`ServiceError::PeerRestarted`] (a request queued before may have
/// been lost with the driver's old life, and a reply waited for will not
/// come), and the connection goes on with the driver's new life, which
/// carries on from the counters in the shared rings.
pub struct Connection<Req: 'static, Rep: 'static, const N: usize> {
    requests: Producer<'static, Req, N>,
    replies: Consumer<'static, Rep, N>,
    channel: EventChannel,
    region: Region,
    /// The driver's state (`peers`) as this connection last knew it.
    peer: u64,
}

impl<Req: Message, Rep: Message, const N: usize> Connection<Req, Rep, N> {
    /// The client's end of the connection called `name` (see
    /// `connection`).
    pub fn open(name: &str) -> Option<Self> {
        let (area, channel, region) = connection::<Req, Rep, N>(name)?;
        Some(Self {
            requests: Producer::new(&area.requests),
            replies: Consumer::new(&area.replies),
            peer: channel.peer(),
            channel,
            region,
        })
    }

    /// Whether the driver is still the one this connection knew: an error
    /// if it has stopped, or (once) if it was restarted since.
    fn check_peer(&mut self) -> Result<(), ServiceError> {
        let now = self.channel.peer();
        if peer_stopped(now) {
            return Err(ServiceError::PeerStopped);
        }
        if now != self.peer {
            self.peer = now;
            return Err(ServiceError::PeerRestarted);
        }
        Ok(())
    }

    /// Queues `request` and tells the driver; while the ring is full,
    /// waits (blocked) for the driver to take some.
    pub fn send(&mut self, request: Req) -> Result<(), ServiceError> {
        loop {
            let seen = self.channel.count();
            self.check_peer()?;
            if self.requests.push(request)? {
                // A driver that is gone only means no reply will come.
                let _ = self.channel.advance();
                return Ok(());
            }
            self.channel.await_count(seen.wrapping_add(1));
        }
    }

    /// The next reply, waiting (blocked) until there is one. Taking one
    /// from a full ring tells the driver, which waits for room to reply.
    pub fn receive(&mut self) -> Result<Rep, ServiceError> {
        loop {
            // Read before looking, so that a reply queued in between
            // still ends the wait.
            let seen = self.channel.count();
            self.check_peer()?;
            let was_full = self.replies.waiting()? == N;
            if let Some(reply) = self.replies.pop()? {
                if was_full {
                    let _ = self.channel.advance();
                }
                return Ok(reply);
            }
            self.channel.await_count(seen.wrapping_add(1));
        }
    }
}

/// A driver's end of one client's connection: it consumes requests and
/// produces replies, and never waits on the client.
pub struct ClientEnd<Req: 'static, Rep: 'static, const N: usize> {
    /// The client's requests.
    pub requests: Consumer<'static, Req, N>,
    /// The driver's replies.
    pub replies: Producer<'static, Rep, N>,
    /// The channel to the client.
    pub channel: EventChannel,
    /// The shared region: the rings, and whatever else the service keeps
    /// there (the block service's data).
    pub region: Region,
}

impl<Req: Message, Rep: Message, const N: usize> ClientEnd<Req, Rep, N> {
    /// The driver's end of the connection called `name` (see
    /// `connection`).
    pub fn open(name: &str) -> Option<Self> {
        let (area, channel, region) = connection::<Req, Rep, N>(name)?;
        Some(Self {
            requests: Consumer::new(&area.requests),
            replies: Producer::new(&area.replies),
            channel,
            region,
        })
    }
}

/// Every connection a driver serves: for each region of this domain called
/// `PREFIX` + a client's name (the manifest's `SERVICE-CLIENT`), that
/// client's name and the driver's end, or `None` if there is no channel of
/// that name or the region is too small (for the driver to report).
pub fn client_ends<Req: Message + 'static, Rep: Message + 'static, const N: usize>(
    prefix: &str,
) -> impl Iterator<Item = (heapless::String<16>, Option<ClientEnd<Req, Rep, N>>)> + '_ {
    crate::events::caps().filter(|cap| cap.kind() == CapKind::Region).filter_map(move |cap| {
        let client = cap.name().strip_prefix(prefix)?;
        let mut name = heapless::String::new();
        // A client's name is shorter than the capability's.
        let _ = name.push_str(client);
        Some((name, ClientEnd::open(cap.name())))
    })
}

/// One client as a driver keeps it: its name, its end of the connection,
/// whether the driver still serves it and whether it has news to be told
/// of, and `state`, the driver's own per-client state.
pub struct Served<Req: 'static, Rep: 'static, const N: usize, S> {
    /// The client's name (its connection's, less the service's prefix).
    pub name: heapless::String<16>,
    /// The driver's end of the connection.
    pub end: ClientEnd<Req, Rep, N>,
    /// Dropped for breaking the protocol: never served again.
    pub dropped: bool,
    /// Something was queued for it or taken from it since it was last told.
    pub notify: bool,
    /// What the driver keeps of it besides.
    pub state: S,
}

impl<Req: Message, Rep: Message, const N: usize, S> Served<Req, Rep, N, S> {
    /// Stops serving it for good, and says so, as `driver`.
    pub fn drop_for(&mut self, driver: &str, why: &str) {
        self.dropped = true;
        crate::println!("{driver}: {}: {why}; dropped, the others are still served", self.name);
    }

    /// Answers every request it has queued, one at a time, while its reply
    /// ring has room: `answer` turns each request (with the client's
    /// state) into its reply. A corrupt ring drops it, as `driver`.
    pub fn answer_each(&mut self, driver: &str, mut answer: impl FnMut(&mut S, Req) -> Rep) {
        loop {
            match self.end.replies.free() {
                Ok(0) => return,
                Ok(_) => {}
                Err(Corrupt) => return self.drop_for(driver, "its reply ring is corrupt"),
            }
            let request = match self.end.requests.pop() {
                Ok(Some(request)) => request,
                Ok(None) => return,
                Err(Corrupt) => return self.drop_for(driver, "its request ring is corrupt"),
            };
            let reply = answer(&mut self.state, request);
            self.notify = true;
            if self.end.replies.push(reply).is_err() {
                return self.drop_for(driver, "its reply ring is corrupt");
            }
        }
    }
}

/// Every client the manifest connects to `driver` by connections named
/// `prefix` + the client's name (see [`client_ends`]), each with
/// `state()`; at most `MAX`. A connection without its channel, a region too
/// small, and clients past `MAX` are reported and not served.
pub fn serve_clients<Req, Rep, const N: usize, S, const MAX: usize>(
    driver: &str,
    prefix: &str,
    mut state: impl FnMut() -> S,
) -> heapless::Vec<Served<Req, Rep, N, S>, MAX>
where
    Req: Message + 'static,
    Rep: Message + 'static,
{
    let mut clients = heapless::Vec::new();
    for (name, end) in client_ends(prefix) {
        let Some(end) = end else {
            crate::println!(
                "{driver}: {prefix}{name}: no channel of that name, or the region is too small"
            );
            continue;
        };
        let client = Served { name, end, dropped: false, notify: false, state: state() };
        if let Err(client) = clients.push(client) {
            crate::println!(
                "{driver}: {prefix}{}: more than {MAX} clients; not served",
                client.name
            );
        }
    }
    clients
}

/// Sends one event to each client still served that has news.
pub fn notify_clients<Req: Message, Rep: Message, const N: usize, S>(
    clients: &mut [Served<Req, Rep, N, S>],
) {
    for client in clients.iter_mut().filter(|c| c.notify && !c.dropped) {
        client.notify = false;
        // A client that cannot be told only misses its news.
        let _ = client.end.channel.advance();
    }
}

/// The clients' names separated by commas, for a driver's reports.
pub struct ClientNames<'a, Req: 'static, Rep: 'static, const N: usize, S>(
    pub &'a [Served<Req, Rep, N, S>],
);

impl<Req, Rep, const N: usize, S> core::fmt::Display for ClientNames<'_, Req, Rep, N, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, client) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&client.name)?;
        }
        Ok(())
    }
}

/// What went wrong with a service request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceError {
    /// The shared region no longer follows the protocol.
    Corrupt,
    /// The driver refused the request, with this status.
    Refused(u32),
    /// The driver is stopped (it faulted, exited or was stopped): nothing
    /// was queued. A supervisor may restart it.
    PeerStopped,
    /// The driver was restarted since the connection's last call: nothing
    /// was queued by this call, and what was in flight before may be lost.
    /// The connection now talks to the new driver: try again.
    PeerRestarted,
}

impl From<Corrupt> for ServiceError {
    fn from(_: Corrupt) -> Self {
        Self::Corrupt
    }
}

/// The error of a service client's I/O: a driver that is stopped is not
/// connected, one that was restarted reset the connection; anything else
/// is another error.
impl embedded_io::Error for ServiceError {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            Self::PeerStopped => embedded_io::ErrorKind::NotConnected,
            Self::PeerRestarted => embedded_io::ErrorKind::ConnectionReset,
            Self::Corrupt | Self::Refused(_) => embedded_io::ErrorKind::Other,
        }
    }
}

/// A client of the timer service (the `systimer` driver).
pub struct TimerClient {
    connection: Connection<TimerRequest, TimerReply, RING_SLOTS>,
    next_id: u32,
}

impl TimerClient {
    /// Connects through the region and channel called `name`.
    pub fn open(name: &str) -> Option<Self> {
        Some(Self { connection: Connection::open(name)?, next_id: 1 })
    }

    /// Asks for an alarm at `at_ns` (ns since boot); returns its id.
    pub fn alarm_at(&mut self, at_ns: u64) -> Result<u32, ServiceError> {
        self.request(OP_ONCE, at_ns, 0)
    }

    /// Asks for an alarm at `first_ns` and every `period_ns` after;
    /// returns its id.
    pub fn periodic(&mut self, first_ns: u64, period_ns: u64) -> Result<u32, ServiceError> {
        self.request(OP_PERIODIC, first_ns, period_ns)
    }

    /// Cancels alarm `id` (a periodic one keeps coming until then).
    pub fn cancel(&mut self, id: u32) -> Result<(), ServiceError> {
        let request = TimerRequest { op: OP_CANCEL, id, at_ns: 0, period_ns: 0 };
        self.connection.send(request)
    }

    fn request(&mut self, op: u32, at_ns: u64, period_ns: u64) -> Result<u32, ServiceError> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.connection.send(TimerRequest { op, id, at_ns, period_ns })?;
        Ok(id)
    }

    /// The next reply: an alarm that came (or a refusal), waiting for it.
    pub fn wait(&mut self) -> Result<TimerReply, ServiceError> {
        self.connection.receive()
    }

    /// Waits until alarm `id` comes; replies for other alarms that come
    /// first are dropped.
    fn wait_for(&mut self, id: u32) -> Result<TimerReply, ServiceError> {
        loop {
            let reply = self.wait()?;
            if reply.id != id {
                continue;
            }
            if reply.status != FIRED {
                return Err(ServiceError::Refused(reply.status));
            }
            return Ok(reply);
        }
    }
}

/// Delays block the calling thread on an alarm, not the CPU: other
/// threads and domains run meanwhile.
impl embedded_hal::delay::DelayNs for TimerClient {
    fn delay_ns(&mut self, ns: u32) {
        let until = now_ns().saturating_add(u64::from(ns));
        let fired = self.alarm_at(until).and_then(|id| self.wait_for(id));
        // Never shorter than asked: if the driver refused (or is gone), the
        // thread sleeps on the kernel's alarm instead.
        if fired.is_err() {
            crate::runtime::sleep_until(until);
        }
    }
}

/// A client of the block service (the `emmc` driver): blocks are read into
/// and written from the data part of its connection, then copied to or
/// from the caller's buffers.
pub struct BlockClient {
    connection: Connection<BlockRequest, BlockReply, { block::RING_SLOTS }>,
    next_id: u32,
}

impl BlockClient {
    /// Connects through the region and channel called `name` (the
    /// manifest's `block-DOMAIN`); `None` without them, or if the region is
    /// too small for the service.
    pub fn open(name: &str) -> Option<Self> {
        let connection = Connection::open(name)?;
        let fits = connection.region.size >= DATA_OFFSET as u64 + BLOCK_SIZE as u64;
        fits.then_some(Self { connection, next_id: 1 })
    }

    /// The client's own connection, `block-DOMAIN`.
    pub fn own() -> Option<Self> {
        Self::open(&own_connection("block-")?)
    }

    /// Where the connection's data part starts: the address requests name
    /// their buffers by.
    pub fn data_base(&self) -> u64 {
        self.connection.region.base + DATA_OFFSET as u64
    }

    /// The blocks the data part holds: the most one call moves at a time.
    fn data_blocks(&self) -> usize {
        let bytes = self.connection.region.size as usize - DATA_OFFSET;
        (bytes / BLOCK_SIZE).min(MAX_BLOCKS as usize)
    }

    /// Sends `request` as it is (its `id` replaced by a fresh one) and
    /// waits for its reply: for callers that build their own, such as
    /// tests of the driver's checks.
    pub fn request(&mut self, request: BlockRequest) -> Result<BlockReply, ServiceError> {
        let id = self.submit(request)?;
        loop {
            let reply = self.next_reply()?;
            if reply.id == id {
                return Ok(reply);
            }
        }
    }

    /// Queues `request` (its `id` replaced by a fresh one, which it
    /// returns) without waiting for its reply. Replies come in order,
    /// through [`BlockClient::next_reply`]. Keep at most
    /// `block::RING_SLOTS` requests in flight: the driver answers only
    /// into a reply ring with room, so a client that queues more without
    /// taking replies waits in here for room the driver never makes.
    pub fn submit(&mut self, mut request: BlockRequest) -> Result<u32, ServiceError> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        request.id = id;
        self.connection.send(request)?;
        Ok(id)
    }

    /// The next reply, waiting for it.
    pub fn next_reply(&mut self) -> Result<BlockReply, ServiceError> {
        self.connection.receive()
    }

    /// Sends `request` and turns a status other than `OK` into an error.
    fn call(&mut self, request: BlockRequest) -> Result<BlockReply, ServiceError> {
        let reply = self.request(request)?;
        match reply.status {
            OK => Ok(reply),
            status => Err(ServiceError::Refused(status)),
        }
    }

    /// How many blocks the device has.
    pub fn blocks(&mut self) -> Result<u64, ServiceError> {
        Ok(self.call(BlockRequest { op: OP_INFO, ..BlockRequest::default() })?.blocks)
    }

    /// Reads the blocks from `lba` on into `out` (a whole number of
    /// blocks).
    pub fn read(&mut self, lba: u64, out: &mut [u8]) -> Result<(), ServiceError> {
        whole_blocks(out.len())?;
        let step = self.data_blocks() * BLOCK_SIZE;
        for (index, chunk) in out.chunks_mut(step).enumerate() {
            let count = (chunk.len() / BLOCK_SIZE) as u32;
            let at = lba + (index * step / BLOCK_SIZE) as u64;
            let buffer = self.data_base();
            self.call(BlockRequest { op: OP_READ, lba: at, count, buffer, ..Default::default() })?;
            for (offset, byte) in chunk.iter_mut().enumerate() {
                // SAFETY: the data part is this connection's region, mapped
                // read-write; the driver wrote it before its reply.
                *byte = unsafe { ((buffer as usize + offset) as *const u8).read_volatile() };
            }
        }
        Ok(())
    }

    /// Writes `data` (a whole number of blocks) at `lba` on.
    pub fn write(&mut self, lba: u64, data: &[u8]) -> Result<(), ServiceError> {
        whole_blocks(data.len())?;
        let step = self.data_blocks() * BLOCK_SIZE;
        for (index, chunk) in data.chunks(step).enumerate() {
            let count = (chunk.len() / BLOCK_SIZE) as u32;
            let at = lba + (index * step / BLOCK_SIZE) as u64;
            let buffer = self.data_base();
            for (offset, byte) in chunk.iter().enumerate() {
                // SAFETY: as in `read`; the driver reads it after the request.
                unsafe { ((buffer as usize + offset) as *mut u8).write_volatile(*byte) };
            }
            self.call(BlockRequest { op: OP_WRITE, lba: at, count, buffer, ..Default::default() })?;
        }
        Ok(())
    }
}

/// Refuses, as the driver would, a length that is not a whole number of
/// blocks.
fn whole_blocks(bytes: usize) -> Result<(), ServiceError> {
    match bytes % BLOCK_SIZE {
        0 => Ok(()),
        _ => Err(ServiceError::Refused(block::BAD_REQUEST)),
    }
}

/// The name of this domain's connection to the service whose connections
/// are called `prefix` + the client's name (`block-`, `display-`, ...).
fn own_connection(prefix: &str) -> Option<heapless::String<32>> {
    let mut name = heapless::String::new();
    name.push_str(prefix).ok()?;
    name.push_str(crate::runtime::domain_name()).ok()?;
    Some(name)
}

/// A client of the mailbox service (the `mailbox` driver): the VideoCore
/// firmware's properties, one tag at a time.
pub struct MailboxClient {
    connection: Connection<MailboxRequest, MailboxReply, { mailbox::RING_SLOTS }>,
    next_id: u32,
}

impl MailboxClient {
    /// Connects through the region and channel called `name` (the
    /// manifest's `mailbox-DOMAIN`).
    pub fn open(name: &str) -> Option<Self> {
        Some(Self { connection: Connection::open(name)?, next_id: 1 })
    }

    /// The client's own connection, `mailbox-DOMAIN`.
    pub fn own() -> Option<Self> {
        Self::open(&own_connection("mailbox-")?)
    }

    /// Asks for `tag` with the `len` bytes of `value` it takes, and waits
    /// for the answer: the reply whatever its status (the caller reads
    /// `status`).
    pub fn ask(
        &mut self,
        tag: u32,
        len: u32,
        value: [u32; mailbox::VALUE_WORDS],
    ) -> Result<MailboxReply, ServiceError> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.connection.send(MailboxRequest { id, tag, len, reserved: 0, value })?;
        loop {
            let reply = self.connection.receive()?;
            if reply.id == id {
                return Ok(reply);
            }
        }
    }

    /// The value of `tag`, which takes no request value; an error if the
    /// driver refused.
    pub fn get(&mut self, tag: u32) -> Result<[u32; mailbox::VALUE_WORDS], ServiceError> {
        self.value(tag, 0, [0; mailbox::VALUE_WORDS])
    }

    /// The value of `tag` for clock or sensor `id`; an error if the driver
    /// refused.
    pub fn get_for(
        &mut self,
        tag: u32,
        id: u32,
    ) -> Result<[u32; mailbox::VALUE_WORDS], ServiceError> {
        self.value(tag, 4, [id, 0, 0, 0])
    }

    fn value(
        &mut self,
        tag: u32,
        len: u32,
        value: [u32; mailbox::VALUE_WORDS],
    ) -> Result<[u32; mailbox::VALUE_WORDS], ServiceError> {
        let reply = self.ask(tag, len, value)?;
        match reply.status {
            mailbox::OK => Ok(reply.value),
            status => Err(ServiceError::Refused(status)),
        }
    }
}

/// A client of the console service (the `uart` driver): its text goes out
/// in whole lines prefixed with the domain's name, and it reads what is
/// typed while it holds the focus.
pub struct ConsoleClient {
    connection: Connection<Chunk, Chunk, { console::RING_SLOTS }>,
    /// Typed bytes received and not read yet.
    input: Chunk,
    /// How many of them have been read.
    read: usize,
}

impl ConsoleClient {
    /// Connects through the region and channel called `name`.
    pub fn open(name: &str) -> Option<Self> {
        let (input, _) = Chunk::of(INPUT, &[]);
        Some(Self { connection: Connection::open(name)?, input, read: 0 })
    }

    /// Queues `text` (at most one chunk) asking for a mark, and returns the
    /// instruction count the driver read when the first line it completes
    /// went into the UART's FIFO (replies that are not marks, such as
    /// typed input, are dropped meanwhile). For measuring the path.
    pub fn write_marked(&mut self, text: &[u8]) -> Result<u64, ServiceError> {
        let (chunk, _) = Chunk::of(OUTPUT_MARKED, text);
        self.connection.send(chunk)?;
        loop {
            if let Some(count) = self.connection.receive()?.marked_count() {
                return Ok(count);
            }
        }
    }

    /// The domain's own console, if the manifest gives it one: the region
    /// and channel called `console-DOMAIN`. Domains reach it through
    /// `console::with_own_console`, which keeps it the ring's one producer.
    pub(crate) fn own() -> Option<Self> {
        let mut name: heapless::String<32> = heapless::String::new();
        name.push_str("console-").ok()?;
        name.push_str(crate::runtime::domain_name()).ok()?;
        Self::open(&name)
    }
}

impl embedded_io::ErrorType for ConsoleClient {
    type Error = ServiceError;
}

/// Writes queue the text with the driver, waiting (blocked) while its ring
/// is full; the driver prints each line once it is complete.
impl embedded_io::Write for ConsoleClient {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ServiceError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let (chunk, taken) = Chunk::of(OUTPUT, buf);
        self.connection.send(chunk)?;
        Ok(taken)
    }

    fn flush(&mut self) -> Result<(), ServiceError> {
        Ok(())
    }
}

/// Reads wait (blocked) until something is typed.
impl embedded_io::Read for ConsoleClient {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ServiceError> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let pending =
                self.input.text(INPUT).map_or(&[][..], |text| &text[self.read.min(text.len())..]);
            if !pending.is_empty() {
                let n = pending.len().min(buf.len());
                buf[..n].copy_from_slice(&pending[..n]);
                self.read += n;
                return Ok(n);
            }
            self.input = self.connection.receive()?;
            self.read = 0;
        }
    }
}

/// A client of the display service (the `display` driver): it draws into
/// its back buffer (in its connection's region, in the screen's pixel
/// format) through `embedded_graphics`' [`DrawTarget`], and shows what it
/// drew with [`DisplayClient::present`].
pub struct DisplayClient {
    connection: Connection<DisplayRequest, DisplayReply, { display::RING_SLOTS }>,
    mode: Mode,
    next_id: u32,
}

impl DisplayClient {
    /// Connects through the region and channel called `name` (the
    /// manifest's `display-DOMAIN`) and asks for the screen's mode; `None`
    /// without them, if the region is too small for the service, or if
    /// the driver does not answer with a mode.
    pub fn open(name: &str) -> Option<Self> {
        let connection = Connection::open(name)?;
        let fits = connection.region.size >= display::AREA_SIZE as u64;
        let mut client = fits.then_some(Self { connection, mode: Mode::DEFAULT, next_id: 1 })?;
        let reply = client.request(display::OP_MODE, [0; 4]).ok()?;
        client.mode = Mode::of_reply(&reply)?;
        Some(client)
    }

    /// The client's own connection, `display-DOMAIN`.
    pub fn own() -> Option<Self> {
        Self::open(&own_connection("display-")?)
    }

    /// The screen's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Shows the rectangle `rect` of the back buffer on the screen, at the
    /// same place.
    pub fn present(&mut self, rect: Rect) -> Result<(), ServiceError> {
        let Rect { x, y, width, height } = rect;
        let reply = self.request(display::OP_PRESENT, [x, y, width, height])?;
        match reply.status {
            display::OK => Ok(()),
            status => Err(ServiceError::Refused(status)),
        }
    }

    /// Shows the whole back buffer.
    pub fn present_all(&mut self) -> Result<(), ServiceError> {
        let rect = Rect { x: 0, y: 0, width: self.mode.width, height: self.mode.height };
        self.present(rect)
    }

    /// Sends operation `op` on the rectangle `[x, y, width, height]` and
    /// waits for its reply.
    fn request(
        &mut self,
        op: u32,
        [x, y, width, height]: [u32; 4],
    ) -> Result<DisplayReply, ServiceError> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.connection.send(DisplayRequest { id, op, x, y, width, height })?;
        loop {
            let reply = self.connection.receive()?;
            if reply.id == id {
                return Ok(reply);
            }
        }
    }

    /// Moves the pixels of `rect` in the back buffer `by` pixels to the
    /// left: what leaves `rect` is gone, and its last `by` columns keep
    /// what they held (for the caller to draw anew). For charts that
    /// scroll; a rectangle not on the screen is left alone.
    pub fn shift_left(&mut self, rect: Rect, by: u32) {
        let mode = self.mode;
        let fits = rect.x.checked_add(rect.width).is_some_and(|end| end <= mode.width)
            && rect.y.checked_add(rect.height).is_some_and(|end| end <= mode.height);
        if !fits || by == 0 || by >= rect.width {
            return;
        }
        let bpp = mode.bytes_per_pixel();
        let base = self.connection.region.base as usize + display::BUFFER_OFFSET;
        for row in rect.y..rect.y + rect.height {
            let start = base + row as usize * mode.stride() + rect.x as usize * bpp;
            let moved = (rect.width - by) as usize * bpp;
            // SAFETY: both ranges lie in row `row` of `rect`, on the
            // screen (checked above), so in the back buffer, which `open`
            // checked fits the connection's region; `copy` allows the
            // overlap.
            unsafe {
                core::ptr::copy((start + by as usize * bpp) as *const u8, start as *mut u8, moved)
            };
        }
    }

    /// Writes the pixel at (`x`, `y`), on the screen, in the screen's
    /// format.
    fn put(&mut self, x: u32, y: u32, color: Rgb888) {
        let mode = self.mode;
        let pixel = mode.encode(color.r(), color.g(), color.b());
        let offset = y as usize * mode.stride() + x as usize * mode.bytes_per_pixel();
        let at = self.connection.region.base as usize + display::BUFFER_OFFSET + offset;
        // SAFETY: (`x`, `y`) is on the screen (the callers check), so the
        // pixel lies in the back buffer, which `open` checked fits the
        // connection's region, this domain's own mapping; aligned, as
        // rows and pixels are whole multiples of the pixel's size.
        unsafe {
            if mode.depth == 16 {
                core::ptr::write_volatile(at as *mut u16, pixel as u16);
            } else {
                core::ptr::write_volatile(at as *mut u32, pixel);
            }
        }
    }
}

impl OriginDimensions for DisplayClient {
    fn size(&self) -> Size {
        Size::new(self.mode.width, self.mode.height)
    }
}

/// Drawing goes to the back buffer; [`DisplayClient::present`] shows it.
/// Pixels off the screen are left out, as `embedded_graphics` expects.
impl DrawTarget for DisplayClient {
    type Color = Rgb888;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        let (width, height) = (self.mode.width as i32, self.mode.height as i32);
        for Pixel(point, color) in pixels {
            if (0..width).contains(&point.x) && (0..height).contains(&point.y) {
                self.put(point.x as u32, point.y as u32, color);
            }
        }
        Ok(())
    }
}
