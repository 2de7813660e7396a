//! Who the client is on the network: the peer of the connection, or, when that peer is one of
//! the configured reverse proxies, the address the proxies report. Throttles, rate limits and
//! logs all use the one address computed here.
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::config::AddressRanges;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client's network address as the server judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The client of a request whose peer address is not known (an embedder that serves the
    /// router without connection info): all such requests count as one client.
    pub const UNKNOWN: Self = Self(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The reverse proxies whose forwarding headers are believed (`--trusted-proxies`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// Comma-separated CIDR ranges; a bare address is a range of one.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.parse::<AddressRanges>().map(|ranges| Self::from(&ranges))
    }
}

impl From<&AddressRanges> for TrustedProxies {
    fn from(ranges: &AddressRanges) -> Self {
        Self(ranges.0.clone())
    }
}

impl TrustedProxies {
    /// Whether `address` is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(&address))
    }

    /// The client of a request that arrived from `peer`. The forwarding headers are read only
    /// when the peer is a trusted proxy, and then from the right, where the trusted proxies
    /// appended what they saw: the first address that is not itself a trusted proxy is the
    /// client. Anything to the left of it was written by the client and proves nothing. An
    /// entry that is not an address (`unknown`, an obfuscated name) ends the walk at the proxy
    /// that reported it.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddress {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return ClientAddress(peer);
        }
        let mut nearest = peer;
        for hop in forwarded_chain(headers).into_iter().rev() {
            match hop {
                Some(address) if self.contains(address) => nearest = address,
                Some(address) => return ClientAddress(address),
                None => break,
            }
        }
        ClientAddress(nearest)
    }
}

/// The hops the proxies reported, nearest last: `X-Forwarded-For` when present (what most
/// proxies append), otherwise the `for=` parameters of `Forwarded` (RFC 7239). Repeated
/// headers are one list in order. `None` stands for an entry that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers.get_all(name).iter().filter_map(|value| value.to_str().ok()).map(str::to_owned).collect()
    };
    let x_forwarded_for = values("x-forwarded-for");
    if !x_forwarded_for.is_empty() {
        return x_forwarded_for.iter().flat_map(|value| value.split(',')).map(|hop| parse_node(hop.trim())).collect();
    }
    values("forwarded")
        .iter()
        .flat_map(|value| value.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then(|| parse_node(value.trim()))
            })
        })
        .collect()
}

/// One node: `192.0.2.7`, `192.0.2.7:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim_matches('"');
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']').and_then(|(inner, _)| inner.parse::<IpAddr>().ok()).map(|a| a.to_canonical());
    }
    node.parse::<std::net::SocketAddr>().ok().map(|socket| socket.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(proxies.client_address(ip("203.0.113.9"), &spoofed).0, ip("203.0.113.9"));
        assert_eq!(TrustedProxies::default().client_address(ip("10.0.0.1"), &spoofed).0, ip("10.0.0.1"));
    }

    #[test]
    fn the_rightmost_address_that_is_not_a_trusted_proxy_is_the_client() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.0.2.1".parse().unwrap();
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.4"), ("x-forwarded-for", "192.0.2.1")]);
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &chain).0, ip("198.51.100.4"));
        let forwarded =
            headers(&[("forwarded", r#"for=6.6.6.6, for="[2001:db8::17]:4711";proto=https, For=10.9.9.9:80"#)]);
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &forwarded).0, ip("2001:db8::17"));
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &headers(&[])).0, ip("10.1.2.3"));
        let unknown = headers(&[("forwarded", "for=1.1.1.1, for=unknown, for=10.0.0.5")]);
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &unknown).0, ip("10.0.0.5"));
        assert_eq!(proxies.client_address(ip("::ffff:10.1.2.3"), &chain).0, ip("198.51.100.4"));
    }

    #[test]
    fn ranges_that_are_not_cidrs_are_refused() {
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.internal".parse::<TrustedProxies>().is_err());
        assert_eq!("".parse::<TrustedProxies>().unwrap(), TrustedProxies::default());
    }
}
