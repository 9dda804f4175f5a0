#pragma once
// A small pool of hiredis connections, shared by the Redis-backed parts of handover::redis
// (RedisStore, RedisStreamQueue). Each connection is used under its own mutex (hiredis
// contexts are not thread-safe); a connection that failed is dropped and reopened by the next
// call, so an unreachable server fails calls with a store error and a restarted one recovers.
// Behind Sentinel, each new connection asks the Sentinels where the primary is, and a
// connection that meets `-READONLY` (its server was demoted) is dropped: the next call follows
// the failover. With `wait_replicas`, writes end with `WAIT` on the same connection.

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

// Where the primary is now: `host:port` from the options, or what a Sentinel says (checked with
// ROLE on the connection opened, see Connection::ensure).
std::vector<RedisAddress> primaryCandidates(const RedisOptions& o, std::string& why);

// One hiredis connection. hiredis contexts are not thread-safe: each is used under its mutex.
struct Connection {
  std::mutex mu;
  redisContext* ctx = nullptr;
  std::string where;  // host:port of the server it is connected to (never the password)

  ~Connection() { drop(); }
  void drop();
  // Connects (through the Sentinels when configured) unless connected.
  Result<void> ensure(const RedisOptions& o);
  // Connects to `at` unless connected (a Cluster node).
  Result<void> ensureAt(const RedisOptions& o, const RedisAddress& at);
  Result<Reply> raw(const std::vector<std::string>& args);
  // Sends every command, then reads every reply: one round trip for all of them. An error
  // reply fails the whole call (after all replies were read, so the connection stays in step);
  // an I/O error drops the connection.
  Result<std::vector<Reply>> pipeline(const std::vector<std::vector<std::string>>& commands);
  // The same, but an error reply is handed back among the others (only I/O errors fail).
  Result<std::vector<Reply>> pipelineEach(const std::vector<std::vector<std::string>>& commands);

 private:
  Result<std::vector<Reply>> send(const std::vector<std::vector<std::string>>& commands,
                                  bool fail_on_error_reply);
  Result<void> open(const RedisOptions& o, const RedisAddress& at, bool want_primary);
  // An error reply; a demoted server's connection is dropped so the next call rediscovers.
  Error answered(const redisReply* r);
};

// What a write reached: its replies, and whether `wait_replicas` replicas hold it.
struct Written {
  std::vector<Reply> replies;
  bool replicated = true;
  long long replicas = 0;  // as WAIT counted them (0 when not asked)
};

class Cluster;

// Connections opened lazily, used round-robin; or, on a Redis Cluster, the cluster client
// (cluster.hpp), to which every call below is handed.
struct RedisPool {
  RedisOptions o;
  std::vector<std::unique_ptr<Connection>> pool;
  std::atomic<std::size_t> next{0};
  std::unique_ptr<Cluster> cluster;

  explicit RedisPool(RedisOptions options);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  // A free connection if one is, else waits for one (round-robin, so waits spread out).
  Result<Reply> command(const std::vector<std::string>& args);
  // Several commands in one round trip on one connection (see Connection::pipeline).
  Result<std::vector<Reply>> pipeline(const std::vector<std::vector<std::string>>& commands);
  // The same, each reply handed back, error replies included (Connection::pipelineEach).
  Result<std::vector<Reply>> pipelineEach(const std::vector<std::vector<std::string>>& commands);
  // A command of no key at every primary (one on a single server or behind Sentinel), each
  // reply with the server's address; an error reply fails the call.
  Result<std::vector<std::pair<std::string, Reply>>> atEveryPrimary(
      const std::vector<std::string>& args);
  // Writes in one round trip, followed by `WAIT wait_replicas wait_timeout` on the same
  // connection when replicas are awaited (the WAIT reply is not among `replies`).
  Result<Written> write(std::vector<std::vector<std::string>> commands);
  // A write that must be replicated: a store error when fewer replicas hold it in time.
  Result<Reply> replicatedWrite(std::vector<std::string> args);
  Result<std::vector<Reply>> replicatedPipeline(std::vector<std::vector<std::string>> commands);

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
    auto ok = c->ensure(o);
    if (!ok) return std::move(ok).error();
    return use(*c);
  }

  static std::vector<std::string> evalArgs(const char* script, std::vector<std::string> keys,
                                           std::vector<std::string> argv);
  Result<Reply> eval(const char* script, std::vector<std::string> keys,
                     std::vector<std::string> argv) {
    return command(evalArgs(script, std::move(keys), std::move(argv)));
  }
  // A script that writes what must not be lost: replicated as `replicatedWrite` says.
  Result<Reply> evalWrite(const char* script, std::vector<std::string> keys,
                          std::vector<std::string> argv) {
    return replicatedWrite(evalArgs(script, std::move(keys), std::move(argv)));
  }
  // The error of a write fewer replicas hold than asked.
  Error notReplicated(long long replicas) const;
};

}  // namespace redis::detail
HANDOVER_END_NAMESPACE
