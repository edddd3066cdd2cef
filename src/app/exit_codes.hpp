// Exit statuses of `streaming-utils`, the same for every subcommand.
#pragma once

namespace su::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // the program could not do its work
inline constexpr int kExitInvalidInput = 2;  // the input was not valid: nothing was done
inline constexpr int kExitUsage = 2;         // wrong arguments

}  // namespace su::app
