//! An HTTP backend that records every request it receives, as it received
//! it, and answers each with the reply the test set: the stand-in for a
//! service behind an `http_proxy` integration.

use std::sync::{Arc, Mutex};

use super::local_server::{LocalServer, response};

/// One request, as it reached the backend.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The request target: the path and the query string, as sent.
    pub target: String,
    /// Headers in order, repeats kept; names lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    /// Every value of header `name`, in order.
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// What the backend answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// In order, repeats kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// `status` with a JSON `body`.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }
}

pub struct Recorder {
    server: LocalServer,
    received: Arc<Mutex<Vec<Received>>>,
    reply: Arc<Mutex<Reply>>,
}

impl Recorder {
    /// A backend answering `200 {}` until told otherwise.
    pub fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let reply = Arc::new(Mutex::new(Reply::json(200, &serde_json::json!({}))));
        let (log, answer) = (received.clone(), reply.clone());
        let server = LocalServer::start(Arc::new(move |parts: http::request::Parts, body| {
            log.lock().unwrap().push(Received {
                method: parts.method.to_string(),
                target: parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: body.to_vec(),
            });
            let reply = answer.lock().unwrap().clone();
            response(reply.status, &reply.headers, reply.body)
        }));
        Self {
            server,
            received,
            reply,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// Answers the next requests with `reply`.
    pub fn reply(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }

    /// The last request received.
    pub fn last(&self) -> Received {
        self.received
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("the backend received no request")
    }

    /// How many requests it received.
    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}
