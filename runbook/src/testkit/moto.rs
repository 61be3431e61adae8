//! A `moto_server` child process on a free loopback port, stopped when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::config::TestkitResult;

pub struct Moto {
    child: Child,
    port: u16,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn http(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    let mut body = String::new();
    stream.read_to_string(&mut body)?;
    Ok(body)
}

impl Moto {
    /// Starts `moto_server` (from PATH, else `python3 -m moto.server`) and waits until it answers.
    pub fn start() -> TestkitResult<Moto> {
        let mut last_err = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let spawned = Command::new("moto_server")
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .or_else(|_| {
                    Command::new("python3")
                        .args([
                            "-m",
                            "moto.server",
                            "-H",
                            "127.0.0.1",
                            "-p",
                            &port.to_string(),
                        ])
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                });
            let child = spawned.map_err(|e| {
                format!(
                    "cannot start moto_server ({e}); install it with `pip install 'moto[server]'`"
                )
            })?;
            let mut moto = Moto { child, port };
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = moto.child.try_wait() {
                    last_err = format!("moto_server exited with {status} (port {port} taken?)");
                    break;
                }
                if http(port, "GET", "/moto-api/")
                    .is_ok_and(|r| r.starts_with("HTTP/1.1 200") || r.starts_with("HTTP/1.0 200"))
                {
                    return Ok(moto);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if last_err.is_empty() {
                last_err = "moto_server did not answer within 30 s".into();
            }
        }
        Err(last_err.into())
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Forgets every resource (moto's own reset API).
    pub fn reset(&self) -> TestkitResult<()> {
        http(self.port, "POST", "/moto-api/reset")?;
        Ok(())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
