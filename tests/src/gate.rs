//! A TCP forwarder that can refuse connections outright: closing it makes the next connect fail
//! with "connection refused" and cuts the connections in flight, as a host whose service is down
//! does; opening it again listens on the same port. Put between one process and a stand-in
//! (such as the local Slack) to take that service away from that process alone.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};

/// The running forwarder; stops when dropped.
pub struct Gate {
    /// Where clients connect.
    pub addr: SocketAddr,
    target: String,
    tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Gate {
    /// Forwards `127.0.0.1:<port>` to `target` (`host:port`).
    pub async fn start(target: String) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let gate = Self {
            addr: listener.local_addr()?,
            target,
            tasks: Arc::default(),
        };
        gate.serve(listener);
        Ok(gate)
    }

    /// From now on connections are refused, and the open ones are cut.
    pub fn refuse(&self) {
        if let Ok(mut all) = self.tasks.lock() {
            all.drain(..).for_each(|t| t.abort());
        }
    }

    /// Accepts connections again, on the same port.
    pub async fn open(&self) -> anyhow::Result<()> {
        // The closed listener goes away with its aborted task, an instant after `refuse`.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    anyhow::bail!("cannot listen on {} again: {e}", self.addr)
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        self.serve(listener);
        Ok(())
    }

    fn serve(&self, listener: TcpListener) {
        let (target, all) = (self.target.clone(), self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                if let Ok(mut all) = all.lock() {
                    all.push(relay.abort_handle());
                }
            }
        });
        if let Ok(mut all) = self.tasks.lock() {
            all.push(accept.abort_handle());
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.refuse();
    }
}
