#pragma once
// A small pool of hiredis connections, shared by the Redis-backed parts of handover::redis
// (RedisStore, RedisStreamQueue). Each connection is used under its own mutex (hiredis
// contexts are not thread-safe); a connection that failed is dropped and reopened by the next
// call, so an unreachable server fails calls with a store error and a restarted one recovers.

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "handover/core/error.hpp"
#include "handover/core/result.hpp"
#include "handover/redis/redis_options.hpp"
#include "handover/tracker/store.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace redis::detail {

using tracker::storeError;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

inline timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
  return tv;
}

inline std::string str(const redisReply* r) {
  return (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS))
             ? std::string(r->str, r->len)
             : std::string();
}

// A command's arguments as hiredis takes them: pointers and lengths (binary-safe).
struct ArgvView {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  explicit ArgvView(const std::vector<std::string>& args) {
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  int count() const { return static_cast<int>(argv.size()); }
};

// One hiredis connection. hiredis contexts are not thread-safe: each is used under its mutex.
struct Connection {
  std::mutex mu;
  redisContext* ctx = nullptr;

  ~Connection() { drop(); }

  void drop() {
    if (ctx) redisFree(ctx);
    ctx = nullptr;
  }

  Result<void> ensure(const RedisOptions& o, const std::string& where) {
    if (ctx) return {};
    ctx = redisConnectWithTimeout(o.host.c_str(), o.port, toTimeval(o.connect_timeout));
    if (!ctx || ctx->err) {
      std::string why = ctx ? ctx->errstr : "out of memory";
      drop();
      return storeError("redis at " + where + " unreachable: " + why);
    }
    redisSetTimeout(ctx, toTimeval(o.command_timeout));
    if (!o.password.empty()) {
      auto r = raw({"AUTH", o.password}, where);
      if (!r) return std::move(r).error();
    }
    if (o.database != 0) {
      auto r = raw({"SELECT", std::to_string(o.database)}, where);
      if (!r) return std::move(r).error();
    }
    return {};
  }

  Result<Reply> raw(const std::vector<std::string>& args, const std::string& where) {
    ArgvView v(args);  // hiredis 0.14 takes a non-const argv
    Reply r(
        static_cast<redisReply*>(redisCommandArgv(ctx, v.count(), v.argv.data(), v.lens.data())));
    if (!r) {
      // The connection is unusable after an I/O error: drop it, the next call reconnects.
      std::string why = ctx->errstr;
      drop();
      return storeError("redis at " + where + ": " + why);
    }
    if (r->type == REDIS_REPLY_ERROR) {
      // AUTH errors must not echo the password: Redis does not, and we add nothing.
      return storeError("redis at " + where + " answered: " + std::string(r->str, r->len));
    }
    return r;
  }

  // Sends every command, then reads every reply: one round trip for all of them. An error
  // reply fails the whole call (after all replies were read, so the connection stays in step);
  // an I/O error drops the connection.
  Result<std::vector<Reply>> pipeline(const std::vector<std::vector<std::string>>& commands,
                                      const std::string& where) {
    for (const auto& args : commands) {
      ArgvView v(args);  // hiredis 0.14 takes a non-const argv
      if (redisAppendCommandArgv(ctx, v.count(), v.argv.data(), v.lens.data()) != REDIS_OK) {
        std::string why = ctx->errstr;
        drop();
        return storeError("redis at " + where + ": " + why);
      }
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    std::optional<Error> first_error;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      void* raw_reply = nullptr;
      if (redisGetReply(ctx, &raw_reply) != REDIS_OK || raw_reply == nullptr) {
        std::string why = ctx->errstr;
        drop();
        return storeError("redis at " + where + ": " + why);
      }
      Reply r(static_cast<redisReply*>(raw_reply));
      if (r->type == REDIS_REPLY_ERROR && !first_error) {
        first_error = storeError("redis at " + where + " answered: " + std::string(r->str, r->len));
      }
      replies.push_back(std::move(r));
    }
    if (first_error) return *first_error;
    return replies;
  }
};

// Connections opened lazily, used round-robin.
struct RedisPool {
  RedisOptions o;
  std::string where;  // host:port, for messages (never the password)
  std::vector<std::unique_ptr<Connection>> pool;
  std::atomic<std::size_t> next{0};

  explicit RedisPool(RedisOptions options) : o(std::move(options)) {
    where = o.host + ":" + std::to_string(o.port);
    const std::size_t n = o.connections > 0 ? o.connections : 1;
    for (std::size_t i = 0; i < n; ++i) pool.push_back(std::make_unique<Connection>());
  }

  // A free connection if one is, else waits for one (round-robin, so waits spread out).
  Result<Reply> command(const std::vector<std::string>& args) {
    return withConnection([&](Connection& c) { return c.raw(args, where); });
  }

  // Several commands in one round trip on one connection (see Connection::pipeline).
  Result<std::vector<Reply>> pipeline(const std::vector<std::vector<std::string>>& commands) {
    if (commands.empty()) return std::vector<Reply>{};
    return withConnection([&](Connection& c) { return c.pipeline(commands, where); });
  }

  template <typename F>
  auto withConnection(F&& use) -> decltype(use(std::declval<Connection&>())) {
    const std::size_t start = next++ % pool.size();
    Connection* c = nullptr;
    std::unique_lock<std::mutex> lock;
    for (std::size_t i = 0; i < pool.size() && !c; ++i) {
      Connection* candidate = pool[(start + i) % pool.size()].get();
      std::unique_lock<std::mutex> attempt(candidate->mu, std::try_to_lock);
      if (attempt.owns_lock()) {
        c = candidate;
        lock = std::move(attempt);
      }
    }
    if (!c) {
      c = pool[start].get();
      lock = std::unique_lock<std::mutex>(c->mu);
    }
    auto ok = c->ensure(o, where);
    if (!ok) return std::move(ok).error();
    return use(*c);
  }

  static std::vector<std::string> evalArgs(const char* script, std::vector<std::string> keys,
                                           std::vector<std::string> argv) {
    std::vector<std::string> args{"EVAL", script, std::to_string(keys.size())};
    for (auto& k : keys) args.push_back(std::move(k));
    for (auto& a : argv) args.push_back(std::move(a));
    return args;
  }

  Result<Reply> eval(const char* script, std::vector<std::string> keys,
                     std::vector<std::string> argv) {
    return command(evalArgs(script, std::move(keys), std::move(argv)));
  }
};

}  // namespace redis::detail
HANDOVER_END_NAMESPACE
