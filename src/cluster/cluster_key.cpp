#include "cluster/cluster_key.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <memory>
#include <optional>

#include "core/gref.hpp"

namespace su::cluster {

namespace {

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::string_view kVersion = "v1:";

struct CipherDeleter {
  void operator()(gnutls_aead_cipher_hd_t handle) const { gnutls_aead_cipher_deinit(handle); }
};
using Cipher = std::unique_ptr<std::remove_pointer_t<gnutls_aead_cipher_hd_t>, CipherDeleter>;

Error cryptoError(const char* step, int code) {
  return makeError(ClusterError::Crypto, std::string(step) + ": " + gnutls_strerror(code));
}

Result<Cipher> cipherOf(const std::vector<unsigned char>& key) {
  gnutls_datum_t datum{const_cast<unsigned char*>(key.data()), static_cast<unsigned>(key.size())};
  gnutls_aead_cipher_hd_t handle = nullptr;
  if (int code = gnutls_aead_cipher_init(&handle, GNUTLS_CIPHER_AES_256_GCM, &datum); code < 0)
    return cryptoError("AES-256-GCM", code);
  return Cipher(handle);
}

std::string base64(const unsigned char* data, std::size_t size) {
  auto text = GUnique<char>::adopt(g_base64_encode(data, size));
  return text.get();
}

// Decodes strict base64 (g_base64_decode skips what is not base64; this refuses it).
std::optional<std::vector<unsigned char>> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  for (char c : text) {
    if (!g_ascii_isalnum(c) && c != '+' && c != '/' && c != '=') return std::nullopt;
  }
  const std::string copy(text);
  gsize size = 0;
  guchar* bytes = g_base64_decode(copy.c_str(), &size);
  std::vector<unsigned char> decoded(bytes, bytes + size);
  g_free(bytes);
  return decoded;
}

}  // namespace

GQuark errorDomainOf(ClusterError) {
  return g_quark_from_static_string("su-cluster-error-quark");
}

Result<ClusterKey> ClusterKey::fromBase64(std::string_view text) {
  while (!text.empty() && g_ascii_isspace(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && g_ascii_isspace(text.back()))
    text.remove_suffix(1);
  auto bytes = unbase64(text);
  if (!bytes || bytes->size() != kBytes) {
    return makeError(ClusterError::InvalidKey,
                     "the cluster key is not 32 bytes of base64 (make one with "
                     "`streaming-utils cluster keygen`)");
  }
  return ClusterKey(std::move(*bytes));
}

Result<std::string> ClusterKey::generate() {
  unsigned char bytes[kBytes];
  if (int code = gnutls_rnd(GNUTLS_RND_KEY, bytes, sizeof bytes); code < 0)
    return cryptoError("random key", code);
  std::string text = base64(bytes, sizeof bytes);
  gnutls_memset(bytes, 0, sizeof bytes);
  return text;
}

Result<std::string> ClusterKey::seal(std::string_view plaintext, std::string_view boundTo) const {
  auto cipher = cipherOf(bytes_);
  if (!cipher) return cipher.error();
  std::vector<unsigned char> out(kNonceBytes + plaintext.size() + kTagBytes);
  if (int code = gnutls_rnd(GNUTLS_RND_NONCE, out.data(), kNonceBytes); code < 0)
    return cryptoError("random nonce", code);
  std::size_t sealedSize = out.size() - kNonceBytes;
  if (int code = gnutls_aead_cipher_encrypt(
          cipher->get(), out.data(), kNonceBytes, boundTo.data(), boundTo.size(), kTagBytes,
          plaintext.data(), plaintext.size(), out.data() + kNonceBytes, &sealedSize);
      code < 0) {
    return cryptoError("sealing", code);
  }
  return std::string(kVersion) + base64(out.data(), kNonceBytes + sealedSize);
}

Result<std::string> ClusterKey::open(std::string_view sealed, std::string_view boundTo) const {
  const Error unsealable =
      makeError(ClusterError::Unsealable,
                "a sealed secret does not open: another cluster key, or it was altered or moved");
  if (!sealed.starts_with(kVersion)) return unsealable;
  auto bytes = unbase64(sealed.substr(kVersion.size()));
  if (!bytes || bytes->size() < kNonceBytes + kTagBytes) return unsealable;
  auto cipher = cipherOf(bytes_);
  if (!cipher) return cipher.error();
  std::string plaintext(bytes->size() - kNonceBytes - kTagBytes, '\0');
  std::size_t size = plaintext.size();
  if (gnutls_aead_cipher_decrypt(cipher->get(), bytes->data(), kNonceBytes, boundTo.data(),
                                 boundTo.size(), kTagBytes, bytes->data() + kNonceBytes,
                                 bytes->size() - kNonceBytes, plaintext.data(), &size) < 0) {
    return unsealable;
  }
  plaintext.resize(size);
  return plaintext;
}

}  // namespace su::cluster
