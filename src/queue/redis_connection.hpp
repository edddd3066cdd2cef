// One connection to Redis: GIO carries the bytes (a TCP connection, wrapped in TLS for rediss://),
// hiredis formats the commands and reads the replies (its reader, guarded). Debian's hiredis 0.14
// has no TLS of its own, nor timeouts: the connect and every command are bounded by timers, and a
// command that times out drops the connection (replies are matched in order, so a late one would
// answer the wrong command). Not connected: the next command connects again.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/task.hpp"

struct redisReader;
struct redisReadTask;
struct redisReply;

namespace su::queue {

// TLS to Redis (rediss://): the server's certificate is checked against `caFile` (default: the
// system's CAs) for `serverName` (default: the host); a client certificate for a Redis with
// tls-auth-clients.
struct RedisTls {
  std::optional<std::string> caFile;
  std::optional<std::string> certificate;  // PEM, with `key`
  std::optional<std::string> key;
  std::optional<std::string> serverName;
};

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::optional<std::string> user;  // an ACL user (AUTH user password)
  std::optional<std::string> password;
  int database = 0;
  std::optional<RedisTls> tls;

  // redis[s]://host:port, for messages: nothing secret.
  std::string describe() const;
};

// The CA and client certificate of `tls`, loaded and checked: at startup, so that a file that
// cannot be used is a configuration error, and at every connect (a renewed file is taken).
struct RedisTlsMaterial {
  GRef<GTlsDatabase> authorities;     // null: the system's
  GRef<GTlsCertificate> certificate;  // null: none
};
Result<RedisTlsMaterial> loadRedisTls(const RedisTls& tls);

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

  RedisReplyLimit() = default;
  RedisReplyLimit(const RedisReplyLimit&) = delete;
  RedisReplyLimit& operator=(const RedisReplyLimit&) = delete;

  // From now on `reader` counts against this limit, which must outlive it.
  void guard(redisReader* reader) noexcept;
  // For a new reader (a new connection).
  void reset() noexcept {
    elements_ = 0;
    exceeded_ = false;
  }
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
  const RedisAddress& address() const noexcept { return address_; }
  // Connects (TCP, TLS, AUTH, SELECT, PING) unless connected: what a time-bound command can do
  // first, so that its deadline counts from when it can be sent.
  Task<void> connect();
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
  struct ReaderFree {
    void operator()(redisReader* reader) const noexcept;
  };
  // Opens the connection, then AUTH, SELECT and PING.
  Task<void> handshake();
  // TCP, and TLS for rediss://; starts reading.
  Task<void> open();
  // Queues `args` to be written; `done` gets the reply (or why there is none).
  void send(const std::vector<std::string>& args, Callback<RedisReply> done);
  Task<RedisReply> exchange(std::vector<std::string> args);
  Task<RedisReply> sendAll(std::vector<std::vector<std::string>> commands);
  // Writes what is queued until nothing is; reads replies for the waiting commands until the
  // connection ends.
  Task<void> writing();
  Task<void> reading();
  // Ends the connection: every waiting command fails with `why`.
  void close(const std::string& why);
  Error lostError() const;

  GRef<GMainContext> context_;
  RedisAddress address_;
  std::string purpose_;
  Milliseconds connectTimeout_;
  GRef<GIOStream> stream_;  // open: TCP, or TLS over it
  std::unique_ptr<redisReader, ReaderFree>
      parser_;                                // hiredis's reader of this connection's replies
  RedisReplyLimit replyLimit_;                // of the current connection
  std::deque<Callback<RedisReply>> waiting_;  // in the order their commands were sent
  std::string outbox_;                        // commands not written yet
  bool writing_ = false;
  bool ready_ = false;       // connected, authenticated, database selected
  bool connecting_ = false;  // one connect at a time: the others wait for it
  Condition connectChanged_;
  std::optional<std::string> why_;  // why the last connection ended
  Task<void> writer_;
  Task<void> reader_;
};

}  // namespace su::queue
