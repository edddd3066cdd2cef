// Requests sent to a peer and awaiting their replies, by id — the one table behind the Janus
// session and the OBS client: a timeout each, every one failed at once when the connection goes,
// refusals answered on the next iteration (never inside the call that asked), everything still
// pending completed with cancelledError() when the table goes, and the last malformed message
// from the peer named in timeouts (garbage is the likely reason nothing matched).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "core/callbacks.hpp"
#include "core/main_context.hpp"

namespace su {

// `Reply` is what a matched answer carries; `Tag` is what the owner keeps about each request
// to recognise its answer (Janus: whether an "ack" is the end of it).
template <typename Reply, typename Tag = std::monostate>
class RequestTable {
 public:
  using Done = Callback<Reply>;
  // Builds the timeout error from its message ("Janus did not answer create within 10000 ms").
  using TimeoutError = std::function<Error(std::string message)>;

  RequestTable(GMainContext* context, std::string peer, TimeoutError timeoutError)
      : context_(GRef<GMainContext>::ref(context)),
        peer_(std::move(peer)),
        timeoutError_(std::move(timeoutError)),
        deferred_(context) {}
  RequestTable(const RequestTable&) = delete;
  RequestTable& operator=(const RequestTable&) = delete;
  ~RequestTable() {
    *alive_ = false;
    failAll(cancelledError());
  }

  // Waits for the answer to request `id` ("create", "StartStream" as `what`) for `timeout`.
  void add(const std::string& id, std::string what, Tag tag, Milliseconds timeout, Done done) {
    Pending& pending = pending_[id];
    pending.what = std::move(what);
    pending.tag = std::move(tag);
    pending.done = std::move(done);
    pending.timer = Source::timeout(
        context_.get(), timeout,
        [this, id, timeout] {
          std::string text = peer_ + " did not answer " + pending_.at(id).what + " within " +
                             std::to_string(timeout.count()) + " ms";
          if (lastMalformed_) text += " (it sent a malformed message: " + *lastMalformed_ + ")";
          complete(id, timeoutError_(std::move(text)));
          return false;
        },
        "su-request-timeout");
  }

  // A request that was never sent: `done` gets `error` on the next iteration.
  void refuse(Done done, Error error) {
    deferred_.post([done, error = std::move(error)] { done(error); },
                   [done] { done(cancelledError()); });
  }

  // The tag and description of a pending request, or null.
  const Tag* tagOf(const std::string& id) const {
    auto it = pending_.find(id);
    return it == pending_.end() ? nullptr : &it->second.tag;
  }
  const std::string* whatOf(const std::string& id) const {
    auto it = pending_.find(id);
    return it == pending_.end() ? nullptr : &it->second.what;
  }
  bool contains(const std::string& id) const { return pending_.contains(id); }
  std::size_t size() const noexcept { return pending_.size(); }

  // Hands request `id` its outcome; false if nothing waits for that id.
  bool complete(const std::string& id, Result<Reply> result) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return false;
    Pending pending = std::move(it->second);
    pending_.erase(it);
    pending.timer.cancel();
    pending.done(std::move(result));
    return true;
  }

  // Fails everything pending with `error` (the connection went). A callback may destroy the
  // table's owner: the rest then get cancelledError(), which owners ignore quietly.
  void failAll(const Error& error) {
    std::map<std::string, Pending> pending = std::exchange(pending_, {});
    std::weak_ptr<bool> alive = alive_;
    for (auto& [id, request] : pending) {
      request.timer.cancel();
      request.done(alive.expired() ? cancelledError() : error);
    }
  }

  void noteMalformed(std::string what) { lastMalformed_ = std::move(what); }
  void clearMalformed() { lastMalformed_.reset(); }
  const std::optional<std::string>& lastMalformed() const noexcept { return lastMalformed_; }

 private:
  struct Pending {
    std::string what;
    Tag tag;
    Done done;
    Source timer;
  };

  GRef<GMainContext> context_;
  std::string peer_;
  TimeoutError timeoutError_;
  std::map<std::string, Pending> pending_;
  std::optional<std::string> lastMalformed_;
  Deferred deferred_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace su
