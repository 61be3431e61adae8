//! HTTP clients plugged into the SDK below the signing layer: recording, replaying, and
//! fault-injecting transports.
