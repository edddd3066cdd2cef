// Shared test data: parsing JSON that must be valid, and the example documents in data/examples.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json/node.hpp"

namespace su::test {

// Parses `text`, failing the current test (with the parser's message) if it is not JSON.
GRef<JsonNode> parseOk(std::string_view text);

// Path of a file under tests/data (SU_TEST_DATA_DIR): tests/data/tls has the test CA and pairs.
std::string testDataPath(const std::string& relative);

std::string examplePath(const std::string& name);
std::string readExample(const std::string& name);

// The shipped example requests (one per source kind) and job envelopes.
const std::vector<std::string>& exampleRequests();
const std::vector<std::string>& exampleEnvelopes();
// Every secret value the examples carry: none may appear in any redacted output.
const std::vector<std::string>& exampleSecrets();

}  // namespace su::test
