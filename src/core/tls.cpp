#include "core/tls.hpp"

#include <gnutls/gnutls.h>

#include <optional>

namespace su::tls {

namespace {

Error unusable(std::string message) {
  return makeError(TlsError::Unusable, std::move(message));
}

// GIO loads a key that is not the certificate's without a word (the handshake fails later);
// GnuTLS, which GIO's backend uses, checks the pair.
std::optional<std::string> mismatch(const std::string& certificateFile,
                                    const std::string& keyFile) {
  gnutls_certificate_credentials_t credentials = nullptr;
  if (gnutls_certificate_allocate_credentials(&credentials) < 0) return "out of memory";
  const int status = gnutls_certificate_set_x509_key_file2(
      credentials, certificateFile.c_str(), keyFile.c_str(), GNUTLS_X509_FMT_PEM, nullptr, 0);
  gnutls_certificate_free_credentials(credentials);
  if (status >= 0) return std::nullopt;
  if (status == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) return "the key is not the certificate's";
  if (status == GNUTLS_E_DECRYPTION_FAILED)
    return "the key is encrypted (give it unencrypted, readable by the service only)";
  return gnutls_strerror(status);
}

}  // namespace

GQuark errorDomainOf(TlsError) {
  return g_quark_from_static_string("su-tls-error");
}

Result<GRef<GTlsCertificate>> loadPair(const std::string& certificateFile,
                                       const std::string& keyFile) {
  const std::string pair = certificateFile + " and " + keyFile;
  GUnique<GError> error;
  auto certificate = GRef<GTlsCertificate>::adopt(
      g_tls_certificate_new_from_files(certificateFile.c_str(), keyFile.c_str(), error.outPtr()));
  if (!certificate) return unusable("TLS pair " + pair + ": " + error->message);
  if (auto why = mismatch(certificateFile, keyFile))
    return unusable("TLS pair " + pair + ": " + *why);
  GDateTime* notBefore = nullptr;
  GDateTime* notAfter = nullptr;
  g_object_get(certificate.get(), "not-valid-before", &notBefore, "not-valid-after", &notAfter,
               nullptr);
  auto before = GUnique<GDateTime>::adopt(notBefore);
  auto after = GUnique<GDateTime>::adopt(notAfter);
  auto now = GUnique<GDateTime>::adopt(g_date_time_new_now_utc());
  auto text = [](GDateTime* time) {
    return std::string(GUnique<char>::adopt(g_date_time_format_iso8601(time)).get());
  };
  if (before && g_date_time_compare(now.get(), before.get()) < 0)
    return unusable(certificateFile + ": the certificate is not valid before " +
                    text(before.get()));
  if (after && g_date_time_compare(now.get(), after.get()) > 0)
    return unusable(certificateFile + ": the certificate expired at " + text(after.get()));
  return certificate;
}

Result<GRef<GTlsDatabase>> loadAuthorities(const std::string& caFile) {
  // GIO's file database reads the file only when it first checks a peer, and wants its path
  // absolute: both checked here.
  GUnique<GError> error;
  GList* certificates = g_tls_certificate_list_new_from_file(caFile.c_str(), error.outPtr());
  if (error) return unusable("CA file " + caFile + ": " + error->message);
  const bool none = certificates == nullptr;
  g_list_free_full(certificates, g_object_unref);
  if (none) return unusable("CA file " + caFile + ": no certificate in it");
  auto absolute = GUnique<char>::adopt(g_canonicalize_filename(caFile.c_str(), nullptr));
  auto database =
      GRef<GTlsDatabase>::adopt(g_tls_file_database_new(absolute.get(), error.outPtr()));
  if (!database) return unusable("CA file " + caFile + ": " + error->message);
  return database;
}

std::string fingerprint(GTlsCertificate* certificate) {
  GByteArray* der = nullptr;
  g_object_get(certificate, "certificate", &der, nullptr);
  if (!der) return "?";
  auto sum =
      GUnique<char>::adopt(g_compute_checksum_for_data(G_CHECKSUM_SHA256, der->data, der->len));
  g_byte_array_unref(der);
  return std::string(sum.get()).substr(0, 16);
}

}  // namespace su::tls
