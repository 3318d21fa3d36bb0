//! A watch on how each request on a connection frames its body.
//!
//! RFC 9112 §6.1: a request with both `Content-Length` and
//! `Transfer-Encoding` may be read differently by a proxy in front of the
//! gateway and by the gateway, which is how requests are smuggled. nginx and
//! Envoy refuse such a request with 400; so does the gateway. hyper, which
//! parses requests, reads the body by `Transfer-Encoding` and drops
//! `Content-Length` before the request reaches the gateway, so the gateway
//! watches the bytes itself: [`Watched`] wraps the connection, finds each
//! request head (and skips each body, by its length or its chunks) and
//! queues what it saw, in order, for the handler to take with
//! [`Heads::next`].
//!
//! The watch also keeps each head's header names as the client spelled
//! them ([`Spellings`]): hyper hands the server lower-cased names, and its
//! `preserve_header_case` option keeps the spelling in a request extension
//! whose type hyper does not export, while API Gateway shows templates the
//! client's spelling (`$input.params().header` holds `Content-Type`, not
//! `content-type`).
//!
//! It only reads what hyper reads, never ahead of it. When it cannot follow
//! (a head larger than it keeps, an upgrade, bytes that are not HTTP/1), it
//! stops watching that connection and says so: requests are then served as
//! hyper framed them.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What the watch saw of one request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One way to frame the body, or none.
    Clear,
    /// Both `Content-Length` and `Transfer-Encoding`.
    Ambiguous,
}

/// What the watch saw of one request head: its framing and the spelling of
/// its header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub framing: Framing,
    pub spellings: Spellings,
}

impl Head {
    /// What is known of a head the watch could not follow: nothing.
    fn unknown() -> Self {
        Self {
            framing: Framing::Clear,
            spellings: Spellings::default(),
        }
    }
}

/// A request's header names as the client spelled them, in the order it
/// sent them; empty when every name was lower-case already (or the watch
/// could not follow). One string, the names joined by line feeds, which a
/// header name cannot hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spellings(String);

impl Spellings {
    fn of(headers: &[httparse::Header<'_>]) -> Self {
        if headers
            .iter()
            .all(|h| !h.name.bytes().any(|b| b.is_ascii_uppercase()))
        {
            return Self::default();
        }
        let mut names = String::with_capacity(headers.iter().map(|h| h.name.len() + 1).sum());
        for (i, header) in headers.iter().enumerate() {
            if i > 0 {
                names.push('\n');
            }
            names.push_str(header.name);
        }
        Self(names)
    }

    /// How the client spelled the `nth` (from 0) header named `name`, in any
    /// case; `None` when the watch does not know.
    pub fn get(&self, name: &str, nth: usize) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        self.0
            .split('\n')
            .filter(|spelled| spelled.eq_ignore_ascii_case(name))
            .nth(nth)
    }
}

/// The heads seen on one connection, in order.
#[derive(Debug, Default)]
pub struct Heads {
    state: Mutex<Queue>,
}

#[derive(Debug, Default)]
struct Queue {
    heads: VecDeque<Head>,
    /// The watch stopped following the connection.
    lost: bool,
}

impl Heads {
    /// The head of the next request hyper hands over. A `Clear` framing
    /// and no spellings when the watch could not follow the connection.
    pub fn next(&self) -> Head {
        let mut queue = self.state.lock().unwrap_or_else(|e| e.into_inner());
        queue.heads.pop_front().unwrap_or_else(Head::unknown)
    }

    fn push(&self, head: Head) {
        let mut queue = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !queue.lost {
            queue.heads.push_back(head);
        }
    }

    fn lose(&self) {
        let mut queue = self.state.lock().unwrap_or_else(|e| e.into_inner());
        queue.lost = true;
        queue.heads.clear();
    }
}

/// The largest request head the watch keeps while looking for its end. The
/// gateway refuses heads over `limits.max_header_bytes` (10 KiB by default)
/// anyway; past this the watch stops.
const MAX_HEAD: usize = 64 * 1024;

/// Where the watch is in the byte stream.
#[derive(Debug)]
enum State {
    /// In a request head; the bytes so far.
    Head(Vec<u8>),
    /// In a body of known length: the bytes left.
    Body(u64),
    /// In a chunk-size line; the bytes so far.
    ChunkSize(Vec<u8>),
    /// In a chunk's data: the bytes left, then its CRLF.
    ChunkData(u64),
    /// After a chunk's data: the line end to skip.
    ChunkEnd,
    /// In the trailer section; the length of the current line.
    Trailers(usize),
    /// Not following the connection any more.
    Lost,
}

/// A connection whose request framing is watched.
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    state: State,
    heads: Arc<Heads>,
}

impl<S> Watched<S> {
    pub fn new(inner: S) -> (Self, Arc<Heads>) {
        let heads = Arc::new(Heads::default());
        (
            Self {
                inner,
                state: State::Head(Vec::new()),
                heads: heads.clone(),
            },
            heads,
        )
    }

    /// Follows `bytes`, which hyper just read.
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let used = match &mut self.state {
                State::Lost => return,
                State::Head(head) => {
                    // Blank lines before a request line are skipped, as
                    // parsers do.
                    if head.is_empty() {
                        let skip = bytes
                            .iter()
                            .position(|b| *b != b'\r' && *b != b'\n')
                            .unwrap_or(bytes.len());
                        if skip > 0 {
                            bytes = &bytes[skip..];
                            continue;
                        }
                    }
                    let before = head.len();
                    let take = bytes.len().min(MAX_HEAD + 4 - before);
                    head.extend_from_slice(&bytes[..take]);
                    match head_end(head, before) {
                        Some(end) => {
                            self.state = self.head_done(end);
                            end - before
                        }
                        None if head.len() > MAX_HEAD => {
                            self.lose();
                            return;
                        }
                        None => take,
                    }
                }
                State::Body(left) => {
                    let used = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    *left -= used as u64;
                    if *left == 0 {
                        self.state = State::Head(Vec::new());
                    }
                    used
                }
                State::ChunkSize(line) => match bytes.iter().position(|b| *b == b'\n') {
                    Some(at) => {
                        line.extend_from_slice(&bytes[..at]);
                        self.state = match chunk_size(line) {
                            Some(0) => State::Trailers(0),
                            Some(size) => State::ChunkData(size),
                            None => {
                                self.lose();
                                return;
                            }
                        };
                        at + 1
                    }
                    None if line.len() + bytes.len() > 1024 => {
                        self.lose();
                        return;
                    }
                    None => {
                        line.extend_from_slice(bytes);
                        bytes.len()
                    }
                },
                State::ChunkData(left) => {
                    let used = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    *left -= used as u64;
                    if *left == 0 {
                        self.state = State::ChunkEnd;
                    }
                    used
                }
                State::ChunkEnd => match bytes.iter().position(|b| *b == b'\n') {
                    Some(at) => {
                        self.state = State::ChunkSize(Vec::new());
                        at + 1
                    }
                    None => bytes.len(),
                },
                State::Trailers(line) => match bytes.iter().position(|b| *b == b'\n') {
                    Some(at) => {
                        // An empty line (a lone CR at most) ends the
                        // trailers; a trailer field is longer.
                        let blank = *line + at <= 1;
                        self.state = if blank {
                            State::Head(Vec::new())
                        } else {
                            State::Trailers(0)
                        };
                        at + 1
                    }
                    None => {
                        *line += bytes.len();
                        bytes.len()
                    }
                },
            };
            bytes = &bytes[used..];
        }
    }

    /// A whole head is in the buffer, `end` bytes long: queue its framing and
    /// say where its body ends.
    fn head_done(&mut self, end: usize) -> State {
        let State::Head(head) = &self.state else {
            return State::Lost;
        };
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut request = httparse::Request::new(&mut headers);
        if !matches!(
            request.parse(&head[..end]),
            Ok(httparse::Status::Complete(_))
        ) {
            self.heads.lose();
            return State::Lost;
        }
        let mut length = None;
        let mut chunked = false;
        let mut transfer_encoding = false;
        let mut upgrade = request.method == Some("CONNECT");
        for header in request.headers.iter() {
            if header.name.eq_ignore_ascii_case("content-length") {
                length = std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .or(Some(u64::MAX));
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                transfer_encoding = true;
                chunked = header
                    .value
                    .rsplit(|b| *b == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            } else if header.name.eq_ignore_ascii_case("upgrade") {
                upgrade = true;
            }
        }
        let spellings = Spellings::of(request.headers);
        if length.is_some() && transfer_encoding {
            self.heads.push(Head {
                framing: Framing::Ambiguous,
                spellings,
            });
            // The connection is closed after the refusal.
            return State::Lost;
        }
        self.heads.push(Head {
            framing: Framing::Clear,
            spellings,
        });
        match (length, chunked) {
            _ if upgrade => {
                self.heads.lose();
                State::Lost
            }
            (_, true) => State::ChunkSize(Vec::new()),
            (Some(0) | None, false) => State::Head(Vec::new()),
            // A length that does not parse: hyper refuses the request.
            (Some(u64::MAX), false) => {
                self.heads.lose();
                State::Lost
            }
            (Some(n), false) => State::Body(n),
        }
    }

    fn lose(&mut self) {
        self.heads.lose();
        self.state = State::Lost;
    }
}

/// The end of a request head (after its blank line) in `head`, looking from a
/// little before `from`, where the new bytes start.
fn head_end(head: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    let window = &head[start..];
    let crlf = window
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4);
    let lf = window
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|at| at + 2);
    let at = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    Some(start + at)
}

/// The size of a chunk-size line (`1a;ext=1\r`), hexadecimal.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line.split(|b| *b == b';').next()?.trim_ascii();
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.feed(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The framings seen when `stream` arrives in pieces of `piece` bytes.
    fn watch(stream: &[u8], piece: usize) -> (Vec<Framing>, bool) {
        let (mut watched, heads) = Watched::new(());
        for part in stream.chunks(piece.max(1)) {
            watched.feed(part);
        }
        let queue = heads.state.lock().unwrap();
        (queue.heads.iter().map(|h| h.framing).collect(), queue.lost)
    }

    /// A request whose body, `body`, is framed by its length.
    fn with_length(path: &str, body: &str) -> String {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn follows_bodies_by_length_and_by_chunks_in_any_pieces() {
        let mut stream = with_length("/a", "hello");
        stream.push_str("POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n");
        stream.push_str("GET /c HTTP/1.1\r\nHost: x\r\n\r\n\r\n");
        // A body that holds a request head is a body.
        stream.push_str(&with_length("/d", "Content-Length: 1\r\n\r\nabcd"));
        // The last head is only seen if every body before it ended where it should.
        stream.push_str(
            "GET /e HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let mut expected = vec![Framing::Clear; 4];
        expected.push(Framing::Ambiguous);
        for piece in [1, 2, 3, 7, 64, stream.len()] {
            assert_eq!(
                watch(stream.as_bytes(), piece).0,
                expected,
                "in pieces of {piece}"
            );
        }
    }

    #[test]
    fn a_head_with_both_framings_is_ambiguous_whatever_their_order() {
        let cl_first = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let te_first = b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n";
        for stream in [&cl_first[..], &te_first[..]] {
            assert_eq!(watch(stream, 5).0, vec![Framing::Ambiguous]);
        }
        // After a clear request, on the same connection.
        let mut stream = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
        stream.extend_from_slice(te_first);
        assert_eq!(
            watch(&stream, 4).0,
            vec![Framing::Clear, Framing::Ambiguous]
        );
    }

    #[test]
    fn a_body_that_looks_like_headers_is_not_mistaken_for_a_head() {
        let mut stream = with_length(
            "/a",
            "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        stream.push_str("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            watch(stream.as_bytes(), 3),
            (vec![Framing::Clear, Framing::Clear], false)
        );
    }

    #[test]
    fn what_it_cannot_follow_stops_the_watch() {
        let upgrade = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n";
        assert_eq!(watch(upgrade, 8), (Vec::new(), true));
        let http2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        assert_eq!(watch(http2, 8), (Vec::new(), true));
        let huge = vec![b'a'; MAX_HEAD + 10];
        assert_eq!(watch(&huge, 4096), (Vec::new(), true));
        // A lost watch answers Clear: requests are served as hyper framed them.
        let (mut watched, heads) = Watched::new(());
        watched.feed(http2);
        assert_eq!(heads.next(), Head::unknown());
    }

    #[test]
    fn header_names_keep_the_client_spelling_in_order() {
        let (mut watched, heads) = Watched::new(());
        let stream = concat!(
            "GET /a HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nuser-agent: t\r\n",
            "X-Tag: 1\r\nx-TAG: 2\r\n\r\n",
            "GET /b HTTP/1.1\r\nhost: x\r\naccept: */*\r\n\r\n",
        );
        for part in stream.as_bytes().chunks(5) {
            watched.feed(part);
        }
        let first = heads.next().spellings;
        assert_eq!(first.get("content-type", 0), Some("Content-Type"));
        assert_eq!(first.get("host", 0), Some("Host"));
        assert_eq!(first.get("user-agent", 0), Some("user-agent"));
        assert_eq!(first.get("x-tag", 0), Some("X-Tag"));
        assert_eq!(first.get("x-tag", 1), Some("x-TAG"));
        assert_eq!(first.get("x-tag", 2), None);
        assert_eq!(first.get("accept", 0), None);
        // All lower-case: nothing kept, the names are right as they are.
        let second = heads.next().spellings;
        assert_eq!(second, Spellings::default());
        assert_eq!(second.get("host", 0), None);
    }

    #[test]
    fn chunk_sizes_are_hexadecimal_with_extensions() {
        assert_eq!(chunk_size(b"1a\r"), Some(26));
        assert_eq!(chunk_size(b"0;name=value\r"), Some(0));
        assert_eq!(chunk_size(b"zz\r"), None);
        assert_eq!(chunk_size(b"\r"), None);
        assert_eq!(chunk_size(b"11111111111111111\r"), None);
    }
}
