//! Step 2: the TCP connection, with a time-out, to each resolved address in turn, and the
//! failure named as the JVM would see it: refused, timed out, no route.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectFailure {
    Refused,
    TimedOut,
    NoRoute,
    Other(String),
}

/// The last address tried and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    pub addr: SocketAddr,
    pub failure: ConnectFailure,
}

pub fn classify(e: &io::Error) -> ConnectFailure {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ConnectFailure::TimedOut,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            ConnectFailure::NoRoute
        }
        _ => ConnectFailure::Other(e.to_string()),
    }
}

/// Connects to the first address that accepts, with read and write time-outs set.
pub fn connect(
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => {
                let _ = s.set_read_timeout(Some(timeout));
                let _ = s.set_write_timeout(Some(timeout));
                let _ = s.set_nodelay(true);
                return Ok((s, *addr));
            }
            Err(e) => {
                last = Some(ConnectError {
                    addr: *addr,
                    failure: classify(&e),
                })
            }
        }
    }
    Err(last.unwrap_or(ConnectError {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        failure: ConnectFailure::Other("no address to connect to".into()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_is_refused() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let e = connect(&[addr], Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.failure, ConnectFailure::Refused);
        assert_eq!(e.addr, addr);
    }
}
