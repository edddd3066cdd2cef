#include "core/gref.hpp"

#include <gtest/gtest.h>

#include "json/node.hpp"

namespace su {
namespace {

guint refCount(gpointer object) {
  return G_OBJECT(object)->ref_count;
}

// Watches an object's finalization without holding a reference.
class Finalized {
 public:
  explicit Finalized(gpointer object) {
    g_object_weak_ref(G_OBJECT(object), &Finalized::notify, &gone_);
  }
  bool operator()() const { return gone_; }

 private:
  static void notify(gpointer data, GObject*) { *static_cast<bool*>(data) = true; }
  bool gone_ = false;
};

TEST(GRef, AdoptTakesOverTheCallersReference) {
  gpointer raw = g_object_new(G_TYPE_OBJECT, nullptr);
  Finalized finalized(raw);
  {
    auto object = GRef<GObject>::adopt(G_OBJECT(raw));
    EXPECT_EQ(refCount(object.get()), 1u);
  }
  EXPECT_TRUE(finalized());
}

TEST(GRef, RefAddsOneAndLeavesTheCallersReference) {
  GObject* raw = G_OBJECT(g_object_new(G_TYPE_OBJECT, nullptr));
  Finalized finalized(raw);
  {
    auto object = GRef<GObject>::ref(raw);
    EXPECT_EQ(refCount(raw), 2u);
  }
  EXPECT_EQ(refCount(raw), 1u);
  EXPECT_FALSE(finalized());
  g_object_unref(raw);
  EXPECT_TRUE(finalized());
}

TEST(GRef, CopyAddsAReferenceAndMoveTransfersIt) {
  auto first = GRef<GObject>::adopt(G_OBJECT(g_object_new(G_TYPE_OBJECT, nullptr)));
  GObject* raw = first.get();
  Finalized finalized(raw);
  GRef<GObject> copy = first;
  EXPECT_EQ(refCount(raw), 2u);
  GRef<GObject> moved = std::move(first);
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(refCount(raw), 2u);
  EXPECT_TRUE(copy == moved);
  copy = nullptr;
  EXPECT_EQ(refCount(raw), 1u);
  moved = GRef<GObject>();
  EXPECT_TRUE(finalized());
}

TEST(GRef, SelfAssignmentKeepsTheReference) {
  auto object = GRef<GObject>::adopt(G_OBJECT(g_object_new(G_TYPE_OBJECT, nullptr)));
  GRef<GObject>& alias = object;
  object = alias;
  EXPECT_EQ(refCount(object.get()), 1u);
}

TEST(GRef, AdoptingAFloatingElementSinksItWithoutAnExtraReference) {
  GstElement* raw = gst_element_factory_make("fakesink", "sink");
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(g_object_is_floating(raw));
  Finalized finalized(raw);
  {
    auto element = GRef<GstElement>::adopt(raw);
    EXPECT_FALSE(g_object_is_floating(raw));
    EXPECT_EQ(refCount(raw), 1u);
  }
  EXPECT_TRUE(finalized());
}

TEST(GRef, RefOfAFloatingElementClaimsTheFloatingReference) {
  GstElement* raw = gst_element_factory_make("fakesink", nullptr);
  ASSERT_NE(raw, nullptr);
  Finalized finalized(raw);
  {
    auto element = GRef<GstElement>::ref(raw);
    EXPECT_FALSE(g_object_is_floating(raw));
    EXPECT_EQ(refCount(raw), 1u);
  }
  EXPECT_TRUE(finalized());
}

TEST(GRef, AnElementKeptOutsideItsBinOutlivesTheBin) {
  auto pipeline = GRef<GstElement>::adopt(gst_pipeline_new("p"));
  auto sink = GRef<GstElement>::adopt(gst_element_factory_make("fakesink", nullptr));
  Finalized sinkFinalized(sink.get());
  ASSERT_TRUE(gst_bin_add(GST_BIN(pipeline.get()), sink.get()));
  EXPECT_EQ(refCount(sink.get()), 2u);
  pipeline.reset();
  EXPECT_EQ(refCount(sink.get()), 1u);
  EXPECT_FALSE(sinkFinalized());
  sink.reset();
  EXPECT_TRUE(sinkFinalized());
}

TEST(GRef, ReleaseHandsTheReferenceToTheCaller) {
  auto object = GRef<GObject>::adopt(G_OBJECT(g_object_new(G_TYPE_OBJECT, nullptr)));
  GObject* raw = object.release();
  EXPECT_FALSE(object);
  EXPECT_EQ(refCount(raw), 1u);
  g_object_unref(raw);
}

TEST(GRef, OutPtrReceivesATransferFullResult) {
  auto buffer = GRef<GstBuffer>::adopt(gst_buffer_new_allocate(nullptr, 16, nullptr));
  GstBuffer* previous = buffer.get();
  gst_buffer_ref(previous);  // watch it: outPtr() must release the old value
  *buffer.outPtr() = gst_buffer_new();
  EXPECT_NE(buffer.get(), previous);
  EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(previous), 1);
  gst_buffer_unref(previous);
}

TEST(GRef, MiniObjectsAreRefcountedWithTheirOwnFunctions) {
  auto caps = GRef<GstCaps>::adopt(gst_caps_from_string("video/x-raw,format=I420"));
  EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(caps.get()), 1);
  {
    GRef<GstCaps> copy = caps;
    EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(caps.get()), 2);
  }
  EXPECT_EQ(GST_MINI_OBJECT_REFCOUNT_VALUE(caps.get()), 1);
}

TEST(GRef, BoxedAndJsonTypes) {
  auto context = GRef<GMainContext>::adopt(g_main_context_new());
  GRef<GMainContext> second = context;
  EXPECT_EQ(second.get(), context.get());
  auto node = GRef<JsonNode>::adopt(json_node_init_int(json_node_alloc(), 7));
  GRef<JsonNode> another = node;
  EXPECT_EQ(json_node_get_int(another.get()), 7);
}

TEST(GRef, NullIsHarmlessEverywhere) {
  GRef<GObject> empty;
  EXPECT_FALSE(empty);
  empty.reset();
  GRef<GObject> copy = empty;
  EXPECT_FALSE(copy);
  EXPECT_FALSE(GRef<GObject>::adopt(nullptr));
  EXPECT_FALSE(GRef<GObject>::ref(nullptr));
}

TEST(GUnique, FreesWithItsFunctionAndMoves) {
  GUnique<GError> error;
  g_set_error_literal(error.outPtr(), G_IO_ERROR, G_IO_ERROR_FAILED, "boom");
  ASSERT_TRUE(error);
  EXPECT_STREQ(error->message, "boom");
  GUnique<GError> moved = std::move(error);
  EXPECT_FALSE(error);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved);

  auto text = GUnique<char>::adopt(g_strdup("owned"));
  EXPECT_STREQ(text.get(), "owned");
  text = GUnique<char>::adopt(g_strdup("replaced"));  // the first string is freed
  EXPECT_STREQ(text.get(), "replaced");
  char* released = text.release();
  g_free(released);

  auto structure = GUnique<GstStructure>::adopt(gst_structure_new_empty("stats"));
  EXPECT_STREQ(gst_structure_get_name(structure.get()), "stats");
}

}  // namespace
}  // namespace su
