#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "json/parse.hpp"
#include "support/test_data.hpp"

namespace su::json {
namespace {

using test::parseOk;

TEST(JsonParse, ReadsEveryKindOfValue) {
  auto node = parseOk(R"( {"s": "x\"\\\/\b\f\n\r\t", "i": -42, "big": 9223372036854775807,
      "min": -9223372036854775808, "d": 2.5e-3, "e": 1E2, "t": true, "f": false, "n": null,
      "a": [1, [], {}], "o": {"nested": {"deep": [null]}}} )");
  ASSERT_TRUE(node);
  JsonObject* object = json_node_get_object(node.get());
  EXPECT_STREQ(json_object_get_string_member(object, "s"), "x\"\\/\b\f\n\r\t");
  EXPECT_EQ(json_object_get_int_member(object, "i"), -42);
  EXPECT_EQ(json_object_get_int_member(object, "big"), INT64_MAX);
  EXPECT_EQ(json_object_get_int_member(object, "min"), INT64_MIN);
  EXPECT_EQ(json_node_get_value_type(json_object_get_member(object, "d")), G_TYPE_DOUBLE);
  EXPECT_DOUBLE_EQ(json_object_get_double_member(object, "d"), 0.0025);
  EXPECT_DOUBLE_EQ(json_object_get_double_member(object, "e"), 100.0);
  EXPECT_TRUE(json_object_get_boolean_member(object, "t"));
  EXPECT_FALSE(json_object_get_boolean_member(object, "f"));
  EXPECT_TRUE(json_object_get_null_member(object, "n"));
  EXPECT_EQ(json_array_get_length(json_object_get_array_member(object, "a")), 3u);
}

TEST(JsonParse, DecodesUnicodeEscapesIncludingSurrogatePairs) {
  auto node = parseOk(R"(["\u00e9\u4e2d\ud83d\ude00", "é中😀"])");
  ASSERT_TRUE(node);
  JsonArray* array = json_node_get_array(node.get());
  EXPECT_STREQ(json_array_get_string_element(array, 0), "é中😀");
  EXPECT_STREQ(json_array_get_string_element(array, 1), "é中😀");
}

TEST(JsonParse, KeepsMemberOrderAndRoundTripsThroughText) {
  const std::string text = R"({"b":1,"a":[true,null,"x"],"c":{"z":2.5}})";
  auto node = parseOk(text);
  EXPECT_EQ(toString(node.get()), text);
  auto again = parseOk(toString(node.get(), Style::Pretty));
  EXPECT_TRUE(json_node_equal(node.get(), again.get()));
}

// json-glib's own writer prints 1e-73 as `1e-73.0` and 0.1 as 0.10000000000000001 (found by
// tests/fuzz/json_fuzz.cpp); ours writes the shortest text that reads back as the same double.
TEST(JsonWrite, DoublesAreWrittenShortAndReadBackExactly) {
  auto node = parseOk("[1E-73,1e22,0.1,1.5e3,-0.0,5e-324,1.7976931348623157e308,2.5]");
  ASSERT_TRUE(node);
  const std::string written = toString(node.get());
  EXPECT_EQ(written,
            "[1e-73,1e+22,0.1,1500.0,-0.0,4.94065645841247e-324,"
            "1.7976931348623157e+308,2.5]");
  auto again = parseOk(written);
  ASSERT_TRUE(again);
  EXPECT_EQ(toString(again.get()), written);
  EXPECT_EQ(toString(doubleNode(std::numeric_limits<double>::infinity()).get()), "null");
}

TEST(JsonWrite, PrettyTextIndentsByTwoAndEscapesControlCharacters) {
  auto node = parseOk(R"({"a":[1,{}],"b":{},"c":[],"s":"\u0001\"\\\n"})");
  ASSERT_TRUE(node);
  EXPECT_EQ(toString(node.get(), Style::Pretty),
            "{\n  \"a\" : [\n    1,\n    {}\n  ],\n  \"b\" : {},\n  \"c\" : [],\n"
            "  \"s\" : \"\\u0001\\\"\\\\\\n\"\n}");
  EXPECT_EQ(toString(node.get()), R"({"a":[1,{}],"b":{},"c":[],"s":"\u0001\"\\\n"})");
}

TEST(JsonParse, ScalarsAtTheTopLevelAreValues) {
  EXPECT_TRUE(parseOk(" 12 "));
  EXPECT_TRUE(parseOk("\"text\""));
  EXPECT_TRUE(parseOk("null"));
}

struct Malformed {
  std::string input;
  JsonError code;
  std::string message;
};

std::ostream& operator<<(std::ostream& out, const Malformed& c) {
  return out << (c.input.size() > 40 ? c.input.substr(0, 40) + "..." : c.input);
}

class JsonParseRejects : public ::testing::TestWithParam<Malformed> {};

TEST_P(JsonParseRejects, WithAPreciseMessage) {
  const Malformed& c = GetParam();
  auto node = parse(c.input);
  ASSERT_FALSE(node.ok()) << c.input;
  EXPECT_EQ(node.error().message, c.message);
  EXPECT_TRUE(node.error().is(errorDomainOf(c.code), static_cast<int>(c.code)));
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, JsonParseRejects,
    ::testing::Values(
        Malformed{"", JsonError::Syntax, "empty input: expected a JSON value"},
        Malformed{" \n\t ", JsonError::Syntax, "empty input: expected a JSON value"},
        Malformed{"{} {}", JsonError::Syntax,
                  "line 1, column 4: unexpected content after the JSON value"},
        Malformed{R"({"a":1} garbage)", JsonError::Syntax,
                  "line 1, column 9: unexpected content after the JSON value"},
        Malformed{R"({"a":1,})", JsonError::Syntax, "line 1, column 8: trailing comma before '}'"},
        Malformed{"[1,]", JsonError::Syntax, "line 1, column 4: trailing comma before ']'"},
        Malformed{"{'a':1}", JsonError::Syntax,
                  "line 1, column 2: unexpected ''', expected a string key"},
        Malformed{"{a:1}", JsonError::Syntax,
                  "line 1, column 2: unexpected 'a', expected a string key"},
        Malformed{R"({"a" 1})", JsonError::Syntax,
                  "line 1, column 6: unexpected '1', expected ':' after an object key"},
        Malformed{"[1 2]", JsonError::Syntax,
                  "line 1, column 4: unexpected '2', expected ',' or ']' after an array element"},
        Malformed{R"({"a":1 "b":2})", JsonError::Syntax,
                  "line 1, column 8: unexpected '\"', expected ',' or '}' after an object member"},
        Malformed{"[01]", JsonError::Syntax,
                  "line 1, column 2: leading zeros are not allowed in numbers"},
        Malformed{"[1.]", JsonError::Syntax,
                  "line 1, column 4: unexpected ']', expected a digit after '.'"},
        Malformed{"[1e]", JsonError::Syntax,
                  "line 1, column 4: unexpected ']', expected a digit in the exponent"},
        Malformed{"[.5]", JsonError::Syntax, "line 1, column 2: unexpected '.', expected a value"},
        Malformed{"[+1]", JsonError::Syntax, "line 1, column 2: unexpected '+', expected a value"},
        Malformed{"[-]", JsonError::Syntax, "line 1, column 3: unexpected ']', expected a digit"},
        Malformed{"[0x10]", JsonError::Syntax,
                  "line 1, column 3: unexpected 'x', expected ',' or ']' after an array element"},
        Malformed{"[NaN]", JsonError::Syntax, "line 1, column 2: unexpected 'N', expected a value"},
        Malformed{"[Infinity]", JsonError::Syntax,
                  "line 1, column 2: unexpected 'I', expected a value"},
        Malformed{"tru", JsonError::Syntax, "line 1, column 1: unexpected 't', expected a value"},
        Malformed{"[1e400]", JsonError::Syntax, "line 1, column 2: number out of range"},
        Malformed{"[18446744073709551617]", JsonError::Syntax,
                  "line 1, column 2: integer out of range (it must fit in 64 bits)"},
        Malformed{"[9223372036854775808]", JsonError::Syntax,
                  "line 1, column 2: integer out of range (it must fit in 64 bits)"},
        Malformed{"[-9223372036854775809]", JsonError::Syntax,
                  "line 1, column 2: integer out of range (it must fit in 64 bits)"},
        Malformed{R"({"a":1,"a":2})", JsonError::Syntax, "line 1, column 8: duplicate key \"a\""},
        Malformed{R"(["a\u0000b"])", JsonError::Syntax,
                  "line 1, column 10: \\u0000 is not supported in strings"},
        Malformed{R"(["\ud800"])", JsonError::Syntax,
                  "line 1, column 9: invalid \\u escape: high surrogate without a low surrogate"},
        Malformed{R"(["\ud800\u0041"])", JsonError::Syntax,
                  "line 1, column 15: invalid \\u escape: high surrogate without a low surrogate"},
        Malformed{R"(["\udc00"])", JsonError::Syntax,
                  "line 1, column 9: invalid \\u escape: unpaired low surrogate"},
        Malformed{R"(["\u12G4"])", JsonError::Syntax,
                  "line 1, column 5: invalid \\u escape: expected four hex digits"},
        Malformed{R"(["\x"])", JsonError::Syntax, "line 1, column 4: invalid escape '\\x'"},
        Malformed{R"(["abc)", JsonError::Syntax, "line 1, column 6: unterminated string"},
        Malformed{"[\"a\tb\"]", JsonError::Syntax,
                  "line 1, column 4: control character in a string (it must be escaped)"},
        Malformed{"/*c*/{}", JsonError::Syntax,
                  "line 1, column 1: unexpected '/', expected a value"},
        Malformed{"{\n  \"a\": ,\n}", JsonError::Syntax,
                  "line 2, column 8: unexpected ',', expected a value"},
        Malformed{"[1, 2", JsonError::Syntax,
                  "line 1, column 6: unexpected end of input, expected ',' or ']' after an array "
                  "element"},
        Malformed{"{\"a\":", JsonError::Syntax,
                  "line 1, column 6: unexpected end of input, expected a value"},
        Malformed{"[\"\xff\"]", JsonError::Syntax,
                  "line 1, column 3: invalid UTF-8 (or a NUL byte)"},
        Malformed{std::string("[1,\0 2]", 7), JsonError::Syntax,
                  "line 1, column 4: invalid UTF-8 (or a NUL byte)"},
        Malformed{std::string(65, '[') + std::string(65, ']'), JsonError::TooDeep,
                  "line 1, column 65: nesting deeper than 64 levels"}));

TEST(JsonParse, NestingUpToTheLimitIsFine) {
  EXPECT_TRUE(parseOk(std::string(64, '[') + std::string(64, ']')));
}

TEST(JsonParse, HugeNestingIsRefusedWithoutDeepRecursion) {
  const std::string deep = std::string(500'000, '[') + std::string(500'000, ']');
  auto node = parse(deep, {.maxBytes = deep.size(), .maxDepth = 64});
  ASSERT_FALSE(node.ok());
  EXPECT_TRUE(
      node.error().is(errorDomainOf(JsonError::TooDeep), static_cast<int>(JsonError::TooDeep)));
}

TEST(JsonParse, InputOverTheSizeLimitIsRefusedBeforeParsing) {
  auto node = parse(std::string(2048, ' '), {.maxBytes = 1024});
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.error().message, "input is 2048 bytes; the limit is 1024");
  EXPECT_TRUE(
      node.error().is(errorDomainOf(JsonError::TooLarge), static_cast<int>(JsonError::TooLarge)));
}

TEST(JsonParse, LongDuplicateKeysAreShortenedInTheMessage) {
  const std::string key(200, 'k');
  auto node = parse("{\"" + key + "\":1,\"" + key + "\":2}");
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.error().message,
            "line 1, column 207: duplicate key \"" + std::string(64, 'k') + "...\"");
}

}  // namespace
}  // namespace su::json
