// SPDX-License-Identifier: MPL-2.0
//! Serves a [`VirtualCard`] to `pcscd` through vsmartcard's vpcd protocol,
//! so real PC/SC tools (OpenSC, jpki-rs's CLI, `houmon card read --reader
//! pcsc`) can talk to it.
//!
//! The card side connects to the vpcd driver loaded by `pcscd` (default
//! `127.0.0.1:35963`). Every message is a 2-byte big-endian length and a
//! payload. A 1-byte payload is a control code: `0` power off, `1` power on,
//! `2` reset, `4` "send the ATR". Anything longer is a command APDU, answered
//! with the response APDU. Power off/on and reset re-insert the card.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::{VirtualCard, ATR};

fn read_frame(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut buf)?;
    Ok(buf)
}

fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len =
        u16::try_from(payload.len()).map_err(|_| io::Error::other("response over 65535 bytes"))?;
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    stream.write_all(&out)
}

/// Answers one message; `None` when nothing is sent back.
pub fn answer(card: &VirtualCard, msg: &[u8]) -> Option<Vec<u8>> {
    match msg {
        [0] | [1] | [2] => {
            card.reinsert();
            None
        }
        [4] => Some(ATR.to_vec()),
        [_] => None,
        apdu => Some(card.process(apdu)),
    }
}

/// Serves one connection until `pcscd` closes it.
pub fn serve_connection(card: &VirtualCard, mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    loop {
        let msg = match read_frame(&mut stream) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        if let Some(reply) = answer(card, &msg) {
            write_frame(&mut stream, &reply)?;
        }
    }
}

/// Connects to `pcscd`'s vpcd driver and serves the card, reconnecting
/// (every `retry`) whenever the connection drops or `pcscd` is not up yet.
/// Returns only if `keep_going` says so.
pub fn serve(
    card: &VirtualCard,
    addr: &str,
    retry: Duration,
    mut keep_going: impl FnMut() -> bool,
) {
    while keep_going() {
        match TcpStream::connect(addr) {
            Ok(stream) => {
                tracing::info!(addr, "connected to vpcd");
                if let Err(e) = serve_connection(card, stream) {
                    tracing::warn!(error = %e, "vpcd connection ended");
                }
            }
            Err(e) => tracing::debug!(error = %e, addr, "vpcd not reachable yet"),
        }
        std::thread::sleep(retry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn the_vpcd_framing_carries_atr_and_apdus() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let card = VirtualCard::standard();
            let (stream, _) = listener.accept().unwrap();
            serve_connection(&card, stream).unwrap();
        });
        // Play pcscd's part.
        let mut pcscd = TcpStream::connect(addr).unwrap();
        write_frame(&mut pcscd, &[1]).unwrap();
        write_frame(&mut pcscd, &[4]).unwrap();
        assert_eq!(read_frame(&mut pcscd).unwrap(), ATR);
        let select = [
            0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00,
            0x01,
        ];
        write_frame(&mut pcscd, &select).unwrap();
        assert_eq!(read_frame(&mut pcscd).unwrap(), [0x90, 0x00]);
        drop(pcscd);
        server.join().unwrap();
    }
}
