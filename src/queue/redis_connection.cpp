#include "queue/redis_connection.hpp"

#include <hiredis/adapters/glib.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "core/log.hpp"
#include "queue/queue.hpp"

#define GST_CAT_DEFAULT su::log::queue

namespace su::queue {

namespace {

// The callback of one command, until hiredis answers it (with a null reply when the connection
// goes first).
struct Pending {
  Callback<RedisReply> done;
  RedisConnection* connection;
};

// Clears a flag and wakes the waiters when the connecting task ends, however it ends.
struct ConnectingGuard {
  bool& connecting;
  Condition& changed;
  ~ConnectingGuard() {
    connecting = false;
    changed.notify();
  }
};

using CreateArray = void* (*)(const redisReadTask*, int);
CreateArray hiredisCreateArray = nullptr;  // set with the guarded table, once

}  // namespace

void RedisReplyLimit::guard(redisReader* reader) noexcept {
  // hiredis's reply functions are the same for every reader it makes: the guarded table is a
  // copy of them, made once, with createArray wrapped.
  static redisReplyObjectFunctions guarded = [reader] {
    redisReplyObjectFunctions table = *reader->fn;
    hiredisCreateArray = table.createArray;
    table.createArray = &RedisReplyLimit::createArray;
    return table;
  }();
  reader->fn = &guarded;
  reader->privdata = this;  // hiredis hands it to every read task
}

void* RedisReplyLimit::createArray(const redisReadTask* task, int elements) {
  auto* limit = static_cast<RedisReplyLimit*>(task->privdata);
  if (!task->parent) limit->elements_ = 0;  // the outermost array: a new reply
  limit->elements_ += elements;
  if (limit->elements_ > kMaxElements) {
    limit->exceeded_ = true;
    return nullptr;
  }
  return hiredisCreateArray(task, elements);
}

std::string RedisReplyLimit::why() const {
  return "a reply announced more than " + std::to_string(kMaxElements) +
         " array elements, which no command of ours asks for (is it Redis?): connection dropped";
}

RedisReply copyReply(const redisReply& reply) {
  RedisReply copy;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      copy.type = reply.type == REDIS_REPLY_STRING   ? RedisReply::Type::String
                  : reply.type == REDIS_REPLY_STATUS ? RedisReply::Type::Status
                                                     : RedisReply::Type::Error;
      copy.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      copy.type = RedisReply::Type::Integer;
      copy.integer = reply.integer;
      break;
    case REDIS_REPLY_ARRAY:
      copy.type = RedisReply::Type::Array;
      copy.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i)
        copy.elements.push_back(copyReply(*reply.element[i]));
      break;
    default:
      copy.type = RedisReply::Type::Nil;
  }
  return copy;
}

std::optional<long long> RedisReply::asInteger() const {
  if (type == Type::Integer) return integer;
  if (type == Type::String || type == Type::Status) {
    char* end = nullptr;
    const long long value = g_ascii_strtoll(text.c_str(), &end, 10);
    if (end && *end == '\0' && !text.empty()) return value;
  }
  return std::nullopt;
}

const RedisReply* RedisReply::field(std::string_view name) const {
  if (type != Type::Array) return nullptr;
  for (std::size_t i = 0; i + 1 < elements.size(); i += 2) {
    if (elements[i].text == name) return &elements[i + 1];
  }
  return nullptr;
}

RedisConnection::RedisConnection(GMainContext* context, RedisAddress address, std::string purpose,
                                 Milliseconds connectTimeout)
    : context_(GRef<GMainContext>::ref(context)),
      address_(std::move(address)),
      purpose_(std::move(purpose)),
      connectTimeout_(connectTimeout) {}

RedisConnection::~RedisConnection() {
  disconnect();
  dropSource();
}

void RedisConnection::dropSource() {
  if (!source_) return;
  g_source_destroy(source_);
  g_source_unref(source_);
  source_ = nullptr;
}

Error RedisConnection::lostError() const {
  const std::string why =
      replyLimit_.exceeded() ? replyLimit_.why() : why_.value_or("connection lost");
  return makeError(QueueError::Unreachable, "Redis at " + address_.host + ":" +
                                                std::to_string(address_.port) + " (" + purpose_ +
                                                "): " + why);
}

void RedisConnection::disconnect() {
  ready_ = false;
  if (!redis_) return;
  redisAsyncContext* redis = std::exchange(redis_, nullptr);
  // Every command waiting for a reply is answered with none (an error) from inside this call.
  redisAsyncFree(redis);
}

void RedisConnection::onConnect(const redisAsyncContext* redis, int status) {
  auto* self = static_cast<RedisConnection*>(redis->data);
  if (!self || status == REDIS_OK) return;
  // hiredis frees the context once this returns; the commands queued on it fail after.
  self->why_ = redis->errstr[0] ? std::string(redis->errstr) : std::string("connect failed");
  self->redis_ = nullptr;
  self->ready_ = false;
}

void RedisConnection::onDisconnect(const redisAsyncContext* redis, int status) {
  auto* self = static_cast<RedisConnection*>(redis->data);
  if (!self) return;
  if (status != REDIS_OK) {
    self->why_ = redis->errstr[0] ? std::string(redis->errstr) : std::string("connection lost");
  }
  if (self->redis_ == redis) self->redis_ = nullptr;
  self->ready_ = false;
  GST_INFO("Redis %s connection closed: %s", self->purpose_.c_str(),
           self->why_.value_or("by us").c_str());
}

void RedisConnection::onReply(redisAsyncContext* redis, void* reply, void* data) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(data));
  if (!reply) {
    // hiredis answers the waiting commands before it calls onDisconnect: the reason is here.
    if (redis && redis->err && redis->errstr) pending->connection->why_ = redis->errstr;
    pending->done(pending->connection->lostError());
    return;
  }
  pending->done(copyReply(*static_cast<redisReply*>(reply)));
}

void RedisConnection::send(const std::vector<std::string>& args, Callback<RedisReply> done) {
  if (!redis_) {
    done(lostError());
    return;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* pending = new Pending{std::move(done), this};
  if (redisAsyncCommandArgv(redis_, &RedisConnection::onReply, pending,
                            static_cast<int>(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    std::unique_ptr<Pending> failed(pending);
    failed->done(lostError());
  }
}

Task<RedisReply> RedisConnection::exchange(std::vector<std::string> args) {
  auto reply = co_await call<RedisReply>(
      [this, &args](Callback<RedisReply> done) { send(args, std::move(done)); });
  if (!reply) co_return reply.error();
  if (reply->type == RedisReply::Type::Error) {
    // The command's name only: its arguments may hold a password.
    co_return makeError(QueueError::Refused, "Redis refused " + args.front() + ": " + reply->text);
  }
  co_return std::move(*reply);
}

Task<void> RedisConnection::handshake() {
  dropSource();
  why_.reset();
  redis_ = redisAsyncConnect(address_.host.c_str(), address_.port);
  if (!redis_ || redis_->err) {
    why_ = redis_ ? std::string(redis_->errstr) : std::string("out of memory");
    if (redis_) redisAsyncFree(std::exchange(redis_, nullptr));
    co_return lostError();
  }
  redis_->data = this;
  replyLimit_ = RedisReplyLimit{};
  replyLimit_.guard(redis_->c.reader);
  redisAsyncSetConnectCallback(redis_, &RedisConnection::onConnect);
  redisAsyncSetDisconnectCallback(redis_, &RedisConnection::onDisconnect);
  source_ = redis_source_new(redis_);
  g_source_attach(source_, context_.get());
  // hiredis 0.14 completes the connect when its first command can be written.
  if (address_.password) {
    std::vector<std::string> auth{"AUTH"};
    if (address_.user) auth.push_back(*address_.user);
    auth.push_back(*address_.password);
    if (auto authed = co_await exchange(std::move(auth)); !authed) co_return authed.error();
  }
  if (address_.database != 0) {
    auto selected = co_await exchange(redisArgs("SELECT", std::to_string(address_.database)));
    if (!selected) co_return selected.error();
  }
  // A Redis that just started answers LOADING until its data is read back: ready after that
  // (the connect timeout bounds the wait).
  for (;;) {
    auto pong = co_await exchange(redisArgs("PING"));
    if (pong) break;
    if (pong.error().message.find("LOADING") == std::string::npos) co_return pong.error();
    co_await sleep(Milliseconds(50));
  }
  co_return {};
}

Task<void> RedisConnection::connect() {
  while (connecting_)
    co_await connectChanged_.next();
  if (ready_) co_return {};
  connecting_ = true;
  ConnectingGuard guard{connecting_, connectChanged_};
  auto connected = co_await anyOf(
      handshake(),
      failAfter<void>(connectTimeout_,
                      makeError(QueueError::Timeout,
                                "Redis at " + address_.host + ":" + std::to_string(address_.port) +
                                    " did not answer within " +
                                    std::to_string(connectTimeout_.count()) + " ms")));
  if (!connected) {
    disconnect();
    co_return connected.error();
  }
  ready_ = true;
  GST_INFO("Redis %s connection to %s:%d ready", purpose_.c_str(), address_.host.c_str(),
           address_.port);
  co_return {};
}

Task<RedisReply> RedisConnection::command(std::vector<std::string> args, Milliseconds timeout) {
  if (auto connected = co_await connect(); !connected) co_return connected.error();
  const std::string name = args.front();
  auto reply = co_await anyOf(
      exchange(std::move(args)),
      failAfter<RedisReply>(
          timeout, makeError(QueueError::Timeout, "Redis did not answer " + name + " within " +
                                                      std::to_string(timeout.count()) + " ms")));
  if (!reply && reply.error().is(QueueError::Timeout)) {
    // A late reply would be taken for the next command's.
    why_ = reply.error().message;
    disconnect();
  }
  co_return reply;
}

Task<RedisReply> RedisConnection::sendAll(std::vector<std::vector<std::string>> commands) {
  // Pipelined: MULTI and the commands are queued without waiting; EXEC's reply tells.
  for (const auto& args : commands)
    send(args, [](Result<RedisReply>) {});
  co_return co_await exchange(redisArgs("EXEC"));
}

Task<std::vector<RedisReply>> RedisConnection::transaction(
    std::vector<std::vector<std::string>> commands, Milliseconds timeout) {
  commands.insert(commands.begin(), redisArgs("MULTI"));
  auto exec = co_await command(redisArgs("PING"), timeout);  // connects, if needed
  if (!exec) co_return exec.error();
  exec = co_await anyOf(
      sendAll(std::move(commands)),
      failAfter<RedisReply>(
          timeout, makeError(QueueError::Timeout, "Redis did not answer a transaction within " +
                                                      std::to_string(timeout.count()) + " ms")));
  if (!exec) {
    if (exec.error().is(QueueError::Timeout)) disconnect();
    co_return exec.error();
  }
  if (exec->type != RedisReply::Type::Array) {
    co_return makeError(QueueError::Refused, "Redis aborted the transaction");
  }
  for (const RedisReply& reply : exec->elements) {
    if (reply.type == RedisReply::Type::Error) {
      co_return makeError(QueueError::Refused,
                          "Redis refused a command of a transaction: " + reply.text);
    }
  }
  co_return std::move(exec->elements);
}

}  // namespace su::queue
