// The one main() of every test binary: su::init() (GStreamer, debug categories) exactly once.
#include <gtest/gtest.h>

#include "core/init.hpp"

namespace {

class LibraryEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto initialised = su::init();
    ASSERT_TRUE(initialised.ok()) << initialised.error().message;
  }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new LibraryEnvironment);  // gtest owns it
  return RUN_ALL_TESTS();
}
