#include "queue/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "core/log.hpp"
#include "core/streams.hpp"
#include "core/tls.hpp"
#include "queue/queue.hpp"

#define GST_CAT_DEFAULT su::log::queue

namespace su::queue {

namespace {

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
  close("the connection is closed");
}

void RedisConnection::ReaderFree::operator()(redisReader* reader) const noexcept {
  redisReaderFree(reader);
}

std::string RedisAddress::describe() const {
  return std::string(tls ? "rediss://" : "redis://") + host + ":" + std::to_string(port);
}

Result<RedisTlsMaterial> loadRedisTls(const RedisTls& tls) {
  RedisTlsMaterial material;
  if (tls.caFile) {
    auto authorities = tls::loadAuthorities(*tls.caFile);
    if (!authorities) return makeError(QueueError::InvalidUrl, authorities.error().message);
    material.authorities = std::move(*authorities);
  }
  if (tls.certificate.has_value() != tls.key.has_value()) {
    return makeError(QueueError::InvalidUrl,
                     "a Redis client certificate needs both tls_cert and tls_key");
  }
  if (tls.certificate) {
    auto pair = tls::loadPair(*tls.certificate, *tls.key);
    if (!pair) return makeError(QueueError::InvalidUrl, pair.error().message);
    material.certificate = std::move(*pair);
  }
  return material;
}

Error RedisConnection::lostError() const {
  const std::string why =
      replyLimit_.exceeded() ? replyLimit_.why() : why_.value_or("connection lost");
  return makeError(QueueError::Unreachable,
                   "Redis at " + address_.describe() + " (" + purpose_ + "): " + why);
}

void RedisConnection::disconnect() {
  close("closed by us");
}

void RedisConnection::close(const std::string& why) {
  ready_ = false;
  if (!stream_) return;
  if (!why_) why_ = why;
  GST_INFO("Redis %s connection to %s closed: %s", purpose_.c_str(), address_.describe().c_str(),
           why_->c_str());
  // TLS says goodbye on its way out; GIO keeps the stream until it is done.
  g_io_stream_close_async(std::exchange(stream_, {}).get(), G_PRIORITY_DEFAULT, nullptr, nullptr,
                          nullptr);
  outbox_.clear();
  writing_ = false;
  writer_ = {};
  reader_ = {};
  parser_.reset();
  // Answered last: a waiting command's task may close or connect again from here.
  for (auto& done : std::exchange(waiting_, {}))
    done(lostError());
}

Task<void> RedisConnection::open() {
  auto client = GRef<GSocketClient>::adopt(g_socket_client_new());
  const std::string host = address_.host;
  const auto port = static_cast<guint16>(address_.port);
  auto connecting = gio<GRef<GSocketConnection>>(
      [client, host, port](GCancellable* cancellable, GAsyncReadyCallback ready, gpointer data) {
        g_socket_client_connect_to_host_async(client.get(), host.c_str(), port, cancellable, ready,
                                              data);
      },
      [client](GAsyncResult* result, GError** error) {
        return GRef<GSocketConnection>::adopt(
            g_socket_client_connect_to_host_finish(client.get(), result, error));
      });
  auto connection = co_await connecting;
  if (!connection) co_return makeError(QueueError::Unreachable, connection.error().message);
  GST_DEBUG("Redis %s connection to %s: TCP connected", purpose_.c_str(),
            address_.describe().c_str());
  GSocket* socket = g_socket_connection_get_socket(connection->get());
  // Commands are small and answered one by one: no Nagle delay. Keepalive finds a peer gone
  // quiet behind a partition even while no command waits.
  g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
  g_socket_set_keepalive(socket, TRUE);
  auto stream = GRef<GIOStream>::ref(G_IO_STREAM(connection->get()));
  if (address_.tls) {
    auto material = loadRedisTls(*address_.tls);
    if (!material) co_return material.error();
    auto identity = GRef<GSocketConnectable>::adopt(
        g_network_address_new(address_.tls->serverName.value_or(host).c_str(), port));
    // The authorities are given at construction: a connection built without them loads the
    // system's whole trust store first (GIO does not keep it), on every connect.
    GUnique<GError> failure;
    auto secured = GRef<GIOStream>::adopt(G_IO_STREAM(g_initable_new(
        g_tls_backend_get_client_connection_type(g_tls_backend_get_default()), nullptr,
        failure.outPtr(), "base-io-stream", stream.get(), "server-identity", identity.get(),
        "certificate", material->certificate.get(), material->authorities ? "database" : nullptr,
        material->authorities.get(), nullptr)));
    if (!secured) {
      co_return makeError(QueueError::Unreachable, "no TLS: " + std::string(failure->message));
    }
    auto handshaking = gio<bool>(
        [secured](GCancellable* cancellable, GAsyncReadyCallback ready, gpointer data) {
          g_tls_connection_handshake_async(G_TLS_CONNECTION(secured.get()), G_PRIORITY_DEFAULT,
                                           cancellable, ready, data);
        },
        [secured](GAsyncResult* result, GError** error) {
          return g_tls_connection_handshake_finish(G_TLS_CONNECTION(secured.get()), result,
                                                   error) != 0;
        });
    GST_DEBUG("Redis %s connection to %s: TLS handshake", purpose_.c_str(),
              address_.describe().c_str());
    auto shaken = co_await handshaking;
    if (!shaken) {
      const bool certificate = shaken.error().is(G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
      co_return makeError(
          QueueError::Unreachable,
          "TLS handshake with " + address_.describe() + " failed: " + shaken.error().message +
              (certificate ? " (is it signed by a CA of tls_ca, for the host or tls_server_name?)"
                           : ""));
    }
    stream = std::move(secured);
  }
  stream_ = std::move(stream);
  why_.reset();
  parser_.reset(redisReaderCreate());
  replyLimit_.reset();
  replyLimit_.guard(parser_.get());
  reader_ = reading();
  reader_.start(context_.get());
  co_return {};
}

Task<void> RedisConnection::reading() {
  auto input = GRef<GInputStream>::ref(g_io_stream_get_input_stream(stream_.get()));
  auto buffer = makeReadBuffer(16 * 1024);
  for (;;) {
    auto got = co_await readSome(input, buffer);
    if (!got || *got == 0) {
      close(got ? "closed by the server" : got.error().message);
      co_return {};
    }
    redisReaderFeed(parser_.get(), buffer->data(), static_cast<std::size_t>(*got));
    for (;;) {
      void* parsed = nullptr;
      if (redisReaderGetReply(parser_.get(), &parsed) != REDIS_OK) {
        close(replyLimit_.exceeded() ? replyLimit_.why()
                                     : "not Redis's protocol: " + std::string(parser_->errstr));
        co_return {};
      }
      if (!parsed) break;  // the rest of a reply is still to come
      auto reply = std::unique_ptr<redisReply, void (*)(void*)>(static_cast<redisReply*>(parsed),
                                                                freeReplyObject);
      if (waiting_.empty()) {
        close("a reply came that no command asked for");
        co_return {};
      }
      auto done = std::move(waiting_.front());
      waiting_.pop_front();
      done(copyReply(*reply));
    }
  }
}

Task<void> RedisConnection::writing() {
  auto output = GRef<GOutputStream>::ref(g_io_stream_get_output_stream(stream_.get()));
  while (!outbox_.empty()) {
    auto bytes = std::make_shared<const std::string>(std::exchange(outbox_, {}));
    if (auto written = co_await writeAll(output, bytes); !written) {
      close(written.error().message);
      co_return {};
    }
  }
  writing_ = false;
  co_return {};
}

void RedisConnection::send(const std::vector<std::string>& args, Callback<RedisReply> done) {
  if (!stream_) {
    done(lostError());
    return;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* formatted = nullptr;
  const int length = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(),
                                            lengths.data());
  if (length < 0) {
    done(makeError(QueueError::Refused, "cannot format " + args.front()));
    return;
  }
  outbox_.append(formatted, static_cast<std::size_t>(length));
  redisFreeCommand(formatted);
  waiting_.push_back(std::move(done));
  if (!writing_) {
    writing_ = true;
    writer_ = writing();
    writer_.start(context_.get());
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
  if (auto opened = co_await open(); !opened) {
    why_ = opened.error().message;
    co_return opened.error();
  }
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
                                "Redis at " + address_.describe() + " did not answer within " +
                                    std::to_string(connectTimeout_.count()) + " ms")));
  if (!connected) {
    close(connected.error().message);
    co_return connected.error();
  }
  ready_ = true;
  GST_INFO("Redis %s connection to %s ready", purpose_.c_str(), address_.describe().c_str());
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
    close(reply.error().message);
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
    if (exec.error().is(QueueError::Timeout)) close(exec.error().message);
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
