// RedisStreamQueue: the stream holds bodies waiting and in flight (handled ones are deleted, so
// its length is the backlog); `<stream>:retry` (a sorted set by not-before time) with
// `<stream>:retry:data` (a hash) holds bodies waiting out a retry delay; `<stream>:dead` is
// the dead-letter stream. Every step that touches two keys is one Lua script, so a crash
// between two commands cannot lose or duplicate a body.

#include "handover/redis/redis_stream_queue.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
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

// Acks wait to go out together (one round trip for many bodies): at most this many, and no
// longer than `kAckDelay` (or a quarter of the lease) while workers keep asking for bodies.
constexpr std::size_t kAckBatch = 32;
constexpr std::chrono::milliseconds kAckDelay{50};

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

std::int64_t integerOrZero(const std::string& s) {
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
      b.received_at = fromEpochMillis(integerOrZero(str(fields->element[i + 1])));
    } else if (f == "n") {
      before = static_cast<std::size_t>(integerOrZero(str(fields->element[i + 1])));
    }
  }
  b.deliveries = before;  // the caller adds this delivery
  return b;
}

using Clock = std::chrono::steady_clock;

RedisStreamQueueOptions checked(RedisStreamQueueOptions options) {
  if (auto ok = checkOptions(options.redis); !ok) throw Exception(std::move(ok).error());
  return options;
}

// One stream with its retry set, retry data and dead letters, all under one hash tag: one slot.
struct Partition {
  std::string stream, retry_set, retry_data, dead;
  bool legacy = false;  // the single stream of a version before partitions: drained, not fed
};

// A body's id names its partition: "<partition>/<stream id>".
std::string bodyId(std::size_t partition, const std::string& stream_id) {
  return std::to_string(partition) + "/" + stream_id;
}

}  // namespace

struct RedisStreamQueue::Impl {
  explicit Impl(RedisStreamQueueOptions options) : o(std::move(options)), pool(o.redis) {
    if (o.consumer.empty()) o.consumer = defaultConsumer();
    o.partitions = std::clamp<std::size_t>(o.partitions, 1, 1024);
    o.read_batch = std::max<std::size_t>(1, o.read_batch);
    share = std::max<std::size_t>(1, (o.max_length + o.partitions - 1) / o.partitions);
    for (std::size_t i = 0; i < o.partitions; ++i) {
      const std::string tag = o.redis.key_prefix + "{" + o.stream + ":" + std::to_string(i) + "}";
      parts.push_back({tag, tag + ":retry", tag + ":retry:data", tag + ":dead", false});
    }
    const std::string old = o.redis.key_prefix + o.stream;
    parts.push_back({old, old + ":retry", old + ":retry:data", old + ":dead", true});
  }

  RedisStreamQueueOptions o;
  detail::RedisPool pool;
  std::vector<Partition> parts;  // the partitions, then the legacy stream
  std::size_t share = 1;         // bodies a partition holds at most
  std::atomic<bool> closed{false};
  std::atomic<bool> groups_ready{false};
  std::atomic<bool> legacy_done{false};  // the legacy stream was found empty
  std::mutex mu;                         // guards what follows
  std::deque<QueuedBody> fetched;        // read by a sweep, not handed out yet
  std::size_t next_sweep = 0;            // the partition a sweep starts at (fairness)
  Clock::time_point next_promote{};
  Clock::time_point next_reclaim{};
  // Acks not sent yet. A lost one costs a redelivery, which de-duplication answers: nothing
  // an ack does must survive a crash, so acks ride together rather than one round trip each.
  std::mutex ack_mu;                           // guards what follows
  std::vector<std::vector<std::string>> acks;  // ack scripts to send
  Clock::time_point first_ack{};               // when the oldest of them was taken

  std::chrono::milliseconds ackDelay() const { return std::min(kAckDelay, o.lease / 4); }

  // Sends the acks taken so far in one pipeline; on failure they are kept for the next try.
  Result<void> flushAcks() {
    std::vector<std::vector<std::string>> batch;
    {
      std::lock_guard<std::mutex> lock(ack_mu);
      batch.swap(acks);
    }
    if (batch.empty()) return {};
    auto r = pool.pipelineEach(batch);
    if (r) return {};
    std::lock_guard<std::mutex> lock(ack_mu);
    for (auto& c : batch) acks.push_back(std::move(c));
    return std::move(r).error();
  }

  bool hasAcks() {
    std::lock_guard<std::mutex> lock(ack_mu);
    return !acks.empty();
  }

  bool acksDue() {
    std::lock_guard<std::mutex> lock(ack_mu);
    return !acks.empty() && Clock::now() - first_ack >= ackDelay();
  }

  std::size_t partitionOf(std::string_view body) const {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: a stable spread, no secret involved
    for (unsigned char c : body) h = (h ^ c) * 1099511628211ULL;
    return static_cast<std::size_t>(h % o.partitions);
  }

  // Which partition an id names; the legacy one for an id of a version before partitions.
  const Partition& partOf(const std::string& id, std::string& stream_id) const {
    const auto slash = id.find('/');
    if (slash == std::string::npos) {
      stream_id = id;  // handed out by a version before partitions
      return parts.back();
    }
    const auto n = static_cast<std::size_t>(integerOrZero(id.substr(0, slash)));
    stream_id = id.substr(slash + 1);
    return parts[std::min(n, parts.size() - 1)];
  }

  // The partitions a sweep reads: the legacy stream too until it was found empty.
  std::size_t readable() const { return legacy_done.load() ? o.partitions : parts.size(); }

  Result<void> ensureGroups() {
    if (groups_ready.load()) return {};
    std::vector<std::vector<std::string>> commands;
    for (const auto& p : parts) {
      commands.push_back({"XGROUP", "CREATE", p.stream, o.group, "0"});
      // The legacy stream is read only where a version before partitions left one.
      if (!p.legacy) commands.back().push_back("MKSTREAM");
    }
    auto replies = pool.pipelineEach(commands);
    if (!replies) return std::move(replies).error();
    for (std::size_t i = 0; i < replies->size(); ++i) {
      const redisReply* r = (*replies)[i].get();
      if (r->type != REDIS_REPLY_ERROR) continue;
      const std::string text(r->str, r->len);
      if (text.find("BUSYGROUP") != std::string::npos) continue;
      if (parts[i].legacy && text.find("key to exist") != std::string::npos) {
        legacy_done = true;
        continue;
      }
      return tracker::storeError("redis answered XGROUP CREATE: " + text);
    }
    groups_ready = true;
    return {};
  }

  // A reply that says Redis lost the group (restarted empty): create them again next time.
  bool lostGroup(const redisReply* r) {
    if (r->type != REDIS_REPLY_ERROR ||
        std::string_view(r->str, r->len).find("NOGROUP") == std::string_view::npos) {
      return false;
    }
    groups_ready = false;
    return true;
  }

  // Due retries back to their streams, on a timer (one pipelined round trip).
  Result<void> promote() {
    std::vector<std::vector<std::string>> commands;
    const std::string now = std::to_string(epochMillis(systemNow()));
    for (std::size_t i = 0; i < readable(); ++i) {
      const Partition& p = parts[i];
      commands.push_back(detail::RedisPool::evalArgs(
          kPromoteScript, {p.stream, p.retry_set, p.retry_data}, {now, "16"}));
    }
    auto r = pool.pipeline(commands);
    if (!r) return std::move(r).error();
    return {};
  }

  // Bodies a dead or stuck consumer held past the lease, on a timer.
  Result<std::vector<QueuedBody>> reclaim() {
    std::vector<std::vector<std::string>> commands;
    for (std::size_t i = 0; i < readable(); ++i) {
      commands.push_back({"XAUTOCLAIM", parts[i].stream, o.group, o.consumer,
                          std::to_string(o.lease.count()), "0-0", "COUNT",
                          std::to_string(o.read_batch)});
    }
    auto replies = pool.pipelineEach(commands);
    if (!replies) return std::move(replies).error();
    std::vector<QueuedBody> out;
    for (std::size_t i = 0; i < replies->size(); ++i) {
      const redisReply* a = (*replies)[i].get();
      if (lostGroup(a) || a->type != REDIS_REPLY_ARRAY || a->elements < 2) continue;
      const redisReply* entries = a->element[1];
      for (std::size_t k = 0; entries->type == REDIS_REPLY_ARRAY && k < entries->elements; ++k) {
        if (auto b = entryOf(entries->element[k])) {
          b->deliveries += pendingCount(parts[i], b->id);
          b->id = bodyId(i, b->id);
          out.push_back(std::move(*b));
        }
      }
    }
    return out;
  }

  // Delivery count Redis keeps for an entry in the group's pending list.
  std::size_t pendingCount(const Partition& p, const std::string& id) {
    auto r = pool.command({"XPENDING", p.stream, o.group, id, id, "1"});
    if (!r || (*r)->type != REDIS_REPLY_ARRAY || (*r)->elements == 0) return 1;
    const redisReply* e = (*r)->element[0];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 4) return 1;
    return static_cast<std::size_t>(std::max<long long>(1, e->element[3]->integer));
  }

  // New bodies from every partition, starting at a rotating one (one pipelined round trip).
  Result<std::vector<QueuedBody>> sweep(std::size_t start) {
    std::vector<std::vector<std::string>> commands;
    std::vector<std::size_t> order;
    const std::size_t n = readable();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (start + k) % n;
      order.push_back(i);
      commands.push_back({"XREADGROUP", "GROUP", o.group, o.consumer, "COUNT",
                          std::to_string(o.read_batch), "STREAMS", parts[i].stream, ">"});
    }
    auto replies = pool.pipelineEach(commands);
    if (!replies) return std::move(replies).error();
    std::vector<QueuedBody> out;
    bool legacy_seen = false;
    for (std::size_t k = 0; k < replies->size(); ++k) {
      const redisReply* a = (*replies)[k].get();
      if (lostGroup(a) || a->type != REDIS_REPLY_ARRAY || a->elements == 0) continue;
      const redisReply* s = a->element[0];
      if (s->type != REDIS_REPLY_ARRAY || s->elements < 2) continue;
      const redisReply* entries = s->element[1];
      for (std::size_t e = 0; entries->type == REDIS_REPLY_ARRAY && e < entries->elements; ++e) {
        if (auto b = entryOf(entries->element[e])) {
          b->deliveries += 1;
          b->id = bodyId(order[k], b->id);
          legacy_seen = legacy_seen || parts[order[k]].legacy;
          out.push_back(std::move(*b));
        }
      }
    }
    if (n == parts.size() && !legacy_seen) forgetLegacyWhenEmpty();
    return out;
  }

  // Whether the legacy stream holds anything (waiting, pending or parked).
  bool legacyHolds() {
    const Partition& l = parts.back();
    auto replies = pool.pipelineEach({{"XLEN", l.stream}, {"ZCARD", l.retry_set}});
    if (!replies) return true;  // unknown: keep reading it
    for (const Reply& r : *replies) {
      if (r->type != REDIS_REPLY_INTEGER || r->integer != 0) return true;
    }
    return false;
  }
  // The legacy stream stops being read once nothing waits, is pending or parked there.
  void forgetLegacyWhenEmpty() {
    if (!legacyHolds()) legacy_done = true;
  }
  // During a rolling upgrade a server of the version before may still queue there: look again
  // now and then (on the reclaim timer), and read it again when it holds something.
  void recheckLegacy() {
    if (legacy_done.load() && legacyHolds()) {
      legacy_done = false;
      groups_ready = false;  // its group may not exist yet
    }
  }

  // Timers due now (promotion, reclaim) and the next sweep, under `mu`; bodies into `fetched`.
  Result<void> refill() {
    if (auto g = ensureGroups(); !g) return std::move(g).error();
    const auto now = Clock::now();
    if (now >= next_promote) {
      next_promote = now + std::chrono::milliseconds(100);
      if (auto r = promote(); !r) return r;
    }
    if (now >= next_reclaim) {
      next_reclaim = now + std::clamp(o.lease / 4, std::chrono::milliseconds(20),
                                      std::chrono::milliseconds(1000));
      recheckLegacy();
      if (auto g = ensureGroups(); !g) return std::move(g).error();
      auto stale = reclaim();
      if (!stale) return std::move(stale).error();
      for (auto& b : *stale) fetched.push_back(std::move(b));
    }
    if (!fetched.empty()) return {};
    auto fresh = sweep(next_sweep++);
    if (!fresh) return std::move(fresh).error();
    for (auto& b : *fresh) fetched.push_back(std::move(b));
    return {};
  }
};

RedisStreamQueue::RedisStreamQueue(RedisStreamQueueOptions options)
    : impl_(std::make_unique<Impl>(checked(std::move(options)))) {}

RedisStreamQueue::~RedisStreamQueue() {
  (void)impl_->flushAcks();  // a failure leaves them pending: redelivered after the lease
}

const std::string& RedisStreamQueue::consumer() const noexcept {
  return impl_->o.consumer;
}

// The one write that waits for replicas (`wait_replicas`): a body answered 200 must survive a
// failover. Acks, retries and dead letters do not wait: one lost in a failover leaves the body
// pending, and it is delivered again (de-duplication keeps it from being handled twice).
Result<PushOutcome> RedisStreamQueue::push(std::string_view body, Timestamp received_at) {
  auto outcome = pushOnce(body, received_at);
  // Bodies handled but not acknowledged yet still count against the bound: send the acks.
  if (outcome && *outcome == PushOutcome::kFull && impl_->hasAcks()) {
    if (auto r = impl_->flushAcks(); !r) return std::move(r).error();
    outcome = pushOnce(body, received_at);
  }
  return outcome;
}

Result<PushOutcome> RedisStreamQueue::pushOnce(std::string_view body, Timestamp received_at) {
  Impl& d = *impl_;
  const Partition& p = d.parts[d.partitionOf(body)];
  std::vector<std::vector<std::string>> commands;
  commands.push_back(detail::RedisPool::evalArgs(
      kPushScript, {p.stream, p.retry_set},
      {std::to_string(d.share), std::string(body), std::to_string(epochMillis(received_at))}));
  auto w = d.pool.write(std::move(commands));
  if (!w) return std::move(w).error();
  if (w->replies.front()->integer != 1) return PushOutcome::kFull;
  return w->replicated ? PushOutcome::kQueued : PushOutcome::kNotReplicated;
}

Result<std::optional<QueuedBody>> RedisStreamQueue::pop(std::chrono::milliseconds wait) {
  auto one = popBatch(1, wait);
  if (!one) return std::move(one).error();
  if (one->empty()) return std::optional<QueuedBody>();
  return std::optional<QueuedBody>(std::move(one->front()));
}

Result<std::vector<QueuedBody>> RedisStreamQueue::popBatch(std::size_t max,
                                                           std::chrono::milliseconds wait) {
  Impl& d = *impl_;
  max = std::max<std::size_t>(1, max);
  const auto give_up = Clock::now() + wait;
  for (;;) {
    if (d.closed.load()) return std::vector<QueuedBody>();
    if (d.acksDue()) {
      if (auto r = d.flushAcks(); !r) return std::move(r).error();
    }
    {
      std::lock_guard<std::mutex> lock(d.mu);
      if (d.fetched.empty()) {
        if (auto r = d.refill(); !r) return std::move(r).error();
      }
      if (!d.fetched.empty()) {
        std::vector<QueuedBody> out;
        while (!d.fetched.empty() && out.size() < max) {
          out.push_back(std::move(d.fetched.front()));
          d.fetched.pop_front();
        }
        return out;
      }
    }
    const auto now = Clock::now();
    if (now >= give_up) return std::vector<QueuedBody>();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - now);
    std::this_thread::sleep_for(std::min({left, d.o.poll_interval, d.o.block}));
  }
}

// Batched: sent with the next `kAckBatch` acks, or by `pop` once `kAckDelay` passed, or by
// `stats`, `close` and the destructor.
Result<void> RedisStreamQueue::ack(const QueuedBody& entry) {
  Impl& d = *impl_;
  std::string id;
  const Partition& p = d.partOf(entry.id, id);
  bool full = false;
  {
    std::lock_guard<std::mutex> lock(d.ack_mu);
    if (d.acks.empty()) d.first_ack = Clock::now();
    d.acks.push_back(detail::RedisPool::evalArgs(kAckScript, {p.stream}, {d.o.group, id}));
    full = d.acks.size() >= kAckBatch;
  }
  if (full || d.closed.load()) return d.flushAcks();
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
  std::string id;
  const Partition& p = d.partOf(entry.id, id);
  auto r = d.pool.eval(
      kRetryScript, {p.stream, p.retry_set, p.retry_data},
      {d.o.group, id, std::to_string(epochMillis(systemNow() + delay)), entry.body,
       std::to_string(epochMillis(entry.received_at)), std::to_string(entry.deliveries)});
  if (!r) return std::move(r).error();
  return RetryOutcome::kRequeued;
}

Result<void> RedisStreamQueue::deadLetter(const QueuedBody& entry, std::string_view reason) {
  Impl& d = *impl_;
  std::string id;
  const Partition& p = d.partOf(entry.id, id);
  auto r = d.pool.eval(
      kDeadScript, {p.stream, p.dead},
      {d.o.group, id, entry.body, std::to_string(epochMillis(entry.received_at)),
       std::to_string(entry.deliveries), std::string(reason), std::to_string(kMaxDeadLetters)});
  if (!r) return std::move(r).error();
  return {};
}

Result<QueueStats> RedisStreamQueue::stats() {
  Impl& d = *impl_;
  if (auto r = d.flushAcks(); !r) return std::move(r).error();
  if (auto g = d.ensureGroups(); !g) return std::move(g).error();
  std::vector<std::vector<std::string>> commands;
  for (std::size_t i = 0; i < d.readable(); ++i) {
    const Partition& p = d.parts[i];
    commands.push_back({"XLEN", p.stream});
    commands.push_back({"ZCARD", p.retry_set});
    commands.push_back({"XPENDING", p.stream, d.o.group});
    commands.push_back({"XLEN", p.dead});
    commands.push_back({"XRANGE", p.stream, "-", "+", "COUNT", "1"});
  }
  auto replies = d.pool.pipeline(commands);
  if (!replies) return std::move(replies).error();
  QueueStats s;
  std::optional<Timestamp> oldest;
  for (std::size_t i = 0; i + 4 < replies->size(); i += 5) {
    const auto held = static_cast<std::size_t>((*replies)[i]->integer);
    const redisReply* pending = (*replies)[i + 2].get();
    const auto in_flight = pending->type == REDIS_REPLY_ARRAY && pending->elements > 0
                               ? static_cast<std::size_t>(pending->element[0]->integer)
                               : std::size_t{0};
    s.in_flight += in_flight;
    s.depth += (held > in_flight ? held - in_flight : 0) +
               static_cast<std::size_t>((*replies)[i + 1]->integer);
    s.dead_lettered += static_cast<std::size_t>((*replies)[i + 3]->integer);
    const redisReply* first = (*replies)[i + 4].get();
    if (first->type == REDIS_REPLY_ARRAY && first->elements > 0) {
      if (auto b = entryOf(first->element[0])) {
        if (!oldest || b->received_at < *oldest) oldest = b->received_at;
      }
    }
  }
  if (oldest) s.oldest_age = std::max(std::chrono::milliseconds(0), systemNow() - *oldest);
  return s;
}

void RedisStreamQueue::close() {
  impl_->closed = true;
  (void)impl_->flushAcks();  // a failure leaves them pending: redelivered after the lease
}

// The newest `limit` of every partition's dead letters, merged by when they were dead-lettered
// (the time part of their stream ids).
Result<std::vector<DeadLetter>> RedisStreamQueue::deadLetters(std::size_t limit) {
  Impl& d = *impl_;
  std::vector<std::vector<std::string>> commands;
  for (const auto& p : d.parts) {
    commands.push_back({"XREVRANGE", p.dead, "+", "-", "COUNT", std::to_string(limit)});
  }
  auto replies = d.pool.pipeline(commands);
  if (!replies) return std::move(replies).error();
  std::vector<std::pair<std::int64_t, DeadLetter>> found;
  for (const Reply& r : *replies) {
    const redisReply* a = r.get();
    for (std::size_t i = 0; a->type == REDIS_REPLY_ARRAY && i < a->elements; ++i) {
      auto b = entryOf(a->element[i]);
      if (!b) continue;
      DeadLetter dl;
      dl.entry = *b;
      const redisReply* fields = a->element[i]->element[1];
      for (std::size_t k = 0; k + 1 < fields->elements; k += 2) {
        if (str(fields->element[k]) == "reason") dl.reason = str(fields->element[k + 1]);
      }
      found.emplace_back(integerOrZero(b->id.substr(0, b->id.find('-'))), std::move(dl));
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  const std::size_t from = found.size() > limit ? found.size() - limit : 0;
  std::vector<DeadLetter> out;
  for (std::size_t i = from; i < found.size(); ++i) out.push_back(std::move(found[i].second));
  return out;
}

namespace {

// `connected_slaves:N` of an `INFO replication` answer; -1 when absent.
int connectedReplicas(const std::string& info) {
  const std::string key = "connected_slaves:";
  const auto at = info.find(key);
  if (at == std::string::npos) return -1;
  return static_cast<int>(
      integerOrZero(info.substr(at + key.size(), info.find('\r', at) - at - key.size())));
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

// Every primary's settings (one on a single server or behind Sentinel; each of a cluster's):
// the report holds the weakest, and a warning names the primary that has it.
Result<DurabilityReport> RedisStreamQueue::checkDurability() {
  Impl& d = *impl_;
  DurabilityReport report;
  report.wait_replicas = d.o.redis.wait_replicas;
  auto info = d.pool.atEveryPrimary({"INFO", "replication"});
  if (!info) return std::move(info).error();
  report.replicas = std::numeric_limits<int>::max();
  for (const auto& [where, reply] : *info) {
    report.replicas = std::min(report.replicas, std::max(0, connectedReplicas(str(reply.get()))));
  }
  if (info->empty()) report.replicas = 0;
  replicaWarnings(report);
  const auto get = [&](const char* name) -> Result<std::vector<std::pair<std::string, Reply>>> {
    return d.pool.atEveryPrimary({"CONFIG", "GET", name});
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
  const auto value = [](const Reply& r) {
    return r->type == REDIS_REPLY_ARRAY && r->elements >= 2 ? str(r->element[1]) : std::string();
  };
  report.append_only = true;
  report.append_fsync = "always";
  for (std::size_t i = 0; i < aof->size(); ++i) {
    const std::string on = value((*aof)[i].second);
    const std::string every = i < fsync->size() ? value((*fsync)[i].second) : std::string();
    if (on != "yes") report.append_only = false;
    if (every != "always") report.append_fsync = every;
  }
  persistenceWarnings(report);
  if (aof->size() > 1) {
    for (auto& w : report.warnings) w += " (on at least one of the cluster's primaries)";
  }
  return report;
}

}  // namespace redis
HANDOVER_END_NAMESPACE
