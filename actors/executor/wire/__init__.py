"""The executor's venue side: HTTP/1.1, REST, signing, transports, the requests in flight, credentials and
the order heartbeat."""
