#include <gtest/gtest.h>

#include "json/parse.hpp"
#include "json/reader.hpp"
#include "json/writer.hpp"
#include "support/printers.hpp"

namespace su::json {
namespace {

class ReaderTest : public ::testing::Test {
 protected:
  ObjectReader read(std::string_view text, std::string path = "spec") {
    auto node = parse(text);
    EXPECT_TRUE(node.ok());
    root_ = *node;
    auto reader = ObjectReader::fromNode(root_.get(), std::move(path), diagnostics_);
    EXPECT_TRUE(reader.has_value());
    return std::move(*reader);
  }
  std::vector<FieldError> errors() const { return diagnostics_.errors(); }

  Diagnostics diagnostics_;
  GRef<JsonNode> root_;
};

TEST_F(ReaderTest, TypedGettersReadMatchingValues) {
  ObjectReader r = read(R"({"s":"x","b":true,"i":5,"d":2.5,"n":null,"o":{"k":1},"l":["a","b"]})");
  EXPECT_EQ(r.string("s"), "x");
  EXPECT_EQ(r.boolean("b"), true);
  EXPECT_EQ(r.integer("i"), 5);
  EXPECT_EQ(r.number("i"), 5.0);
  EXPECT_EQ(r.number("d"), 2.5);
  EXPECT_EQ(r.string("n"), std::nullopt) << "null reads as absent";
  EXPECT_EQ(r.string("missing"), std::nullopt);
  auto nested = r.object("o");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->path(), "spec.o");
  EXPECT_EQ(nested->integer("k"), 1);
  EXPECT_EQ(r.strings("l"), (std::vector<std::string>{"a", "b"}));
  r.rejectUnknownFields();
  nested->rejectUnknownFields();
  EXPECT_TRUE(errors().empty());
}

TEST_F(ReaderTest, TypeMismatchesNameTheExactPathAndBothTypes) {
  ObjectReader r = read(R"({"port":"5004","name":7,"on":"yes","ratio":"1","o":[],"l":{},"x":1.5})");
  EXPECT_EQ(r.integer("port"), std::nullopt);
  EXPECT_EQ(r.string("name"), std::nullopt);
  EXPECT_EQ(r.boolean("on"), std::nullopt);
  EXPECT_EQ(r.number("ratio"), std::nullopt);
  EXPECT_FALSE(r.object("o"));
  EXPECT_FALSE(r.objects("l"));
  EXPECT_EQ(r.integer("x"), std::nullopt);
  EXPECT_EQ(errors(), (std::vector<FieldError>{
                          {"spec.port", "must be an integer, got a string"},
                          {"spec.name", "must be a string, got an integer"},
                          {"spec.on", "must be a boolean, got a string"},
                          {"spec.ratio", "must be a number, got a string"},
                          {"spec.o", "must be an object, got an array"},
                          {"spec.l", "must be an array, got an object"},
                          {"spec.x", "must be an integer, got a number"},
                      }));
}

TEST_F(ReaderTest, ArraysReportTheIndexOfEachBadElement) {
  ObjectReader r = read(R"({"media":[{"a":1}, 5, {"b":2}], "tags":["x", 3, null]})");
  auto media = r.objects("media");
  ASSERT_TRUE(media);
  ASSERT_EQ(media->size(), 2u);
  EXPECT_EQ((*media)[1].path(), "spec.media[2]");
  EXPECT_EQ(r.strings("tags"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(errors(), (std::vector<FieldError>{
                          {"spec.media[1]", "must be an object, got an integer"},
                          {"spec.tags[1]", "must be a string, got an integer"},
                          {"spec.tags[2]", "must be a string, got null"},
                      }));
}

TEST_F(ReaderTest, AliasesReadEitherNameAndRejectConflictingPairs) {
  ObjectReader r = read(R"({"mcast":"232.1.1.1","iface":"lo","bind_interface":"lo",
                           "rtcp_port":1,"rtcpport":2})");
  EXPECT_EQ(r.string({"multicast", "mcast"}), "232.1.1.1");
  EXPECT_EQ(r.string({"bind_interface", "iface"}), "lo") << "equal values are no conflict";
  EXPECT_EQ(r.integer({"rtcp_port", "rtcpport"}), 1);
  EXPECT_EQ(r.integer({"rtcp_port", "rtcpport"}), 1);  // read twice: reported once
  r.rejectUnknownFields();
  EXPECT_EQ(errors(),
            (std::vector<FieldError>{
                {"spec.rtcpport", "conflicts with spec.rtcp_port (give only one of them)"},
            }));
}

TEST_F(ReaderTest, ErrorsPointAtTheNameTheDocumentUsed) {
  ObjectReader r = read(R"({"datatype":"text"})");
  EXPECT_EQ(r.nameIn({"data_type", "datatype"}), "datatype");
  EXPECT_EQ(r.nameIn({"buffer_latest_message", "buffermsg"}), "buffer_latest_message");
}

TEST_F(ReaderTest, UnknownFieldsAreEveryMemberNoGetterAskedFor) {
  ObjectReader r = read(R"({"known":1,"typo":2,"has space":3,"a.b":4})");
  EXPECT_TRUE(r.has("known"));
  r.rejectUnknownFields();
  EXPECT_EQ(errors(), (std::vector<FieldError>{
                          {"spec.typo", "unknown field"},
                          {"spec[\"has space\"]", "unknown field"},
                          {"spec[\"a.b\"]", "unknown field"},
                      }));
}

TEST_F(ReaderTest, DocumentsThatAreNotObjectsAreReportedAtTheirPath) {
  auto node = parse("[1]");
  ASSERT_TRUE(node.ok());
  EXPECT_FALSE(ObjectReader::fromNode(node->get(), "", diagnostics_));
  EXPECT_FALSE(ObjectReader::fromNode(nullptr, "spec.extra", diagnostics_));
  EXPECT_EQ(errors(), (std::vector<FieldError>{
                          {"(document)", "must be an object, got an array"},
                          {"spec.extra", "must be an object, got null"},
                      }));
}

TEST(JsonPaths, ChildAndIndexPaths) {
  EXPECT_EQ(childPath("", "port"), "port");
  EXPECT_EQ(childPath("a.b", "c"), "a.b.c");
  EXPECT_EQ(indexPath("media", 3), "media[3]");
  EXPECT_EQ(childPath("x", std::string(100, 'k') + " "), "x[\"" + std::string(64, 'k') + "...\"]");
  EXPECT_EQ(childPath("x", "quo\"te\n"), "x[\"quo\\\"te?\"]");
}

TEST(ObjectWriter, LeavesOutAbsentOptionalsAndKeepsOrder) {
  ObjectWriter out;
  out.set("s", "text")
      .set("i", 5)
      .set("big", std::int64_t{1} << 40)
      .set("b", false)
      .set("d", 0.5)
      .set("none", std::optional<std::string>())
      .set("some", std::optional<int>(3))
      .set("list", std::vector<std::string>{"a"})
      .set("child", ObjectWriter().set("k", true));
  EXPECT_EQ(
      toString(out.node().get()),
      R"({"s":"text","i":5,"big":1099511627776,"b":false,"d":0.5,"some":3,"list":["a"],"child":{"k":true}})");
}

TEST(ObjectWriter, MergeMissingNeverOverridesAModelledField) {
  auto extra = parse(R"({"secret":"from-extra","threads":2})");
  ASSERT_TRUE(extra.ok());
  ObjectWriter out;
  out.set("secret", "modelled").mergeMissing(Value::of(*extra));
  EXPECT_EQ(toString(out.node().get()), R"({"secret":"modelled","threads":2})");
}

TEST(Value, IsSealedSharedAndComparedByContent) {
  auto first = parse(R"({"a":[1,2],"b":"x"})");
  auto second = parse(R"({"b":"x","a":[1,2]})");
  ASSERT_TRUE(first.ok() && second.ok());
  const Value a = Value::of(*first);
  const Value b = Value::of(*second);
  EXPECT_TRUE(json_node_is_immutable(a.node()));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, Value());
  EXPECT_EQ(Value(), Value());
  EXPECT_TRUE(a.isObject());
  const Value copy = a;
  EXPECT_EQ(copy.node(), a.node());
}

}  // namespace
}  // namespace su::json
