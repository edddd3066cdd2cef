#include "core/result.hpp"

#include <gio/gio.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/gref.hpp"

namespace su {
namespace {

enum class SampleError { Broken = 7 };
GQuark errorDomainOf(SampleError) {
  return g_quark_from_static_string("su-sample-error");
}

Result<int> half(int value) {
  if (value % 2 != 0) return makeError(SampleError::Broken, "odd: " + std::to_string(value));
  return value / 2;
}

TEST(Result, HoldsAValueOrAnError) {
  Result<int> good = half(8);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);

  Result<int> bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "odd: 3");
  EXPECT_EQ(bad.error().code, 7);
  EXPECT_EQ(bad.error().domain, g_quark_from_static_string("su-sample-error"));
  EXPECT_TRUE(bad.error().is(errorDomainOf(SampleError::Broken), 7));
}

TEST(Result, ConvertsFromValuesOfRelatedTypes) {
  auto make = []() -> Result<std::string> { return "text"; };
  EXPECT_EQ(make().value(), "text");
  auto moveOnly = []() -> Result<std::unique_ptr<int>> { return std::make_unique<int>(5); };
  std::unique_ptr<int> owned = moveOnly().value();
  EXPECT_EQ(*owned, 5);
}

TEST(Result, VoidResults) {
  Result<void> fine;
  EXPECT_TRUE(fine.ok());
  Result<void> failed = makeError(SampleError::Broken, "no");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "no");
}

TEST(Error, FromAndToGError) {
  GUnique<GError> gerror;
  g_set_error_literal(gerror.outPtr(), G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "too slow");
  const Error error = Error::fromGError(gerror.get());
  EXPECT_TRUE(error.is(G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  EXPECT_EQ(error.message, "too slow");
  EXPECT_FALSE(error.isCancelled());

  auto back = GUnique<GError>::adopt(error.toGError());
  EXPECT_TRUE(g_error_matches(back.get(), G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  EXPECT_STREQ(back->message, "too slow");

  EXPECT_TRUE(Error::fromGError(nullptr).is(G_IO_ERROR, G_IO_ERROR_FAILED));
}

TEST(Error, CancelledIsRecognised) {
  GUnique<GError> gerror;
  g_set_error_literal(gerror.outPtr(), G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  EXPECT_TRUE(Error::fromGError(gerror.get()).isCancelled());
}

TEST(Error, DescribeListsEveryFieldProblem) {
  const Error error = makeError(SampleError::Broken, "invalid thing: 2 problems",
                                {{"a.b", "must be 1..2"}, {"", "whole document rule"}});
  EXPECT_EQ(error.describe(),
            "invalid thing: 2 problems\n  a.b: must be 1..2\n  whole document rule");
  auto gerror = GUnique<GError>::adopt(error.toGError());
  EXPECT_EQ(std::string(gerror->message), error.describe());
}

TEST(ResultDeathTest, ReadingTheValueOfAFailureAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Result<int> bad = half(1);
  EXPECT_DEATH((void)bad.value(), "odd: 1");
  Result<int> good = half(2);
  EXPECT_DEATH((void)good.error(), "error\\(\\) of a successful result");
}

}  // namespace
}  // namespace su
