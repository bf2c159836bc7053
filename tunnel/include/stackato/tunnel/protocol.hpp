#pragma once
// The tunnel protocol between `stackato tunnel` and the helper app (see tunnel/PROTOCOL.md).

namespace stackato::tunnel {

// Bumped when the helper and the client would no longer understand each other.
constexpr int kProtocolVersion = 1;
// The helper's own version: a client finding another one updates the helper in place.
constexpr const char* kHelperVersion = "1.0";
// The shared secret, on every request.
constexpr const char* kAuthHeader = "X-Tunnel-Auth";
// Sent as a text message: the sender will send no more bytes (TCP half-close).
constexpr const char* kEof = "eof";

}  // namespace stackato::tunnel
