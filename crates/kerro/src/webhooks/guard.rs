//! Where webhooks may go: an endpoint URL is `https://` (or `http://` when
//! `webhooks.allow_http` is set), names a host, and reaches only public
//! addresses unless `webhooks.allow_private_addresses` is set. It is checked
//! when an endpoint is registered (the host is resolved then, within a
//! bounded time) and again at every connection: the client resolves names
//! through [`Guard`], which drops every address it may not reach, so a name
//! that later resolves to a private address (DNS rebinding) reaches nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use kerro_core::CoreError;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::WebhooksConfig;

/// How long registering an endpoint waits for its host to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// The rules of one configuration.
#[derive(Debug, Clone)]
pub struct Guard {
    allow_http: bool,
    allow_private: bool,
    trusted: Vec<SocketAddr>,
}

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::invalid("url", message)
}

/// Whether `ip` is on the public internet (not loopback, private, link-local,
/// shared, documentation, multicast or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0))
        }
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

impl Guard {
    pub fn new(cfg: &WebhooksConfig) -> Guard {
        Guard {
            allow_http: cfg.allow_http,
            allow_private: cfg.allow_private_addresses,
            trusted: cfg.trusted_receivers.clone(),
        }
    }

    /// Whether a connection to `addr` is allowed.
    pub fn reaches(&self, addr: SocketAddr) -> bool {
        self.allow_private || is_public(addr.ip()) || self.trusted.contains(&addr)
    }

    /// Checks what can be checked without the network: the URL's shape, its
    /// scheme and, for an address literal, the address. Returns the URL.
    pub fn check_shape(&self, raw: &str) -> Result<reqwest::Url, CoreError> {
        let url =
            reqwest::Url::parse(raw).map_err(|e| bad(format!("not an absolute URL ({e})")))?;
        let literal = self.literal(&url);
        let trusted = literal.is_some_and(|a| self.trusted.contains(&a));
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http || trusted => {}
            "http" => {
                return Err(bad(
                    "the URL must be https:// (webhooks.allow_http allows http://)",
                ))
            }
            _ => return Err(bad("the URL must be https://")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("the URL must not carry a user name or password"));
        }
        if url.host().is_none() {
            return Err(bad("the URL names no host"));
        }
        if let Some(addr) = literal {
            if !self.reaches(addr) {
                return Err(bad(format!(
                    "{} is not a public address (webhooks.allow_private_addresses allows it)",
                    addr.ip()
                )));
            }
        }
        Ok(url)
    }

    /// The address of a URL whose host is an IP literal.
    fn literal(&self, url: &reqwest::Url) -> Option<SocketAddr> {
        let port = url.port_or_known_default()?;
        match url.host()? {
            url::Host::Ipv4(v4) => Some(SocketAddr::new(IpAddr::V4(v4), port)),
            url::Host::Ipv6(v6) => Some(SocketAddr::new(IpAddr::V6(v6), port)),
            url::Host::Domain(_) => None,
        }
    }

    /// Checks a URL being registered: its shape, then (for a name) that it
    /// resolves, within a few seconds, to at least one address it may reach
    /// and to none it may not.
    pub async fn check(&self, raw: &str) -> Result<reqwest::Url, CoreError> {
        let url = self.check_shape(raw)?;
        let Some(url::Host::Domain(name)) = url.host() else {
            return Ok(url);
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let looked_up = tokio::time::timeout(
            RESOLVE_TIMEOUT,
            tokio::net::lookup_host((name.to_owned(), port)),
        )
        .await;
        let addrs: Vec<SocketAddr> = match looked_up {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(_)) => return Err(bad(format!("the host '{name}' does not resolve"))),
            Err(_) => {
                return Err(bad(format!(
                    "the host '{name}' did not resolve within {} s",
                    RESOLVE_TIMEOUT.as_secs()
                )))
            }
        };
        if addrs.is_empty() {
            return Err(bad(format!("the host '{name}' does not resolve")));
        }
        if let Some(a) = addrs.iter().find(|a| !self.reaches(**a)) {
            return Err(bad(format!(
                "the host '{name}' resolves to {}, which is not a public address (webhooks.allow_private_addresses allows it)",
                a.ip()
            )));
        }
        Ok(url)
    }

    /// Checks, right before a delivery, the address of a URL with an IP literal
    /// (names are checked by the resolver at connection time).
    pub fn check_before_send(&self, url: &reqwest::Url) -> Result<(), String> {
        match self.literal(url) {
            Some(a) if !self.reaches(a) => Err(format!("{} is not a public address", a.ip())),
            _ => Ok(()),
        }
    }
}

/// The client's resolver: the system's, without the addresses it may not reach.
impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found =
                tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host.clone(), 0)))
                    .await
                    .map_err(|_| format!("{host} did not resolve in time"))??;
            let allowed: Vec<SocketAddr> = found.filter(|a| guard.reaches(*a)).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    /// The client resolves names through the guard: a name that resolves only
    /// to loopback reaches nothing, though the URL's shape passed.
    #[tokio::test]
    async fn the_client_does_not_connect_to_a_name_that_resolves_privately() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cfg = WebhooksConfig {
            allow_http: true,
            ..WebhooksConfig::default()
        };
        let client = super::super::client(&cfg).unwrap();
        let e = client
            .post(format!("http://localhost:{port}/hook"))
            .send()
            .await
            .unwrap_err();
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(c) = source {
            text.push_str(&format!(": {c}"));
            source = c.source();
        }
        assert!(text.contains("no public address"), "{text}");
        // With private addresses allowed, the same name connects.
        let open = WebhooksConfig {
            allow_private_addresses: true,
            ..cfg
        };
        let accepted = tokio::spawn(async move { listener.accept().await.is_ok() });
        let client = super::super::client(&open).unwrap();
        let _ = tokio::time::timeout(
            Duration::from_millis(500),
            client.post(format!("http://localhost:{port}/hook")).send(),
        )
        .await;
        assert!(accepted.await.unwrap(), "connected");
    }

    #[test]
    fn shapes() {
        let strict = Guard::new(&WebhooksConfig::default());
        for bad in [
            "not a url",
            "/relative",
            "ftp://example.com/",
            "http://example.com/",
            "https://user:pw@example.com/",
            "https://127.0.0.1/",
            "https://[::1]:8443/",
            "https://10.0.0.1/",
            "javascript:alert(1)",
        ] {
            let e = strict.check_shape(bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("url"), "{bad}");
        }
        assert!(strict
            .check_shape("https://hooks.example.com/kerro")
            .is_ok());
        let demo = Guard::new(&WebhooksConfig {
            trusted_receivers: vec!["127.0.0.1:9999".parse().unwrap()],
            ..WebhooksConfig::default()
        });
        assert!(demo.check_shape("http://127.0.0.1:9999/hook").is_ok());
        assert!(demo.check_shape("http://127.0.0.1:9998/hook").is_err());
    }
}
