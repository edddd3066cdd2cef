// Small helpers for objects that call back: a list of listeners that survives its notifications
// (a listener may remove listeners, or destroy the notifier), and taking a one-shot callback out
// of its slot before calling it (the call may start the next operation, which fills the slot).
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace su {

// The one shape of asynchronous completion: a value or an error, exactly once.
template <typename T>
using Callback = std::function<void(Result<T>)>;

template <typename Listener>
class ListenerList {
 public:
  void add(Listener* listener) { listeners_.push_back(listener); }
  void remove(Listener* listener) { std::erase(listeners_, listener); }

  // Calls `notify(listener)` for every listener still registered when its turn comes. `alive`
  // expires with the object that owns this list: once it does, nothing more is touched.
  template <typename Notify>
  void notify(const std::weak_ptr<bool>& alive, Notify notify) {
    const std::vector<Listener*> snapshot = listeners_;
    for (Listener* listener : snapshot) {
      if (alive.expired()) return;
      if (std::find(listeners_.begin(), listeners_.end(), listener) != listeners_.end()) {
        notify(*listener);
      }
    }
  }

 private:
  std::vector<Listener*> listeners_;
};

// Empties `slot` and returns what it held (which must be something).
template <typename Callback>
Callback take(std::optional<Callback>& slot) {
  Callback callback = std::move(*slot);
  slot.reset();
  return callback;
}

}  // namespace su
