//! Routing: API Gateway resources and methods compiled into a matcher.
