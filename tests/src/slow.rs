//! A TCP proxy that holds every chunk a client sends for a while before passing it on: a slow
//! network between one process and the Temporal frontend, so work the process has started is
//! still in flight when the test does the next thing (such as stopping it). It can also stall
//! outright (nothing more is passed on), and dropping it cuts every connection, so what was
//! held never arrives.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The running proxy; stops when dropped.
pub struct SlowProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    stalled: Arc<AtomicBool>,
    tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl SlowProxy {
    /// Proxies `127.0.0.1:<port>` to `target`, delaying what clients send by `delay`.
    pub async fn start(target: String, delay: Duration) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stalled = Arc::new(AtomicBool::new(false));
        let tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (stall, all) = (stalled.clone(), tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (target, stall) = (target.clone(), stall.clone());
                let relay = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&target).await {
                        relay(client, server, delay, stall).await;
                    }
                });
                if let Ok(mut all) = all.lock() {
                    all.push(relay.abort_handle());
                }
            }
        });
        if let Ok(mut all) = tasks.lock() {
            all.push(accept.abort_handle());
        }
        Ok(Self {
            addr,
            stalled,
            tasks,
        })
    }

    /// From now on nothing clients send is passed on (a network partition).
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    /// `http://` URL of the proxy, for a `CHATOPS__TEMPORAL__ADDRESS`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SlowProxy {
    fn drop(&mut self) {
        if let Ok(all) = self.tasks.lock() {
            all.iter().for_each(tokio::task::AbortHandle::abort);
        }
    }
}

async fn relay(client: TcpStream, server: TcpStream, delay: Duration, stalled: Arc<AtomicBool>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            tokio::time::sleep(delay).await;
            while stalled.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downstream = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}
