// SPDX-License-Identifier: MPL-2.0
//! Field timing: how each visit's card read went on its phone (model, OS,
//! what its NFC stack carries, APDUs, milliseconds, tag losses). No
//! personal data. The console shows it per phone model.

use chrono::{DateTime, Utc};
use houmon_core::visit::ReadTiming;

use super::engine::Conn;
use super::{ts, DbResult};
use crate::params;

pub fn insert(
    c: Conn<'_>,
    visit_id: &str,
    device_id: &str,
    visited_at: DateTime<Utc>,
    t: &ReadTiming,
) -> DbResult<()> {
    let phases = serde_json::to_string(&t.phases).expect("phases serialise");
    c.execute(
        &format!(
            "INSERT INTO read_timing (visit_id, device_id, visited_at, phone_model, os, extended_length,
             max_response, reads, tag_losses, apdus, total_ms, phases)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT({}) DO NOTHING",
            c.key("visit_id")
        ),
        params![
            visit_id,
            device_id,
            ts(visited_at),
            t.phone_model,
            t.os,
            i64::from(t.extended_length),
            i64::from(t.max_response),
            i64::from(t.reads),
            i64::from(t.tag_losses),
            i64::from(t.apdus),
            i64::from(t.total_ms),
            phases
        ],
    )?;
    Ok(())
}

/// One phone model's reads in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelStats {
    pub phone_model: String,
    pub os: Vec<String>,
    pub visits: usize,
    pub median_ms: u32,
    pub p90_ms: u32,
    /// Reads the card left in the middle of, of all reads started.
    pub tag_loss_rate: f64,
    pub reads: u64,
}

/// The `q`-quantile (nearest rank) of sorted values.
fn quantile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Per phone model, the reads of visits at or after `from`, most used first.
pub fn per_model(c: Conn<'_>, from: DateTime<Utc>) -> DbResult<Vec<ModelStats>> {
    let rows: Vec<(String, String, i64, i64, i64)> = c.query_all(
        "SELECT phone_model, os, total_ms, reads, tag_losses FROM read_timing WHERE visited_at >= ?1
         ORDER BY phone_model, total_ms",
        params![ts(from)],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut out: Vec<ModelStats> = Vec::new();
    let mut times: Vec<Vec<u32>> = Vec::new();
    let mut losses: Vec<u64> = Vec::new();
    for (model, os, ms, reads, lost) in rows {
        let i = match out.iter().position(|m| m.phone_model == model) {
            Some(i) => i,
            None => {
                out.push(ModelStats {
                    phone_model: model,
                    os: Vec::new(),
                    visits: 0,
                    median_ms: 0,
                    p90_ms: 0,
                    tag_loss_rate: 0.0,
                    reads: 0,
                });
                times.push(Vec::new());
                losses.push(0);
                out.len() - 1
            }
        };
        if !out[i].os.contains(&os) {
            out[i].os.push(os);
        }
        out[i].visits += 1;
        out[i].reads += reads.max(0) as u64;
        losses[i] += lost.max(0) as u64;
        times[i].push(ms.clamp(0, i64::from(u32::MAX)) as u32);
    }
    for (i, m) in out.iter_mut().enumerate() {
        times[i].sort_unstable();
        m.median_ms = quantile(&times[i], 0.5);
        m.p90_ms = quantile(&times[i], 0.9);
        m.tag_loss_rate = if m.reads == 0 { 0.0 } else { losses[i] as f64 / m.reads as f64 };
    }
    out.sort_by(|a, b| b.visits.cmp(&a.visits).then(a.phone_model.cmp(&b.phone_model)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<u32> = (1..=10).map(|i| i * 100).collect();
        assert_eq!(quantile(&v, 0.5), 500);
        assert_eq!(quantile(&v, 0.9), 900);
        assert_eq!(quantile(&[700], 0.9), 700);
        assert_eq!(quantile(&[], 0.5), 0);
    }
}
