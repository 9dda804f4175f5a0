#include "redis_connection.hpp"

#include "cluster.hpp"

#include <string>
#include <utility>
#include <vector>

HANDOVER_BEGIN_NAMESPACE
namespace redis {

Result<void> checkOptions(const RedisOptions& o) {
  const auto refuse = [](const std::string& why) {
    return handover::detail::invalidArgument("redis options: " + why);
  };
  if (o.key_prefix.find_first_of("{}") != std::string::npos) {
    return refuse(
        "key_prefix must not hold { or }: the SDK's hash tags keep what one script "
        "touches in one Redis Cluster slot");
  }
  if (o.due_partitions < 1 || o.due_partitions > 1024) {
    return refuse("due_partitions must be from 1 to 1024");
  }
  if (o.wait_replicas < 0) return refuse("wait_replicas must be 0 or more");
  if (o.wait_replicas > 0 && o.wait_timeout.count() <= 0) {
    return refuse("wait_timeout must be above 0 (WAIT 0 would block forever)");
  }
  if (o.wait_replicas > 0 && o.wait_timeout >= o.command_timeout) {
    return refuse(
        "wait_timeout must be below command_timeout, or the connection times out "
        "while WAIT still waits");
  }
  if (!o.sentinels.empty() && o.sentinel_service.empty()) {
    return refuse("sentinels need the sentinel_service name they monitor the primary under");
  }
  if (!o.sentinels.empty() && !o.cluster_nodes.empty()) {
    return refuse(
        "sentinels and cluster_nodes exclude each other: a Redis Cluster fails over "
        "by itself");
  }
  for (const auto& s : o.sentinels) {
    if (s.host.empty() || s.port <= 0 || s.port > 65535) {
      return refuse("each of sentinels needs a host and a port from 1 to 65535");
    }
  }
  for (const auto& n : o.cluster_nodes) {
    if (n.host.empty() || n.port <= 0 || n.port > 65535) {
      return refuse("each of cluster_nodes needs a host and a port from 1 to 65535");
    }
  }
  if (o.database != 0 && !o.cluster_nodes.empty()) {
    return refuse("a Redis Cluster has database 0 only");
  }
  if (o.sentinels.empty() && o.cluster_nodes.empty() && (o.port <= 0 || o.port > 65535)) {
    return refuse("port must be from 1 to 65535");
  }
  return {};
}

namespace detail {

namespace {

std::string addressText(const RedisAddress& a) {
  return a.host + ":" + std::to_string(a.port);
}

// One short-lived connection to a Sentinel: the primary it names for the service, if any.
std::optional<RedisAddress> askSentinel(const RedisOptions& o, const RedisAddress& sentinel,
                                        std::string& why) {
  redisContext* c =
      redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, toTimeval(o.connect_timeout));
  const auto close = [&] {
    if (c) redisFree(c);
  };
  if (!c || c->err) {
    why += "; Sentinel " + addressText(sentinel) + " unreachable";
    close();
    return std::nullopt;
  }
  redisSetTimeout(c, toTimeval(o.command_timeout));
  const auto ask = [&](const std::vector<std::string>& args) {
    ArgvView v(args);  // hiredis 0.14 takes a non-const argv
    return Reply(
        static_cast<redisReply*>(redisCommandArgv(c, v.count(), v.argv.data(), v.lens.data())));
  };
  if (!o.sentinel_password.empty()) {
    Reply auth = ask({"AUTH", o.sentinel_password});
    if (!auth || auth->type == REDIS_REPLY_ERROR) {
      why += "; Sentinel " + addressText(sentinel) + " refused AUTH";
      close();
      return std::nullopt;
    }
  }
  Reply r = ask({"SENTINEL", "get-master-addr-by-name", o.sentinel_service});
  std::optional<RedisAddress> found;
  if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
    try {
      found = RedisAddress{str(r->element[0]), std::stoi(str(r->element[1]))};
    } catch (const std::exception&) {
      found.reset();
    }
  }
  if (!found) {
    why += "; Sentinel " + addressText(sentinel) + " knows no primary named " + o.sentinel_service;
  }
  close();
  return found;
}

}  // namespace

std::vector<RedisAddress> primaryCandidates(const RedisOptions& o, std::string& why) {
  if (o.sentinels.empty()) return {RedisAddress{o.host, o.port}};
  std::vector<RedisAddress> out;
  for (const auto& s : o.sentinels) {
    if (auto primary = askSentinel(o, s, why)) out.push_back(std::move(*primary));
  }
  return out;
}

void Connection::drop() {
  if (ctx) redisFree(ctx);
  ctx = nullptr;
}

Result<void> Connection::ensure(const RedisOptions& o) {
  if (ctx) return {};
  std::string why;
  const auto candidates = primaryCandidates(o, why);
  for (const auto& at : candidates) {
    auto opened = open(o, at, !o.sentinels.empty());
    if (opened) return {};
    why += "; " + opened.error().message;
  }
  if (o.sentinels.empty()) return storeError(why.substr(2));
  return storeError("no primary found through " + std::to_string(o.sentinels.size()) +
                    " Sentinels for " + o.sentinel_service + why);
}

Result<void> Connection::ensureAt(const RedisOptions& o, const RedisAddress& at) {
  if (ctx) return {};
  return open(o, at, false);
}

Result<void> Connection::open(const RedisOptions& o, const RedisAddress& at, bool want_primary) {
  where = addressText(at);
  ctx = redisConnectWithTimeout(at.host.c_str(), at.port, toTimeval(o.connect_timeout));
  if (!ctx || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    drop();
    return storeError("redis at " + where + " unreachable: " + why);
  }
  redisSetTimeout(ctx, toTimeval(o.command_timeout));
  // A connection left unauthenticated (or on database 0) must not serve the next call.
  if (!o.password.empty()) {
    auto r = raw({"AUTH", o.password});
    if (!r) {
      drop();
      return std::move(r).error();
    }
  }
  if (o.database != 0) {
    auto r = raw({"SELECT", std::to_string(o.database)});
    if (!r) {
      drop();
      return std::move(r).error();
    }
  }
  if (want_primary) {
    // A Sentinel may name the old primary for a moment during a failover: ask the server.
    auto role = raw({"ROLE"});
    if (!role) return std::move(role).error();
    const redisReply* r = role->get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0 || str(r->element[0]) != "master") {
      drop();
      return storeError("redis at " + where + " is not a primary (yet)");
    }
  }
  return {};
}

Error Connection::answered(const redisReply* r) {
  const std::string text(r->str, r->len);
  // A failover demoted this server: drop the connection, the next call asks the Sentinels.
  if (text.rfind("READONLY", 0) == 0) drop();
  // AUTH errors must not echo the password: Redis does not, and we add nothing.
  return storeError("redis at " + where + " answered: " + text);
}

Result<Reply> Connection::raw(const std::vector<std::string>& args) {
  ArgvView v(args);  // hiredis 0.14 takes a non-const argv
  Reply r(static_cast<redisReply*>(redisCommandArgv(ctx, v.count(), v.argv.data(), v.lens.data())));
  if (!r) {
    // The connection is unusable after an I/O error: drop it, the next call reconnects.
    std::string why = ctx->errstr;
    drop();
    return storeError("redis at " + where + ": " + why);
  }
  if (r->type == REDIS_REPLY_ERROR) return answered(r.get());
  return r;
}

Result<std::vector<Reply>> Connection::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  return send(commands, true);
}

Result<std::vector<Reply>> Connection::pipelineEach(
    const std::vector<std::vector<std::string>>& commands) {
  return send(commands, false);
}

Result<std::vector<Reply>> Connection::send(const std::vector<std::vector<std::string>>& commands,
                                            bool fail_on_error_reply) {
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
    if (r->type == REDIS_REPLY_ERROR && !first_error) first_error = answered(r.get());
    replies.push_back(std::move(r));
    if (!ctx) break;  // dropped on READONLY: the rest of the replies went with it
  }
  if (first_error && (fail_on_error_reply || !ctx)) return *first_error;
  return replies;
}

RedisPool::RedisPool(RedisOptions options) : o(std::move(options)) {
  if (!o.cluster_nodes.empty()) cluster = std::make_unique<Cluster>(o);
  const std::size_t n = o.connections > 0 ? o.connections : 1;
  for (std::size_t i = 0; i < n; ++i) pool.push_back(std::make_unique<Connection>());
}

RedisPool::~RedisPool() = default;

namespace {
// The first error reply of a cluster pipeline, as a single connection's pipeline reports it.
std::optional<Error> firstError(const std::vector<Reply>& replies) {
  for (const Reply& r : replies) {
    if (r->type == REDIS_REPLY_ERROR) {
      return storeError("redis cluster answered: " + std::string(r->str, r->len));
    }
  }
  return std::nullopt;
}
}  // namespace

Result<Reply> RedisPool::command(const std::vector<std::string>& args) {
  if (cluster) {
    auto r = pipeline({args});
    if (!r) return std::move(r).error();
    return std::move(r->front());
  }
  return withConnection([&](Connection& c) { return c.raw(args); });
}

Result<std::vector<Reply>> RedisPool::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return std::vector<Reply>{};
  if (cluster) {
    auto r = cluster->pipelineEach(commands);
    if (!r) return std::move(r).error();
    if (auto e = firstError(*r)) return *e;
    return r;
  }
  return withConnection([&](Connection& c) { return c.pipeline(commands); });
}

Result<std::vector<std::pair<std::string, Reply>>> RedisPool::atEveryPrimary(
    const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, Reply>> out;
  if (cluster) {
    auto r = cluster->atEveryPrimary(args);
    if (!r) return std::move(r).error();
    out = std::move(*r);
  } else {
    auto r = withConnection([&](Connection& c) -> Result<std::pair<std::string, Reply>> {
      auto reply = c.raw(args);
      if (!reply) return std::move(reply).error();
      return std::make_pair(c.where, std::move(*reply));
    });
    if (!r) return std::move(r).error();
    out.push_back(std::move(*r));
  }
  for (const auto& [where, reply] : out) {
    if (reply->type == REDIS_REPLY_ERROR) {
      return storeError("redis at " + where + " answered: " + std::string(reply->str, reply->len));
    }
  }
  return out;
}

Result<std::vector<Reply>> RedisPool::pipelineEach(
    const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return std::vector<Reply>{};
  if (cluster) return cluster->pipelineEach(commands);
  return withConnection([&](Connection& c) { return c.pipelineEach(commands); });
}

Result<Written> RedisPool::write(std::vector<std::vector<std::string>> commands) {
  if (cluster) {
    auto w = cluster->write(commands);
    if (!w) return std::move(w).error();
    if (auto e = firstError(w->replies)) return *e;
    return w;
  }
  const bool wait = o.wait_replicas > 0;
  if (wait) {
    // WAIT counts the replicas that acknowledged every earlier write of this connection.
    commands.push_back(
        {"WAIT", std::to_string(o.wait_replicas), std::to_string(o.wait_timeout.count())});
  }
  auto replies = pipeline(commands);
  if (!replies) return std::move(replies).error();
  Written w;
  w.replies = std::move(*replies);
  if (wait) {
    w.replicas = w.replies.back()->type == REDIS_REPLY_INTEGER ? w.replies.back()->integer : 0;
    w.replicated = w.replicas >= o.wait_replicas;
    w.replies.pop_back();
  }
  return w;
}

Result<Reply> RedisPool::replicatedWrite(std::vector<std::string> args) {
  std::vector<std::vector<std::string>> one;
  one.push_back(std::move(args));
  auto r = replicatedPipeline(std::move(one));
  if (!r) return std::move(r).error();
  return std::move(r->front());
}

Result<std::vector<Reply>> RedisPool::replicatedPipeline(
    std::vector<std::vector<std::string>> commands) {
  if (commands.empty()) return std::vector<Reply>{};
  auto w = write(std::move(commands));
  if (!w) return std::move(w).error();
  if (!w->replicated) return notReplicated(w->replicas);
  return std::move(w->replies);
}

Error RedisPool::notReplicated(long long replicas) const {
  return storeError("redis: the write reached " + std::to_string(replicas) + " of the " +
                    std::to_string(o.wait_replicas) + " replicas wait_replicas asks for within " +
                    std::to_string(o.wait_timeout.count()) + " ms");
}

std::vector<std::string> RedisPool::evalArgs(const char* script, std::vector<std::string> keys,
                                             std::vector<std::string> argv) {
  std::vector<std::string> args{"EVAL", script, std::to_string(keys.size())};
  for (auto& k : keys) args.push_back(std::move(k));
  for (auto& a : argv) args.push_back(std::move(a));
  return args;
}

}  // namespace detail
}  // namespace redis
HANDOVER_END_NAMESPACE
