//! A real `redis-server` on a free loopback port, with its own directory,
//! stopped by its PID when dropped. `scripts/test.sh` installs it.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::{Process, tempdir};

pub struct Redis {
    pub process: Process,
    /// `redis://127.0.0.1:<port>`.
    pub url: String,
    port: u16,
}

impl Redis {
    /// Starts a Redis that keeps nothing on disk. Fails, never skips, when
    /// `redis-server` is missing.
    pub fn start() -> Self {
        // Redis cannot report a port the kernel chose: take a free one and
        // hand it over. Another process could take it in between; none of
        // this suite's do.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        Self::start_on(port)
    }

    /// Starts a fresh, empty server on the port of this one, which must
    /// have stopped.
    pub fn restart(&mut self) {
        *self = Self::start_on(self.port);
    }

    fn start_on(port: u16) -> Self {
        let server = which("redis-server").unwrap_or_else(|| {
            panic!("redis-server is not installed: run `scripts/install-redis.sh` (scripts/test.sh does)")
        });
        let dir = tempdir("redis");
        let (process, ()) = Process::spawn(
            "redis",
            Command::new(server)
                .arg("--port")
                .arg(port.to_string())
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .args(["--daemonize", "no", "--logfile", "/dev/stderr"])
                .arg("--dir")
                .arg(&dir),
            |line| line.contains("Ready to accept connections").then_some(()),
        );
        Self {
            process,
            url: format!("redis://127.0.0.1:{port}"),
            port,
        }
    }

    /// Stops the server (SIGTERM, by PID) and waits for it to exit.
    pub fn stop(&mut self) {
        self.process.terminate(Duration::from_secs(10));
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
