// SPDX-License-Identifier: MPL-2.0
//! `houmon card info` and `houmon card read`.

use std::io::{BufRead, IsTerminal, Write};

use chrono::Utc;
use houmon_core::card::credentials::{CollationB, Pin};
use houmon_core::card::error::CardError;
use houmon_core::card::reader::CardReader;
use houmon_core::card::transport::{CardTransport, TransportError, TransportLimits};
use houmon_vcard::{CardConfig, VirtualCard};
use zeroize::Zeroizing;

use crate::{block_on, output, sim, Mode, ReaderArgs};

/// A transport with narrower limits than its reader reports
/// (`--short-apdus`, `--max-response`).
struct Limited(Box<dyn CardTransport>, TransportLimits);

#[async_trait::async_trait]
impl CardTransport for Limited {
    async fn transceive(&self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.transceive(apdu).await
    }
    fn limits(&self) -> TransportLimits {
        self.1
    }
}

fn open(args: &ReaderArgs) -> Result<Box<dyn CardTransport>, String> {
    let transport: Box<dyn CardTransport> = match args.reader.as_str() {
        "sim" => {
            let variant = sim::variant(&args.variant)?;
            Box::new(VirtualCard::new(CardConfig { variant, ..CardConfig::default() }))
        }
        r if r == "pcsc" || r.starts_with("pcsc:") => {
            open_pcsc(r.strip_prefix("pcsc").unwrap_or_default())?
        }
        other => return Err(format!("unknown reader {other:?}: use sim, pcsc or pcsc:NAME")),
    };
    if !args.short_apdus && args.max_response.is_none() {
        return Ok(transport);
    }
    let mut limits = transport.limits();
    if args.short_apdus {
        limits = limits.short_only();
    }
    if let Some(max) = args.max_response {
        limits.max_response = limits.max_response.min(max);
    }
    Ok(Box::new(Limited(transport, limits)))
}

#[cfg(feature = "pcsc")]
fn open_pcsc(name: &str) -> Result<Box<dyn CardTransport>, String> {
    let name = name.strip_prefix(':').unwrap_or(name);
    Ok(Box::new(crate::pcsc_reader::PcscTransport::connect(name)?))
}

#[cfg(not(feature = "pcsc"))]
fn open_pcsc(_name: &str) -> Result<Box<dyn CardTransport>, String> {
    Err("this houmon was built without PC/SC support: rebuild with `--features pcsc` \
         (needs libpcsclite-dev)"
        .into())
}

fn card_error(e: CardError) -> String {
    format!("{}\n({e})", e.staff_message())
}

/// Reads one line from standard input into a zeroizing buffer.
fn secret_line(
    prompt: &str,
    from_stdin_flag: bool,
    flag: &str,
) -> Result<Zeroizing<String>, String> {
    let stdin = std::io::stdin();
    if !from_stdin_flag {
        if !stdin.is_terminal() {
            return Err(format!("pass {flag} to read it from standard input"));
        }
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = Zeroizing::new(String::new());
    stdin.lock().read_line(&mut line).map_err(|e| format!("reading standard input: {e}"))?;
    Ok(line)
}

pub fn info(args: &ReaderArgs) -> Result<(), String> {
    let transport = open(args)?;
    let mut reader = CardReader::new(transport);
    let info = block_on(reader.info(Utc::now())).map_err(card_error)?;
    output::print_info(&info, reader.stats(), args.json);
    Ok(())
}

/// The challenge the card signs in the CLI: it binds the time and a nonce.
/// (The visit flow binds visit id and device id as well.)
fn cli_challenge() -> Vec<u8> {
    let nonce: [u8; 16] = rand::random();
    let hex: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    format!("houmon-cli-challenge:v1:{}:{hex}", Utc::now().to_rfc3339()).into_bytes()
}

pub fn read(
    args: &ReaderArgs,
    mode: Mode,
    pin_stdin: bool,
    collation_stdin: bool,
    confirm_last_try: bool,
) -> Result<(), String> {
    let transport = open(args)?;
    let mut reader = CardReader::new(transport);
    match mode {
        Mode::Pin => {
            let line = secret_line("利用者証明用PIN (4桁)", pin_stdin, "--pin-stdin")?;
            let pin = Pin::new(&line).map_err(card_error)?;
            drop(line);
            let r = block_on(reader.read_pin_mode(
                &pin,
                confirm_last_try,
                &cli_challenge(),
                Utc::now(),
            ))
            .map_err(card_error)?;
            output::print_pin_reading(&r, reader.stats(), args.json);
        }
        Mode::Visual => {
            let line = secret_line(
                "照合番号B (生年月日6桁+有効期限の西暦4桁+セキュリティコード4桁)",
                collation_stdin,
                "--collation-stdin",
            )?;
            let b = CollationB::new(&line).map_err(card_error)?;
            drop(line);
            let r = block_on(reader.read_visual_mode(&b, confirm_last_try, Utc::now()))
                .map_err(card_error)?;
            output::print_visual_reading(&r, reader.stats(), args.json);
        }
    }
    Ok(())
}
