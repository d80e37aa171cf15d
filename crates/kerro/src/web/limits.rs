//! Abuse limits of the public pages: who the client is (the connection's peer,
//! or the nearest untrusted `X-Forwarded-For` hop behind a configured proxy),
//! and per-client rate limits (governor's GCRA) on anonymous form posts and
//! sign-in requests. The 429 page itself is `Ctx::too_many`.
//!
//! Limits are kept in each node's memory: with several nodes behind a load
//! balancer, a client gets each node's allowance.

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::WebConfig;

/// Which allowance a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// An anonymous `POST /f/{form}`.
    FormPost,
    /// `POST /login` or `POST /admin/login`.
    SignIn,
    /// `POST /admin/invite`: setting a password through an invite link.
    Invite,
    /// `POST /admin/enrol`: checking a second-factor code.
    SecondFactor,
}

/// After this many checks, keys whose allowance has refilled are dropped, so the
/// maps stay as large as the set of recently active clients.
const PRUNE_EVERY: u64 = 4096;

pub struct Limits {
    form_posts: DefaultKeyedRateLimiter<IpAddr>,
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    invite: DefaultKeyedRateLimiter<IpAddr>,
    second_factor: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    checks: AtomicU64,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Limits {
    pub fn new(cfg: &WebConfig) -> Limits {
        Limits {
            form_posts: RateLimiter::keyed(per_minute(cfg.form_posts_per_minute)),
            sign_in: RateLimiter::keyed(per_minute(cfg.sign_in_requests_per_minute)),
            invite: RateLimiter::keyed(per_minute(cfg.invite_posts_per_minute)),
            second_factor: RateLimiter::keyed(per_minute(cfg.second_factor_checks_per_minute)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one request from `client`'s allowance; `Err` is how long until the next one is allowed.
    pub fn check(&self, which: Limit, client: IpAddr) -> Result<(), Duration> {
        let limiter = match which {
            Limit::FormPost => &self.form_posts,
            Limit::SignIn => &self.sign_in,
            Limit::Invite => &self.invite,
            Limit::SecondFactor => &self.second_factor,
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            for l in [
                &self.form_posts,
                &self.sign_in,
                &self.invite,
                &self.second_factor,
            ] {
                l.retain_recent();
                l.shrink_to_fit();
            }
        }
        limiter
            .check_key(&bucket(client))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The key a client is counted under: its IPv4 address, or the /64 network of an
/// IPv6 address (one subscriber's usual allocation), so rotating addresses within
/// it does not buy a new allowance.
pub fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client's address. The peer of the connection, unless that peer is a trusted
/// proxy: then the nearest address in `X-Forwarded-For` (read from the right) that is
/// not a trusted proxy. A request without a peer (driven in-process) is `0.0.0.0`.
pub fn client_ip(parts: &Parts, trusted: &[IpAddr]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|h| h.trim().parse::<IpAddr>().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, xff: &[&str]) -> Parts {
        let mut req = Request::builder().uri("/f/x");
        for h in xff {
            req = req.header("x-forwarded-for", *h);
        }
        let (mut parts, _) = req.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo::<SocketAddr>(peer.parse().unwrap()));
        parts
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // An untrusted peer cannot choose its address by sending the header.
        assert_eq!(
            client_ip(&parts("203.0.113.9:5000", &["198.51.100.1"]), &[proxy]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(&parts("10.0.0.2:5000", &["198.51.100.1"]), &[proxy]),
            ip("198.51.100.1")
        );
        // The left of the header is the client's own claim; the nearest untrusted hop counts.
        assert_eq!(
            client_ip(
                &parts("10.0.0.2:5000", &["1.2.3.4, 198.51.100.1", "10.0.0.2"]),
                &[proxy]
            ),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(&parts("10.0.0.2:5000", &[]), &[proxy]),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(&parts("10.0.0.2:5000", &["garbage"]), &[proxy]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_limits_refuse_past_the_quota() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(bucket(a), bucket(b));
        assert_ne!(bucket(a), bucket(c));
        let cfg = WebConfig {
            form_posts_per_minute: 3,
            ..WebConfig::default()
        };
        let limits = Limits::new(&cfg);
        for _ in 0..3 {
            assert!(limits.check(Limit::FormPost, a).is_ok());
        }
        let wait = limits.check(Limit::FormPost, b).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limits.check(Limit::FormPost, c).is_ok(), "another network");
        assert!(limits.check(Limit::SignIn, a).is_ok(), "another allowance");
    }
}
