//! Socket Mode over WebSocket: `hello`, envelopes out, acks in.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::{Ack, Ephemeral, Event, Inner, Socket, Via, lock};

pub(super) async fn serve_socket(inner: Arc<Inner>, stream: tokio::net::TcpStream) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<WsMessage>();
    let id = inner.seq.fetch_add(1, Ordering::Relaxed);
    let hello = json!({
        "type": "hello",
        "num_connections": lock(&inner.sockets).len() + 1,
        "connection_info": {"app_id": "A0LOCAL"},
        "debug_info": {"host": "local-slack", "build_number": 1, "approximate_connection_time": 3600},
    });
    if sink.send(WsMessage::text(hello.to_string())).await.is_err() {
        return;
    }
    lock(&inner.sockets).push(Socket {
        id,
        tx,
        draining: false,
    });
    inner.record(|r| {
        r.connections_opened += 1;
        None
    });
    let writer = async {
        while let Some(msg) = rx.recv().await {
            let closing = matches!(msg, WsMessage::Close(_));
            if sink.send(msg).await.is_err() || closing {
                break;
            }
        }
    };
    let reader = async {
        while let Some(Ok(msg)) = source.next().await {
            let WsMessage::Text(text) = msg else {
                if matches!(msg, WsMessage::Close(_)) {
                    break;
                }
                continue;
            };
            let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                tracing::warn!(frame = %text, "local Slack got a frame that is not JSON");
                continue;
            };
            let Some(envelope_id) = frame
                .get("envelope_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            let latency = lock(&inner.sent).get(&envelope_id).map(Instant::elapsed);
            let payload = frame.get("payload").cloned();
            inner.record(|r| {
                r.acks.push(Ack {
                    envelope_id: envelope_id.clone(),
                    payload: payload.clone(),
                    latency,
                });
                let payload =
                    payload.filter(|p| p.get("text").is_some() || p.get("blocks").is_some())?;
                let eph = Ephemeral::from_message(Via::Ack(envelope_id), &payload);
                r.ephemerals.push(eph.clone());
                Some(Event::Ephemeral(eph))
            });
        }
    };
    tokio::select! {
        () = writer => {}
        () = reader => {}
    }
    lock(&inner.sockets).retain(|s| s.id != id);
    inner.record(|_| None);
}
