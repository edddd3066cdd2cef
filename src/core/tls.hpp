// TLS material from PEM files, for the node's own server (the HTTP API) and its clients (Redis):
// checked when loaded, so that a pair that cannot serve is refused at startup and on a reload,
// not at the first handshake. Errors name the files and what is wrong, never their contents.
#pragma once

#include <gio/gio.h>

#include <string>

#include "core/gref.hpp"
#include "core/result.hpp"

namespace su::tls {

enum class TlsError { Unusable = 1 };
GQuark errorDomainOf(TlsError);

// A certificate (with the chain that follows it in the file) and its private key: both parse,
// the key is the certificate's (and not encrypted), and the certificate is valid now.
Result<GRef<GTlsCertificate>> loadPair(const std::string& certificateFile,
                                       const std::string& keyFile);
// The certificate authorities of a PEM file, to check a peer against.
Result<GRef<GTlsDatabase>> loadAuthorities(const std::string& caFile);
// A short, stable name of a certificate for logs: its SHA-256 fingerprint's first bytes.
std::string fingerprint(GTlsCertificate* certificate);

}  // namespace su::tls
