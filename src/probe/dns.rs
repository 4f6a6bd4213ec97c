//! Step 1: name resolution with this host's resolver (`getaddrinfo`, so `/etc/hosts`,
//! `nsswitch.conf` and the configured DNS servers all count, as they do for the JVM), bounded
//! by the probe's time-out.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsError {
    /// The resolver answered: no such name (or no address for it).
    Unknown(String),
    /// No answer within the time-out.
    TimedOut,
}

/// Resolves `host` (a name or an address literal) to socket addresses on `port`.
pub fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, DnsError> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::channel();
    let name = (host.to_string(), port);
    // getaddrinfo cannot be cancelled: a resolver that hangs keeps this thread until it
    // answers, while the probe goes on.
    std::thread::spawn(move || {
        let _ = tx.send(name.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(DnsError::Unknown("the name has no address".into())),
        Ok(Err(e)) => Err(DnsError::Unknown(e.to_string())),
        Err(_) => Err(DnsError::TimedOut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_invalid_names() {
        let t = Duration::from_secs(5);
        assert_eq!(resolve("127.0.0.1", 7, t).unwrap()[0].port(), 7);
        assert!(matches!(
            resolve("nonexistent.invalid", 80, t),
            Err(DnsError::Unknown(_)) | Err(DnsError::TimedOut)
        ));
    }
}
