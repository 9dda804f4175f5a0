// RedisStreamQueue: the stream holds bodies waiting and in flight (handled ones are deleted, so
// its length is the backlog); `<stream>:retry` (a sorted set by not-before time) with
// `<stream>:retry:data` (a hash) holds bodies waiting out a retry delay; `<stream>:dead` is
// the dead-letter stream. Every step that touches two keys is one Lua script, so a crash
// between two commands cannot lose or duplicate a body.

#include "handover/redis/redis_stream_queue.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "redis_connection.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace redis {
namespace {

using detail::Reply;
using detail::str;
using webhook::DeadLetter;
using webhook::PushOutcome;
using webhook::QueuedBody;
using webhook::QueueStats;
using webhook::RetryOutcome;

// KEYS: stream, retry set. ARGV: max length, body, received ms.
constexpr const char* kPushScript = R"lua(
local held = redis.call('XLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if held >= tonumber(ARGV[1]) then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'b', ARGV[2], 't', ARGV[3], 'n', '0')
return 1
)lua";

// KEYS: stream, retry set, retry data. ARGV: now ms, limit. Moves due retries to the stream.
constexpr const char* kPromoteScript = R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, tok in ipairs(due) do
  local d = redis.call('HMGET', KEYS[3], tok .. ':b', tok .. ':t', tok .. ':n')
  if d[1] then redis.call('XADD', KEYS[1], '*', 'b', d[1], 't', d[2], 'n', d[3]) end
  redis.call('ZREM', KEYS[2], tok)
  redis.call('HDEL', KEYS[3], tok .. ':b', tok .. ':t', tok .. ':n')
end
return #due
)lua";

// KEYS: stream. ARGV: group, id.
constexpr const char* kAckScript = R"lua(
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
)lua";

// KEYS: stream, retry set, retry data. ARGV: group, id, not-before ms, body, received ms,
// deliveries so far.
constexpr const char* kRetryScript = R"lua(
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
local tok = ARGV[2]
redis.call('HSET', KEYS[3], tok .. ':b', ARGV[4], tok .. ':t', ARGV[5], tok .. ':n', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[3], tok)
return 1
)lua";

// KEYS: stream, dead stream. ARGV: group, id, body, received ms, deliveries, reason, max dead.
constexpr const char* kDeadScript = R"lua(
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'b', ARGV[3], 't', ARGV[4],
           'n', ARGV[5], 'reason', ARGV[6])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
)lua";

constexpr std::size_t kMaxDeadLetters = 10'000;

Timestamp systemNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string defaultConsumer() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return std::string(host[0] != '\0' ? host : "host") + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(rd() % 1'000'000);
}

std::int64_t toInt(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

// One stream entry `[id, [field, value, ...]]` as a body; nullopt for a deleted entry.
std::optional<QueuedBody> entryOf(const redisReply* e) {
  if (e == nullptr || e->type != REDIS_REPLY_ARRAY || e->elements < 2) return std::nullopt;
  const redisReply* fields = e->element[1];
  if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY) return std::nullopt;
  QueuedBody b;
  b.id = str(e->element[0]);
  std::size_t before = 0;
  for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
    const std::string f = str(fields->element[i]);
    if (f == "b") {
      b.body = str(fields->element[i + 1]);
    } else if (f == "t") {
      b.received_at = fromEpochMillis(toInt(str(fields->element[i + 1])));
    } else if (f == "n") {
      before = static_cast<std::size_t>(toInt(str(fields->element[i + 1])));
    }
  }
  b.deliveries = before;  // the caller adds this delivery
  return b;
}

bool isNoGroup(const Error& e) {
  return e.message.find("NOGROUP") != std::string::npos;
}

}  // namespace

struct RedisStreamQueue::Impl {
  explicit Impl(RedisStreamQueueOptions options)
      : o(std::move(options)),
        pool(o.redis),
        stream(o.redis.key_prefix + o.stream),
        retry_set(stream + ":retry"),
        retry_data(stream + ":retry:data"),
        dead(stream + ":dead") {
    if (o.consumer.empty()) o.consumer = defaultConsumer();
    // A blocking read must end before the connection's command timeout does.
    const auto room = o.redis.command_timeout - std::chrono::milliseconds(200);
    if (o.block > room) o.block = std::max(std::chrono::milliseconds(10), room);
  }

  RedisStreamQueueOptions o;
  detail::RedisPool pool;
  const std::string stream, retry_set, retry_data, dead;
  std::atomic<bool> closed{false};
  std::atomic<bool> group_ready{false};

  Result<void> ensureGroup() {
    if (group_ready.load()) return {};
    auto r = pool.command({"XGROUP", "CREATE", stream, o.group, "0", "MKSTREAM"});
    if (!r && r.error().message.find("BUSYGROUP") == std::string::npos) {
      return std::move(r).error();
    }
    group_ready = true;
    return {};
  }

  // A command on the group; recreates the group once if Redis lost it (restarted empty).
  Result<Reply> onGroup(const std::vector<std::string>& args) {
    if (auto g = ensureGroup(); !g) return std::move(g).error();
    auto r = pool.command(args);
    if (!r && isNoGroup(r.error())) {
      group_ready = false;
      if (auto g = ensureGroup(); !g) return std::move(g).error();
      r = pool.command(args);
    }
    return r;
  }

  // Delivery count Redis keeps for an entry in the group's pending list.
  std::size_t pendingCount(const std::string& id) {
    auto r = pool.command({"XPENDING", stream, o.group, id, id, "1"});
    if (!r || (*r)->type != REDIS_REPLY_ARRAY || (*r)->elements == 0) return 1;
    const redisReply* e = (*r)->element[0];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 4) return 1;
    return static_cast<std::size_t>(std::max<long long>(1, e->element[3]->integer));
  }

  Result<std::optional<QueuedBody>> reclaim() {
    auto r = onGroup({"XAUTOCLAIM", stream, o.group, o.consumer, std::to_string(o.lease.count()),
                      "0-0", "COUNT", "1"});
    if (!r) return std::move(r).error();
    const redisReply* a = r->get();
    if (a->type != REDIS_REPLY_ARRAY || a->elements < 2) return std::optional<QueuedBody>();
    const redisReply* entries = a->element[1];
    for (std::size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; ++i) {
      if (auto b = entryOf(entries->element[i])) {
        b->deliveries += pendingCount(b->id);
        return std::optional<QueuedBody>(std::move(*b));
      }
    }
    return std::optional<QueuedBody>();
  }

  Result<std::optional<QueuedBody>> readNew(std::chrono::milliseconds block) {
    auto r =
        onGroup({"XREADGROUP", "GROUP", o.group, o.consumer, "COUNT", "1", "BLOCK",
                 std::to_string(std::max<long long>(1, block.count())), "STREAMS", stream, ">"});
    if (!r) return std::move(r).error();
    const redisReply* a = r->get();
    if (a->type != REDIS_REPLY_ARRAY || a->elements == 0) return std::optional<QueuedBody>();
    const redisReply* s = a->element[0];
    if (s->type != REDIS_REPLY_ARRAY || s->elements < 2) return std::optional<QueuedBody>();
    const redisReply* entries = s->element[1];
    if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0) {
      return std::optional<QueuedBody>();
    }
    auto b = entryOf(entries->element[0]);
    if (b) b->deliveries += 1;
    return b;
  }
};

namespace {
RedisStreamQueueOptions checked(RedisStreamQueueOptions options) {
  if (auto ok = checkOptions(options.redis); !ok) throw Exception(std::move(ok).error());
  return options;
}
}  // namespace

RedisStreamQueue::RedisStreamQueue(RedisStreamQueueOptions options)
    : impl_(std::make_unique<Impl>(checked(std::move(options)))) {}

RedisStreamQueue::~RedisStreamQueue() = default;

const std::string& RedisStreamQueue::consumer() const noexcept {
  return impl_->o.consumer;
}

// The one write that waits for replicas (`wait_replicas`): a body answered 200 must survive a
// failover. Acks, retries and dead letters do not wait: one lost in a failover leaves the body
// pending, and it is delivered again (de-duplication keeps it from being handled twice).
Result<PushOutcome> RedisStreamQueue::push(std::string_view body, Timestamp received_at) {
  Impl& d = *impl_;
  std::vector<std::vector<std::string>> commands;
  commands.push_back(detail::RedisPool::evalArgs(kPushScript, {d.stream, d.retry_set},
                                                 {std::to_string(d.o.max_length), std::string(body),
                                                  std::to_string(epochMillis(received_at))}));
  auto w = d.pool.write(std::move(commands));
  if (!w) return std::move(w).error();
  if (w->replies.front()->integer != 1) return PushOutcome::kFull;
  return w->replicated ? PushOutcome::kQueued : PushOutcome::kNotReplicated;
}

Result<std::optional<QueuedBody>> RedisStreamQueue::pop(std::chrono::milliseconds wait) {
  Impl& d = *impl_;
  const auto give_up = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (d.closed.load()) return std::optional<QueuedBody>();
    auto promoted = d.pool.eval(kPromoteScript, {d.stream, d.retry_set, d.retry_data},
                                {std::to_string(epochMillis(systemNow())), "16"});
    if (!promoted) return std::move(promoted).error();
    auto stale = d.reclaim();
    if (!stale || *stale) return stale;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        give_up - std::chrono::steady_clock::now());
    auto fresh = d.readNew(std::min(left, d.o.block));
    if (!fresh || *fresh) return fresh;
    if (std::chrono::steady_clock::now() >= give_up) return std::optional<QueuedBody>();
  }
}

Result<void> RedisStreamQueue::ack(const QueuedBody& entry) {
  Impl& d = *impl_;
  auto r = d.pool.eval(kAckScript, {d.stream}, {d.o.group, entry.id});
  if (!r) return std::move(r).error();
  return {};
}

Result<RetryOutcome> RedisStreamQueue::retry(const QueuedBody& entry,
                                             std::chrono::milliseconds delay,
                                             std::string_view reason) {
  Impl& d = *impl_;
  if (entry.deliveries >= d.o.max_deliveries) {
    auto r = deadLetter(entry, reason);
    if (!r) return std::move(r).error();
    return RetryOutcome::kDeadLettered;
  }
  auto r = d.pool.eval(
      kRetryScript, {d.stream, d.retry_set, d.retry_data},
      {d.o.group, entry.id, std::to_string(epochMillis(systemNow() + delay)), entry.body,
       std::to_string(epochMillis(entry.received_at)), std::to_string(entry.deliveries)});
  if (!r) return std::move(r).error();
  return RetryOutcome::kRequeued;
}

Result<void> RedisStreamQueue::deadLetter(const QueuedBody& entry, std::string_view reason) {
  Impl& d = *impl_;
  auto r = d.pool.eval(
      kDeadScript, {d.stream, d.dead},
      {d.o.group, entry.id, entry.body, std::to_string(epochMillis(entry.received_at)),
       std::to_string(entry.deliveries), std::string(reason), std::to_string(kMaxDeadLetters)});
  if (!r) return std::move(r).error();
  return {};
}

Result<QueueStats> RedisStreamQueue::stats() {
  Impl& d = *impl_;
  QueueStats s;
  auto len = d.pool.command({"XLEN", d.stream});
  if (!len) return std::move(len).error();
  auto parked = d.pool.command({"ZCARD", d.retry_set});
  if (!parked) return std::move(parked).error();
  auto pending = d.onGroup({"XPENDING", d.stream, d.o.group});
  if (!pending) return std::move(pending).error();
  auto dead_len = d.pool.command({"XLEN", d.dead});
  if (!dead_len) return std::move(dead_len).error();
  const auto in_flight = (*pending)->type == REDIS_REPLY_ARRAY && (*pending)->elements > 0
                             ? static_cast<std::size_t>((*pending)->element[0]->integer)
                             : std::size_t{0};
  const auto held = static_cast<std::size_t>((*len)->integer);
  s.in_flight = in_flight;
  s.depth =
      (held > in_flight ? held - in_flight : 0) + static_cast<std::size_t>((*parked)->integer);
  s.dead_lettered = static_cast<std::size_t>((*dead_len)->integer);
  auto first = d.pool.command({"XRANGE", d.stream, "-", "+", "COUNT", "1"});
  if (first && (*first)->type == REDIS_REPLY_ARRAY && (*first)->elements > 0) {
    if (auto b = entryOf((*first)->element[0])) {
      s.oldest_age = std::max(std::chrono::milliseconds(0), systemNow() - b->received_at);
    }
  }
  return s;
}

void RedisStreamQueue::close() {
  impl_->closed = true;
}

Result<std::vector<DeadLetter>> RedisStreamQueue::deadLetters(std::size_t limit) {
  Impl& d = *impl_;
  auto r = d.pool.command({"XREVRANGE", d.dead, "+", "-", "COUNT", std::to_string(limit)});
  if (!r) return std::move(r).error();
  std::vector<DeadLetter> out;
  const redisReply* a = r->get();
  for (std::size_t i = 0; a->type == REDIS_REPLY_ARRAY && i < a->elements; ++i) {
    auto b = entryOf(a->element[i]);
    if (!b) continue;
    DeadLetter dl;
    dl.entry = *b;
    const redisReply* fields = a->element[i]->element[1];
    for (std::size_t k = 0; k + 1 < fields->elements; k += 2) {
      if (str(fields->element[k]) == "reason") dl.reason = str(fields->element[k + 1]);
    }
    out.push_back(std::move(dl));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

namespace {

// `connected_slaves:N` of an `INFO replication` answer; -1 when absent.
int connectedReplicas(const std::string& info) {
  const std::string key = "connected_slaves:";
  const auto at = info.find(key);
  if (at == std::string::npos) return -1;
  return static_cast<int>(
      toInt(info.substr(at + key.size(), info.find('\r', at) - at - key.size())));
}

void persistenceWarnings(DurabilityReport& report) {
  if (!report.append_only) {
    report.warnings.emplace_back(
        "Redis runs with appendonly no: if it is killed, every queued webhook body (answered "
        "200 already) and every tracker timer is lost; set appendonly yes");
  } else if (report.append_fsync != "always") {
    report.warnings.push_back("Redis runs with appendfsync " + report.append_fsync +
                              ": a crash of its host can lose the last second of queued bodies; "
                              "set appendfsync always for exactly-once through a crash");
  }
}

void replicaWarnings(DurabilityReport& report) {
  const std::string have = std::to_string(report.replicas);
  if (report.wait_replicas > report.replicas) {
    report.warnings.push_back("wait_replicas asks for " + std::to_string(report.wait_replicas) +
                              " replicas but the primary has " + have +
                              " connected: every POST answers 503 until enough replicas are back");
  } else if (report.replicas > 0 && report.wait_replicas == 0) {
    report.warnings.push_back(
        "the primary has " + have +
        " replicas but wait_replicas is 0: a failover can lose bodies answered 200 that no "
        "replica had copied yet; set wait_replicas to 1");
  }
}

}  // namespace

Result<DurabilityReport> RedisStreamQueue::checkDurability() {
  Impl& d = *impl_;
  DurabilityReport report;
  report.wait_replicas = d.o.redis.wait_replicas;
  auto info = d.pool.command({"INFO", "replication"});
  if (!info) return std::move(info).error();
  report.replicas = std::max(0, connectedReplicas(str(info->get())));
  replicaWarnings(report);
  auto get = [&](const char* name) -> Result<std::string> {
    auto r = d.pool.command({"CONFIG", "GET", name});
    if (!r) return std::move(r).error();
    if ((*r)->type != REDIS_REPLY_ARRAY || (*r)->elements < 2) return std::string();
    return str((*r)->element[1]);
  };
  auto aof = get("appendonly");
  auto fsync = get("appendfsync");
  if (!aof || !fsync) {
    // Unreachable is an error; a refused CONFIG (managed Redis renames it) is a warning.
    const Error& e = !aof ? aof.error() : fsync.error();
    if (e.message.find(" answered: ") == std::string::npos) return e;
    report.warnings.emplace_back(
        "cannot read Redis' persistence settings (CONFIG GET refused): make sure it runs with "
        "appendonly yes and appendfsync always");
    return report;
  }
  report.append_only = *aof == "yes";
  report.append_fsync = *fsync;
  persistenceWarnings(report);
  return report;
}

}  // namespace redis
HANDOVER_END_NAMESPACE
