// What the node trusts a peer with: the bearer token's comparison, and the TLS pairs and CA files
// it loads (refused at load when they cannot serve, with the file named and nothing of its
// contents).
#include <gtest/gtest.h>

#include "core/secret.hpp"
#include "core/tls.hpp"
#include "support/test_data.hpp"

namespace su {
namespace {

TEST(SameSecret, OnlyTheWholeSecretMatches) {
  EXPECT_TRUE(sameSecret("serve-token-1", "serve-token-1"));
  EXPECT_FALSE(sameSecret("serve-token-2", "serve-token-1"));
  EXPECT_FALSE(sameSecret("serve-token", "serve-token-1"));
  EXPECT_FALSE(sameSecret("serve-token-1x", "serve-token-1"));
  EXPECT_FALSE(sameSecret("", "serve-token-1"));
}

// It divided by the expected secret's length: an empty one crashed the process on the first
// request that carried any token.
TEST(SameSecret, AnEmptyExpectedSecretMatchesNothing) {
  EXPECT_FALSE(sameSecret("anything", ""));
  EXPECT_FALSE(sameSecret("", ""));
}

std::string tlsFile(const std::string& name) {
  return test::testDataPath("tls/" + name);
}

TEST(TlsPair, ACertificateAndItsKeyLoad) {
  auto pair = tls::loadPair(tlsFile("server.pem"), tlsFile("server.key"));
  ASSERT_TRUE(pair) << pair.error().message;
  auto second = tls::loadPair(tlsFile("server2.pem"), tlsFile("server2.key"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(tls::fingerprint(pair->get()).size(), 16u);
  EXPECT_NE(tls::fingerprint(pair->get()), tls::fingerprint(second->get()));
}

TEST(TlsPair, APairThatCannotServeIsRefusedWithItsFilesNamed) {
  auto mismatched = tls::loadPair(tlsFile("server.pem"), tlsFile("server2.key"));
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message.find("the key is not the certificate's"), std::string::npos)
      << mismatched.error().message;
  EXPECT_NE(mismatched.error().message.find("server2.key"), std::string::npos);

  auto expired = tls::loadPair(tlsFile("expired.pem"), tlsFile("expired.key"));
  ASSERT_FALSE(expired);
  EXPECT_NE(expired.error().message.find("expired at 2020-01-02"), std::string::npos)
      << expired.error().message;

  auto missing = tls::loadPair(tlsFile("nope.pem"), tlsFile("server.key"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);

  // A key where the certificate goes: nothing of either file is quoted back.
  auto swapped = tls::loadPair(tlsFile("server.key"), tlsFile("server.pem"));
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().message.find("PRIVATE KEY"), std::string::npos)
      << swapped.error().message;
  EXPECT_EQ(swapped.error().message.find("MII"), std::string::npos) << swapped.error().message;
}

TEST(TlsAuthorities, ACaFileLoadsAndAMissingOneIsNamed) {
  EXPECT_TRUE(tls::loadAuthorities(tlsFile("ca.pem")));
  auto missing = tls::loadAuthorities(tlsFile("missing-ca.pem"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing-ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace su
