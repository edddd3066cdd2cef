#include "json/diagnostics.hpp"

#include <algorithm>

namespace su::json {

namespace {

constexpr std::size_t kMaxKeyInPath = 64;

bool isPlainKey(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return g_ascii_isalnum(c) || c == '_' || c == '-';
  });
}

}  // namespace

std::string childPath(std::string_view parent, std::string_view key) {
  std::string path(parent);
  if (isPlainKey(key)) {
    if (!path.empty()) path += '.';
    path += key;
    return path;
  }
  // Unusual keys (dots, spaces, anything a user may have pasted) are quoted and bounded.
  std::string shown(key.substr(0, kMaxKeyInPath));
  std::string escaped;
  for (char c : shown) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      escaped += '?';
      continue;
    }
    escaped += c;
  }
  if (key.size() > kMaxKeyInPath) escaped += "...";
  return path + "[\"" + escaped + "\"]";
}

std::string indexPath(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

}  // namespace su::json
