// One connection to Redis over hiredis's asynchronous API, driven by the control context through
// hiredis's GLib adapter. hiredis 0.14 has no timeouts: the connect and every command are bounded
// by GLib timers, and a command that times out drops the connection (replies are matched in
// order, so a late one would answer the wrong command). Replies are copied out of hiredis, which
// frees them after its callback. Not connected: the next command connects again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/task.hpp"

struct redisAsyncContext;
struct redisReader;
struct redisReadTask;
struct redisReply;
struct _GSource;

namespace su::queue {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::optional<std::string> user;  // an ACL user (AUTH user password)
  std::optional<std::string> password;
  int database = 0;
};

// A reply, copied. Errors in a transaction's replies stay replies; a command's own error reply
// is the command's error.
struct RedisReply {
  enum class Type { Nil, String, Status, Integer, Array, Error };
  Type type = Type::Nil;
  std::string text;  // String, Status, Error
  long long integer = 0;
  std::vector<RedisReply> elements;

  bool nil() const noexcept { return type == Type::Nil; }
  // The integer, or a string holding one (XINFO's fields are either, depending on the field).
  std::optional<long long> asInteger() const;
  // An array of field/value pairs (XINFO, an entry's fields): the value of `field`.
  const RedisReply* field(std::string_view name) const;
};

// A copy of hiredis's reply, which hiredis frees after its callback.
RedisReply copyReply(const redisReply& reply);

// hiredis 0.14 allocates an array's element pointers as soon as it reads the array's header:
// anything posing as Redis that announces "*1000000000" would have it allocate 8 GB before one
// element arrives. A guarded reader counts the array elements of each reply and fails past
// kMaxElements (hiredis calls that "out of memory"; exceeded() tells the real reason).
class RedisReplyLimit {
 public:
  static constexpr long long kMaxElements = 1 << 20;

  // From now on `reader` counts against this limit, which must outlive it.
  void guard(redisReader* reader) noexcept;
  bool exceeded() const noexcept { return exceeded_; }
  std::string why() const;

 private:
  static void* createArray(const redisReadTask* task, int elements);

  long long elements_ = 0;  // in the reply being read
  bool exceeded_ = false;
};

// A command's arguments: redisArgs("XACK", stream, group, id). (A braced list of string
// literals inside a co_await expression trips g++ 12's coroutines: "array used as initializer".)
template <typename... Words>
std::vector<std::string> redisArgs(const Words&... words) {
  return {std::string(words)...};
}

class RedisConnection {
 public:
  // `purpose` names the connection in logs ("commands", "blocking reads").
  RedisConnection(GMainContext* context, RedisAddress address, std::string purpose,
                  Milliseconds connectTimeout);
  ~RedisConnection();

  bool connected() const noexcept { return ready_; }
  // Runs `args` (connecting first if needed); an error reply is an error. A command that has no
  // answer within `timeout` fails with QueueError::Timeout and drops the connection.
  Task<RedisReply> command(std::vector<std::string> args, Milliseconds timeout);
  // MULTI, the commands, EXEC: all of them or none. EXEC's replies, one per command.
  Task<std::vector<RedisReply>> transaction(std::vector<std::vector<std::string>> commands,
                                            Milliseconds timeout);
  // Closes the connection: commands waiting for a reply fail.
  void disconnect();

  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

 private:
  Task<void> connect();
  Task<void> handshake();
  // Queues `args` on the connection; `done` gets the reply (or why there is none).
  void send(const std::vector<std::string>& args, Callback<RedisReply> done);
  Task<RedisReply> exchange(std::vector<std::string> args);
  Task<RedisReply> sendAll(std::vector<std::vector<std::string>> commands);
  void dropSource();
  Error lostError() const;

  static void onConnect(const redisAsyncContext* context, int status);
  static void onDisconnect(const redisAsyncContext* context, int status);
  static void onReply(redisAsyncContext* context, void* reply, void* data);

  GRef<GMainContext> context_;
  RedisAddress address_;
  std::string purpose_;
  Milliseconds connectTimeout_;
  redisAsyncContext* redis_ = nullptr;
  _GSource* source_ = nullptr;
  bool ready_ = false;       // connected, authenticated, database selected
  bool connecting_ = false;  // one connect at a time: the others wait for it
  Condition connectChanged_;
  std::optional<std::string> why_;  // why the last connection ended
  RedisReplyLimit replyLimit_;      // of the current connection
};

}  // namespace su::queue
