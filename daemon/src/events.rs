//! Reading refusals from the ring buffer as they happen.
//!
//! The reader never blocks the kernel side: a full ring buffer makes the kernel drop the detail
//! (and count it as lost); here each wakeup drains everything there is.

use std::io;

use aya::maps::{MapData, RingBuf};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::violation::{BootClock, Violation};

/// Async reader of the event ring buffer.
pub struct EventStream {
    ring: AsyncFd<RingBuf<MapData>>,
    /// Records this daemon could not decode (ABI mismatch); reported, never silently dropped.
    pub undecodable: u64,
}

impl EventStream {
    /// Register the ring buffer with the tokio reactor.
    pub fn new(ring: RingBuf<MapData>) -> io::Result<EventStream> {
        // SAFETY: the RingBuf owns its map fd and keeps it open for as long as the AsyncFd
        // (which owns the RingBuf) exists, which is what registration requires.
        let ring = unsafe { AsyncFd::register_with_interest(ring, Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(EventStream {
            ring,
            undecodable: 0,
        })
    }

    /// Wait until at least one record is there, then return all that are.
    pub async fn next_batch(&mut self) -> io::Result<Vec<Violation>> {
        loop {
            let mut guard = self.ring.readable_mut().await?;
            let batch = drain(guard.get_inner_mut(), &mut self.undecodable);
            guard.clear_ready();
            if !batch.is_empty() {
                return Ok(batch);
            }
        }
    }

    /// Everything already in the ring buffer, without waiting.
    pub fn drain_now(&mut self) -> Vec<Violation> {
        drain(self.ring.get_mut(), &mut self.undecodable)
    }
}

/// The wall-clock offset is measured for each batch, not once: after a step of the wall clock
/// (an RTC read, an officer setting the date) refusals keep their true wall-clock times.
fn drain(ring: &mut RingBuf<MapData>, bad: &mut u64) -> Vec<Violation> {
    let clock = BootClock::now();
    let mut out = Vec::new();
    while let Some(item) = ring.next() {
        match Violation::decode(&item, &clock) {
            Some(v) => out.push(v),
            None => *bad += 1,
        }
    }
    out
}
