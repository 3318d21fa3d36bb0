//! What proxies in front of the gateway tell it: the client's address from
//! `X-Forwarded-For` (believed only from trusted proxies), and the
//! `X-Amzn-Trace-Id` that ties the gateway's call to the caller's trace.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use ipnet::IpNet;

/// The client's address. For a peer that is not a trusted proxy, the peer
/// itself: anyone can write `X-Forwarded-For`. For a trusted peer, the
/// right-most address of `X-Forwarded-For` (all its headers, in order) that is
/// not itself a trusted proxy; the addresses left of it were written by
/// whoever sent it and prove nothing.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for value in forwarded_for.rev() {
        for item in value.rsplit(',') {
            let Some(ip) = parse_forwarded_item(item) else {
                // A malformed entry: nothing left of it can be believed.
                return client;
            };
            client = ip;
            if !is_trusted(&ip) {
                return client;
            }
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an IP, possibly `[v6]:port` or `v4:port`.
fn parse_forwarded_item(item: &str) -> Option<IpAddr> {
    let item = item.trim();
    if let Ok(ip) = item.parse() {
        return Some(ip);
    }
    if let Some(rest) = item.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, _port) = item.rsplit_once(':')?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The longest `X-Amzn-Trace-Id` passed on as it came.
const MAX_TRACE_ID: usize = 256;

/// The trace header to pass on: the client's, when it is a plausible
/// `X-Amzn-Trace-Id` (`Root=1-…`, printable, bounded), or a new root.
pub fn trace_id(incoming: Option<&str>) -> String {
    match incoming {
        Some(value)
            if value.len() <= MAX_TRACE_ID
                && value.starts_with("Root=1-")
                && value.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            value.to_string()
        }
        _ => new_trace_id(),
    }
}

/// `Root=1-<epoch seconds, 8 hex digits>-<96 random bits, 24 hex digits>`,
/// X-Ray's trace id format.
fn new_trace_id() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let random = uuid::Uuid::new_v4();
    let bytes = random.as_bytes();
    let mut id = format!("Root=1-{:08x}-", seconds & 0xffff_ffff);
    for b in &bytes[..12] {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|n| {
                n.parse()
                    .unwrap_or_else(|_| IpNet::from(n.parse::<IpAddr>().unwrap()))
            })
            .collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_cannot_choose_their_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_peers_give_the_rightmost_untrusted_address() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        // client, then a spoofed entry the client wrote, then two proxies.
        assert_eq!(
            client_ip(
                ip("127.0.0.1"),
                ["1.1.1.1, 198.51.100.7", "10.1.2.3"].into_iter(),
                &trusted
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), ["[2001:db8::1]:443"].into_iter(), &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), ["192.0.2.4:5000"].into_iter(), &trusted),
            ip("192.0.2.4")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.1"), std::iter::empty(), &trusted),
            ip("10.0.0.1")
        );
        // Garbage stops the walk at the last believable address.
        assert_eq!(
            client_ip(
                ip("10.0.0.1"),
                ["198.51.100.7, nonsense, 10.0.0.2"].into_iter(),
                &trusted
            ),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn trace_ids_are_passed_on_or_made() {
        let given = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        assert_eq!(trace_id(Some(given)), given);
        for bad in [None, Some("nonsense"), Some("Root=1-abc def")] {
            let made = trace_id(bad);
            assert_eq!(
                made.len(),
                "Root=1-5759e988-bd862e3fe1be46a994272793".len(),
                "{made}"
            );
            assert!(made.starts_with("Root=1-"), "{made}");
            assert!(
                made[7..].chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
                "{made}"
            );
        }
        assert_ne!(trace_id(None), trace_id(None));
    }
}
