// Comparing a secret a peer gave with the one expected (a bearer token), in time that does not
// depend on where they differ.
#pragma once

#include <string_view>

namespace su {

// Equal, found without telling where they differ (nor, beyond its length, anything of
// `expected`). An empty `expected` matches nothing: no secret is not a secret anyone has.
bool sameSecret(std::string_view given, std::string_view expected) noexcept;

}  // namespace su
