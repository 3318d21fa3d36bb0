//! The integration call: endpoints, SigV4 signing, credentials and the HTTP client.
