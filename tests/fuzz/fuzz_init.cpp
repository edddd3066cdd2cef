// Built into every target: libFuzzer calls this once before the first input.
#include "fuzz.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!su::init()) std::abort();
  return 0;
}
