#include "json/parse.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace su::json {

GQuark errorDomainOf(JsonError) {
  return g_quark_from_static_string("su-json-error");
}

namespace {

constexpr std::size_t kMaxQuotedKey = 64;

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

std::string describeByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
  if (byte < 0x20) return "a control character";
  return "a non-ASCII character";
}

std::string quoteKey(const std::string& key) {
  if (key.size() <= kMaxQuotedKey) return "\"" + key + "\"";
  return "\"" + key.substr(0, kMaxQuotedKey) + "...\"";
}

class Parser {
 public:
  Parser(std::string_view text, ParseLimits limits) : text_(text), limits_(limits) {}

  Result<GRef<JsonNode>> run() {
    if (text_.size() > limits_.maxBytes) {
      return makeError(JsonError::TooLarge, "input is " + std::to_string(text_.size()) +
                                                " bytes; the limit is " +
                                                std::to_string(limits_.maxBytes));
    }
    const gchar* invalid = nullptr;
    if (!g_utf8_validate_len(text_.data(), text_.size(), &invalid)) {
      pos_ = static_cast<std::size_t>(invalid - text_.data());
      return syntaxError("invalid UTF-8 (or a NUL byte)");
    }
    skipWhitespace();
    if (atEnd()) return makeError(JsonError::Syntax, "empty input: expected a JSON value");
    GRef<JsonNode> root = value();
    if (error_) return *error_;
    skipWhitespace();
    if (!atEnd()) return syntaxError("unexpected content after the JSON value");
    return root;
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skipWhitespace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }

  std::string position() const {
    std::size_t line = 1;
    std::size_t lineStart = 0;
    for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        lineStart = i + 1;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(pos_ - lineStart + 1);
  }

  Error syntaxError(const std::string& message, JsonError code = JsonError::Syntax) const {
    return makeError(code, position() + ": " + message);
  }

  // Records the first error; every caller returns at once when a callee failed.
  GRef<JsonNode> fail(const std::string& message, JsonError code = JsonError::Syntax) {
    if (!error_) error_ = syntaxError(message, code);
    return {};
  }

  GRef<JsonNode> unexpected(const char* expected) {
    if (atEnd()) return fail(std::string("unexpected end of input, expected ") + expected);
    return fail("unexpected " + describeByte(peek()) + ", expected " + expected);
  }

  GRef<JsonNode> value() {
    if (atEnd()) return unexpected("a value");
    switch (peek()) {
      case '{':
        return object();
      case '[':
        return array();
      case '"': {
        std::string text;
        if (!readString(text)) return {};
        return stringNode(text);
      }
      case 't':
        return literal("true", booleanNode(true));
      case 'f':
        return literal("false", booleanNode(false));
      case 'n':
        return literal("null", nullNode());
      default:
        if (peek() == '-' || isDigit(peek())) return number();
        return unexpected("a value");
    }
  }

  GRef<JsonNode> literal(std::string_view word, GRef<JsonNode> node) {
    if (text_.substr(pos_, word.size()) != word) return unexpected("a value");
    pos_ += word.size();
    return node;
  }

  bool enter() {
    if (++depth_ > limits_.maxDepth) {
      fail("nesting deeper than " + std::to_string(limits_.maxDepth) + " levels",
           JsonError::TooDeep);
      return false;
    }
    return true;
  }

  GRef<JsonNode> object() {
    if (!enter()) return {};
    ++pos_;  // '{'
    auto members = GRef<JsonObject>::adopt(json_object_new());
    skipWhitespace();
    if (!atEnd() && peek() == '}') {
      ++pos_;
      --depth_;
      return objectNode(std::move(members));
    }
    while (true) {
      skipWhitespace();
      if (atEnd() || peek() != '"') {
        if (!atEnd() && peek() == '}') return fail("trailing comma before '}'");
        return unexpected("a string key");
      }
      const std::size_t keyStart = pos_;
      std::string key;
      if (!readString(key)) return {};
      if (json_object_has_member(members.get(), key.c_str())) {
        pos_ = keyStart;
        return fail("duplicate key " + quoteKey(key));
      }
      skipWhitespace();
      if (atEnd() || peek() != ':') return unexpected("':' after an object key");
      ++pos_;
      skipWhitespace();
      GRef<JsonNode> member = value();
      if (error_) return {};
      json_object_set_member(members.get(), key.c_str(), member.release());
      skipWhitespace();
      if (!atEnd() && peek() == ',') {
        ++pos_;
        continue;
      }
      if (!atEnd() && peek() == '}') {
        ++pos_;
        --depth_;
        return objectNode(std::move(members));
      }
      return unexpected("',' or '}' after an object member");
    }
  }

  GRef<JsonNode> array() {
    if (!enter()) return {};
    ++pos_;  // '['
    auto elements = GRef<JsonArray>::adopt(json_array_new());
    skipWhitespace();
    if (!atEnd() && peek() == ']') {
      ++pos_;
      --depth_;
      return arrayNode(std::move(elements));
    }
    while (true) {
      skipWhitespace();
      if (!atEnd() && peek() == ']') return fail("trailing comma before ']'");
      GRef<JsonNode> element = value();
      if (error_) return {};
      json_array_add_element(elements.get(), element.release());
      skipWhitespace();
      if (!atEnd() && peek() == ',') {
        ++pos_;
        continue;
      }
      if (!atEnd() && peek() == ']') {
        ++pos_;
        --depth_;
        return arrayNode(std::move(elements));
      }
      return unexpected("',' or ']' after an array element");
    }
  }

  std::optional<unsigned> hex4() {
    if (text_.size() - pos_ < 4) return std::nullopt;
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = g_ascii_xdigit_value(text_[pos_ + i]);
      if (digit < 0) return std::nullopt;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    pos_ += 4;
    return value;
  }

  bool readEscape(std::string& out) {
    const char escape = text_[pos_++];
    switch (escape) {
      case '"':
        out += '"';
        return true;
      case '\\':
        out += '\\';
        return true;
      case '/':
        out += '/';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        break;
      default:
        --pos_;
        fail("invalid escape '\\" + std::string(1, escape) + "'");
        return false;
    }
    std::optional<unsigned> unit = hex4();
    if (!unit) {
      fail("invalid \\u escape: expected four hex digits");
      return false;
    }
    gunichar codepoint = *unit;
    if (codepoint >= 0xDC00 && codepoint <= 0xDFFF) {
      fail("invalid \\u escape: unpaired low surrogate");
      return false;
    }
    if (codepoint >= 0xD800 && codepoint <= 0xDBFF) {
      std::optional<unsigned> low;
      if (text_.substr(pos_, 2) == "\\u") {
        pos_ += 2;
        low = hex4();
      }
      if (!low || *low < 0xDC00 || *low > 0xDFFF) {
        fail("invalid \\u escape: high surrogate without a low surrogate");
        return false;
      }
      codepoint = 0x10000 + ((codepoint - 0xD800) << 10) + (*low - 0xDC00);
    }
    if (codepoint == 0) {
      fail("\\u0000 is not supported in strings");
      return false;
    }
    char utf8[6];
    out.append(utf8, static_cast<std::size_t>(g_unichar_to_utf8(codepoint, utf8)));
    return true;
  }

  bool readString(std::string& out) {
    ++pos_;  // opening quote
    while (true) {
      if (atEnd()) {
        fail("unterminated string");
        return false;
      }
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        fail("control character in a string (it must be escaped)");
        return false;
      }
      ++pos_;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (atEnd()) {
        fail("unterminated string");
        return false;
      }
      if (!readEscape(out)) return false;
    }
  }

  GRef<JsonNode> number() {
    const std::size_t start = pos_;
    bool integral = true;
    if (peek() == '-') ++pos_;
    if (atEnd() || !isDigit(peek())) return unexpected("a digit");
    if (peek() == '0' && pos_ + 1 < text_.size() && isDigit(text_[pos_ + 1])) {
      return fail("leading zeros are not allowed in numbers");
    }
    while (!atEnd() && isDigit(peek()))
      ++pos_;
    if (!atEnd() && peek() == '.') {
      integral = false;
      ++pos_;
      if (atEnd() || !isDigit(peek())) return unexpected("a digit after '.'");
      while (!atEnd() && isDigit(peek()))
        ++pos_;
    }
    if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
      integral = false;
      ++pos_;
      if (!atEnd() && (peek() == '+' || peek() == '-')) ++pos_;
      if (atEnd() || !isDigit(peek())) return unexpected("a digit in the exponent");
      while (!atEnd() && isDigit(peek()))
        ++pos_;
    }
    const std::string_view literalText = text_.substr(start, pos_ - start);
    if (integral) {
      gint64 value = 0;
      const auto [end, status] =
          std::from_chars(literalText.data(), literalText.data() + literalText.size(), value);
      if (status != std::errc() || end != literalText.data() + literalText.size()) {
        pos_ = start;
        return fail("integer out of range (it must fit in 64 bits)");
      }
      return integerNode(value);
    }
    const std::string copy(literalText);
    const double value = g_ascii_strtod(copy.c_str(), nullptr);
    if (!std::isfinite(value)) {
      pos_ = start;
      return fail("number out of range");
    }
    return doubleNode(value);
  }

  std::string_view text_;
  ParseLimits limits_;
  std::size_t pos_ = 0;
  unsigned depth_ = 0;
  std::optional<Error> error_;
};

}  // namespace

Result<GRef<JsonNode>> parse(std::string_view text, ParseLimits limits) {
  return Parser(text, limits).run();
}

}  // namespace su::json
