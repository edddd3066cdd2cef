// The cluster's error codes (every cluster file reports in this domain), and the cluster key:
// what keeps a broadcast's secrets (mountpoint and room secrets, RTSP and OBS
// passwords, stream keys in URLs) out of Redis in clear. Owner records carry the request sealed
// with AES-256-GCM (GnuTLS); any node with the key can open it to adopt the broadcast.
//
// The key is 32 random bytes, written as base64 (`streaming-utils cluster keygen`), kept in a
// file readable by the service only. A sealed text is bound to what it belongs to (the
// broadcast id, as associated data): moved to another record it does not open.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace su::cluster {

enum class ClusterError {
  InvalidKey = 1,  // not 32 bytes of base64
  Unsealable,      // not sealed with this key, altered, or sealed for another record
  Crypto,          // GnuTLS refused (the message says what)
  NodeIdInUse,     // a live node holds this node id
  BadReply,        // Redis answered something the cluster never writes
  OwnerSilent,     // a stop sent to a broadcast's owner was not done in time
  NoLease,         // this node holds no lease now (not joined yet, or fenced)
};
GQuark errorDomainOf(ClusterError);

class ClusterKey {
 public:
  static constexpr std::size_t kBytes = 32;

  // From its base64 text (surrounding whitespace ignored).
  static Result<ClusterKey> fromBase64(std::string_view text);
  // A new random key, as base64.
  static Result<std::string> generate();

  // "v1:" + base64(nonce | ciphertext | tag), with a fresh random nonce each time.
  Result<std::string> seal(std::string_view plaintext, std::string_view boundTo) const;
  Result<std::string> open(std::string_view sealed, std::string_view boundTo) const;

 private:
  explicit ClusterKey(std::vector<unsigned char> bytes) : bytes_(std::move(bytes)) {}
  std::vector<unsigned char> bytes_;
};

}  // namespace su::cluster
