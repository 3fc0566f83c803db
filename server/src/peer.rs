// SPDX-License-Identifier: MPL-2.0
//! Where a client comes from, as the connection caps (`listener.rs`) and
//! the throttles (`limiter.rs`) count it: an IPv4 address, or an IPv6
//! address's /64 (one subscriber's network: an attacker gets a whole /64
//! as easily as one address in it). An IPv4 address written as IPv6
//! (`::ffff:a.b.c.d`) is that IPv4 address.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    V4([u8; 4]),
    /// The first 64 bits.
    V6([u8; 8]),
}

impl Source {
    pub fn of(ip: IpAddr) -> Source {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Source::V4(v4.octets()),
            IpAddr::V6(v6) => {
                let o = v6.octets();
                Source::V6(o[..8].try_into().expect("8 bytes"))
            }
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::V4(o) => write!(f, "{}", std::net::Ipv4Addr::from(*o)),
            Source::V6(o) => {
                let mut full = [0u8; 16];
                full[..8].copy_from_slice(o);
                write!(f, "{}/64", std::net::Ipv6Addr::from(full))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_network_counts_as_one_source_and_a_mapped_ipv4_as_its_address() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Source::of(a), Source::of(b));
        assert_ne!(Source::of(a), Source::of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        let plain: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(Source::of(mapped), Source::of(plain));
        assert_eq!(Source::of(plain).to_string(), "192.0.2.7");
        assert_eq!(Source::of(a).to_string(), "2001:db8:1:2::/64");
    }
}
