#include "handover/redis/redis_store.hpp"

#include "redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

HANDOVER_BEGIN_NAMESPACE
namespace redis {

using tracker::ActionRecord;
using tracker::ConversationKey;
using tracker::ConversationState;
using tracker::DueClaim;
using tracker::EventClaim;
using tracker::Observation;
using tracker::Ownership;
using tracker::OwnerSource;
using tracker::policyActionFromString;
using tracker::storeError;

namespace {

using detail::Reply;
using detail::str;

// Merges an Observation with the same rules as `merge` (conversation.cpp), inside Redis so two
// servers writing one conversation never lose each other's update.
constexpr const char* kApplyScript = R"lua(
local k = KEYS[1]
local function num(f, d)
  local v = redis.call('HGET', k, f)
  if v then return tonumber(v) end
  return d
end
if ARGV[2] ~= '' then
  local at = tonumber(ARGV[2])
  if at >= num('ot', 0) then
    redis.call('HSET', k, 'ot', ARGV[2], 'ow', ARGV[3], 'oa', ARGV[4], 'os', ARGV[5], 'oe', ARGV[6])
    if ARGV[7] == '1' then
      for _, f in ipairs(redis.call('HKEYS', k)) do
        if string.sub(f, 1, 2) == 'r:' then
          local rat = tonumber(string.match(redis.call('HGET', k, f), '^(%-?%d+)'))
          if rat <= at then redis.call('HDEL', k, f) end
        end
      end
    end
  end
end
local function maxset(f, v)
  if v == '' then return false end
  if tonumber(v) > num(f, 0) then
    redis.call('HSET', k, f, v)
    return true
  end
  return false
end
maxset('lu', ARGV[8])
maxset('lo', ARGV[9])
if maxset('lx', ARGV[10]) then redis.call('HSET', k, 'lxa', ARGV[11]) end
if ARGV[12] ~= '' then
  local f = 'r:' .. ARGV[12]
  local cur = redis.call('HGET', k, f)
  if (not cur) or tonumber(string.match(cur, '^(%-?%d+)')) < tonumber(ARGV[13]) then
    redis.call('HSET', k, f, ARGV[13] .. '|' .. ARGV[14])
  end
end
if ARGV[15] ~= '' and tonumber(ARGV[16]) >= num('aat', -9007199254740992) then
  redis.call('HSET', k, 'act', ARGV[15], 'aat', ARGV[16])
end
if ARGV[17] ~= '' and tonumber(ARGV[17]) > num('ot', 0) then
  local ow = redis.call('HGET', k, 'ow')
  local oa = redis.call('HGET', k, 'oa') or ''
  if not (ow == '2' and oa ~= ARGV[18]) then
    redis.call('HSET', k, 'ot', ARGV[17], 'ow', '2', 'oa', '', 'os', '1', 'oe', '')
  end
end
if ARGV[19] ~= '' then redis.call('HSET', k, 'pf', ARGV[19]) end
redis.call('HSETNX', k, 'v', '1')
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', k, ARGV[1]) end
return redis.call('HGETALL', k)
)lua";

// Moves every due member to `lease_until` and returns it: the script runs atomically, so two
// servers polling at once never get the same member.
constexpr const char* kClaimDueScript = R"lua(
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
for i = 1, #items, 2 do
  redis.call('ZADD', KEYS[1], ARGV[2], items[i])
end
return items
)lua";

constexpr const char* kFinishDueScript = R"lua(
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
)lua";

constexpr const char* kClaimEventScript = R"lua(
if redis.call('SET', KEYS[1], 'p', 'NX', 'PX', ARGV[1]) then return 0 end
if redis.call('GET', KEYS[1]) == 'd' then return 1 end
return 2
)lua";

constexpr const char* kAbandonEventScript = R"lua(
if redis.call('GET', KEYS[1]) == 'p' then redis.call('DEL', KEYS[1]) end
return 0
)lua";

std::int64_t roundedOrZero(const std::string& s) {
  if (s.empty()) return 0;
  try {
    return static_cast<std::int64_t>(std::llround(std::stod(s)));
  } catch (const std::exception&) {
    return 0;
  }
}

// The platform as `apply` stores it (its enum value); anything else reads as Messenger.
Platform platformFromStored(const std::string& v) {
  for (Platform p : {Platform::kInstagram, Platform::kWhatsApp}) {
    if (v == std::to_string(static_cast<int>(p))) return p;
  }
  return Platform::kMessenger;
}

std::string member(const ConversationKey& key) {
  return key.page_id + "|" + key.user_id;
}

ConversationKey fromMember(const std::string& m) {
  const auto bar = m.find('|');  // page ids are digits: the first bar ends the page id
  if (bar == std::string::npos) return {m, ""};
  return {m.substr(0, bar), m.substr(bar + 1)};
}

std::string ms(Timestamp t) {
  return std::to_string(epochMillis(t));
}

std::string opt(const std::optional<Timestamp>& v) {
  return v ? ms(*v) : std::string();
}

Timestamp toTime(const std::string& v) {
  return fromEpochMillis(roundedOrZero(v));
}

ConversationState parseState(const ConversationKey& key, const redisReply* r) {
  ConversationState s;
  s.key = key;
  for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
    const std::string f = str(r->element[i]);
    const std::string v = str(r->element[i + 1]);
    if (f == "ot") {
      s.owner.learned_at = toTime(v);
    } else if (f == "ow") {
      s.owner.ownership = static_cast<Ownership>(roundedOrZero(v));
    } else if (f == "oa") {
      s.owner.app_id = v;
    } else if (f == "os") {
      s.owner.source = static_cast<OwnerSource>(roundedOrZero(v));
    } else if (f == "oe") {
      if (!v.empty()) s.owner.expires_at = toTime(v);
    } else if (f == "lu") {
      s.last_user_message = toTime(v);
    } else if (f == "lo") {
      s.last_own_message = toTime(v);
    } else if (f == "lx") {
      s.last_other_message = toTime(v);
    } else if (f == "lxa") {
      s.last_other_app_id = v;
    } else if (f == "pf") {
      s.platform = platformFromStored(v);
    } else if (f.compare(0, 2, "r:") == 0) {
      const auto bar = v.find('|');
      s.pending_requests.push_back({f.substr(2), bar == std::string::npos ? "" : v.substr(bar + 1),
                                    toTime(v.substr(0, bar))});
    } else if (f == "act") {
      // ok|action|target|error: the error comes last and may hold bars.
      ActionRecord a;
      std::vector<std::string> parts;
      std::size_t pos = 0;
      for (int n = 0; n < 3; ++n) {
        const auto bar = v.find('|', pos);
        if (bar == std::string::npos) break;
        parts.push_back(v.substr(pos, bar - pos));
        pos = bar + 1;
      }
      const auto action = parts.size() == 3 ? policyActionFromString(parts[1]) : std::nullopt;
      if (action) {
        a.ok = parts[0] == "1";
        a.action = *action;
        a.target_app_id = parts[2];
        a.error = v.substr(pos);
        s.last_action = a;
      }
    }
  }
  if (s.last_action) {
    for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
      if (str(r->element[i]) == "aat") s.last_action->at = toTime(str(r->element[i + 1]));
    }
  }
  // The order `merge` gives, so both stores answer alike.
  merge(s, Observation{});
  return s;
}

}  // namespace

struct RedisStore::Impl {
  explicit Impl(RedisOptions options) : pool(std::move(options)) {}
  detail::RedisPool pool;
  const RedisOptions& o = pool.o;

  Result<Reply> command(const std::vector<std::string>& args) { return pool.command(args); }
  // Every state write waits for `wait_replicas` (RedisPool::replicatedWrite): what the tracker
  // and de-duplication wrote must survive a failover as far as WAIT can promise.
  Result<Reply> write(std::vector<std::string> args) {
    return pool.replicatedWrite(std::move(args));
  }
  Result<Reply> evalWrite(const char* script, std::vector<std::string> keys,
                          std::vector<std::string> argv) {
    return pool.evalWrite(script, std::move(keys), std::move(argv));
  }

  std::string convKey(const ConversationKey& k) const { return o.key_prefix + "c:" + member(k); }
  // A conversation's timer lives in one of `due_partitions` sets, by a hash of the
  // conversation; the last "partition" is the single set of a version before partitions,
  // still claimed from so an upgrade strands no timer.
  std::size_t duePartitions() const { return o.due_partitions + 1; }
  std::string dueKey(std::size_t partition) const {
    if (partition >= o.due_partitions) return o.key_prefix + "due";
    return o.key_prefix + "{due:" + std::to_string(partition) + "}";
  }
  std::string dueKey(const std::string& member_of) const {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: a stable spread
    for (unsigned char c : member_of) h = (h ^ c) * 1099511628211ULL;
    return dueKey(static_cast<std::size_t>(h % o.due_partitions));
  }
  std::string eventKey(std::string_view k) const { return o.key_prefix + "e:" + std::string(k); }
};

namespace {
RedisOptions checked(RedisOptions options) {
  if (auto ok = checkOptions(options); !ok) throw Exception(std::move(ok).error());
  return options;
}
}  // namespace

RedisStore::RedisStore(RedisOptions options)
    : impl_(std::make_unique<Impl>(checked(std::move(options)))) {}

RedisStore::~RedisStore() = default;

Result<void> RedisStore::ping() {
  auto r = impl_->command({"PING"});
  if (!r) return std::move(r).error();
  return {};
}

Result<ConversationState> RedisStore::apply(const ConversationKey& key, const Observation& obs) {
  if (key.page_id.empty() || key.user_id.empty()) {
    return handover::detail::invalidArgument("a conversation needs a page id and a user id");
  }
  std::vector<std::string> argv(19);
  argv[0] = std::to_string(impl_->o.conversation_ttl.count());
  if (obs.owner) {
    argv[1] = ms(obs.owner->learned_at);
    argv[2] = std::to_string(static_cast<int>(obs.owner->ownership));
    argv[3] = obs.owner->app_id;
    argv[4] = std::to_string(static_cast<int>(obs.owner->source));
    argv[5] = opt(obs.owner->expires_at);
    argv[6] = obs.clear_requests ? "1" : "0";
  }
  argv[7] = opt(obs.user_message);
  argv[8] = opt(obs.own_message);
  argv[9] = opt(obs.other_message);
  argv[10] = obs.other_app_id;
  if (obs.request) {
    argv[11] = obs.request->app_id;
    argv[12] = ms(obs.request->at);
    argv[13] = obs.request->metadata;
  }
  if (obs.action) {
    argv[14] = std::string(obs.action->ok ? "1" : "0") + "|" + toString(obs.action->action) + "|" +
               obs.action->target_app_id + "|" + obs.action->error;
    argv[15] = ms(obs.action->at);
  }
  if (obs.standby_at) {
    argv[16] = ms(*obs.standby_at);
    argv[17] = obs.self_app_id;
  }
  if (obs.platform) argv[18] = std::to_string(static_cast<int>(*obs.platform));
  auto r = impl_->evalWrite(kApplyScript, {impl_->convKey(key)}, std::move(argv));
  if (!r) return std::move(r).error();
  if ((*r)->type != REDIS_REPLY_ARRAY) return storeError("redis: unexpected reply to apply");
  return parseState(key, r->get());
}

Result<std::optional<ConversationState>> RedisStore::load(const ConversationKey& key) {
  auto r = impl_->command({"HGETALL", impl_->convKey(key)});
  if (!r) return std::move(r).error();
  if ((*r)->type != REDIS_REPLY_ARRAY) return storeError("redis: unexpected reply to HGETALL");
  if ((*r)->elements == 0) return std::optional<ConversationState>();
  return std::optional<ConversationState>(parseState(key, r->get()));
}

Result<void> RedisStore::schedule(const ConversationKey& key, std::optional<Timestamp> due_at) {
  const std::string m = member(key);
  std::vector<std::vector<std::string>> commands;
  if (due_at) {
    commands.push_back({"ZADD", impl_->dueKey(m), ms(*due_at), m});
  } else {
    commands.push_back({"ZREM", impl_->dueKey(m), m});
  }
  // A timer a version before partitions set is moved (or removed) with the first change.
  commands.push_back({"ZREM", impl_->dueKey(impl_->o.due_partitions), m});
  auto r = impl_->pool.replicatedPipeline(std::move(commands));
  if (!r) return std::move(r).error();
  return {};
}

// Each partition's due timers, up to its share of `limit`, in one pipelined round trip.
Result<std::vector<DueClaim>> RedisStore::claimDue(Timestamp now, std::chrono::milliseconds lease,
                                                   std::size_t limit) {
  const Timestamp until = now + lease;
  const std::size_t n = impl_->duePartitions();
  const std::string share = std::to_string(std::max<std::size_t>(1, (limit + n - 1) / n));
  std::vector<std::vector<std::string>> commands;
  for (std::size_t i = 0; i < n; ++i) {
    commands.push_back(detail::RedisPool::evalArgs(kClaimDueScript, {impl_->dueKey(i)},
                                                   {ms(now), ms(until), share}));
  }
  auto replies = impl_->pool.replicatedPipeline(std::move(commands));
  if (!replies) return std::move(replies).error();
  std::vector<DueClaim> out;
  for (const Reply& r : *replies) {
    const redisReply* a = r.get();
    for (std::size_t i = 0; a->type == REDIS_REPLY_ARRAY && i + 1 < a->elements; i += 2) {
      out.push_back({fromMember(str(a->element[i])), toTime(str(a->element[i + 1])), until});
    }
  }
  return out;
}

Result<void> RedisStore::finishDue(const DueClaim& claim) {
  const std::string m = member(claim.key);
  std::vector<std::vector<std::string>> commands;
  for (const std::string& key : {impl_->dueKey(m), impl_->dueKey(impl_->o.due_partitions)}) {
    commands.push_back(
        detail::RedisPool::evalArgs(kFinishDueScript, {key}, {m, ms(claim.lease_until)}));
  }
  auto r = impl_->pool.replicatedPipeline(std::move(commands));
  if (!r) return std::move(r).error();
  return {};
}

namespace {
EventClaim claimOf(const redisReply& r) {
  switch (r.integer) {
    case 0:
      return EventClaim::kNew;
    case 1:
      return EventClaim::kDuplicate;
    default:
      return EventClaim::kInFlight;
  }
}
}  // namespace

Result<EventClaim> RedisStore::claimEvent(std::string_view key, std::chrono::milliseconds lease) {
  auto r =
      impl_->evalWrite(kClaimEventScript, {impl_->eventKey(key)}, {std::to_string(lease.count())});
  if (!r) return std::move(r).error();
  return claimOf(**r);
}

// One single-key script per event, pipelined: one round trip for the body, and no script ever
// touches two keys (each event's key may live in its own slot).
Result<std::vector<EventClaim>> RedisStore::claimEvents(const std::vector<std::string>& keys,
                                                        std::chrono::milliseconds lease) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(keys.size());
  for (const std::string& key : keys) {
    commands.push_back(detail::RedisPool::evalArgs(kClaimEventScript, {impl_->eventKey(key)},
                                                   {std::to_string(lease.count())}));
  }
  auto replies = impl_->pool.replicatedPipeline(std::move(commands));
  // Claims made before a failure are not given up: which were ours is unknown (another
  // server's pending claim looks the same), so they lapse after `lease` and the body's next
  // delivery claims them again.
  if (!replies) return std::move(replies).error();
  std::vector<EventClaim> claims;
  claims.reserve(replies->size());
  for (const Reply& r : *replies) claims.push_back(claimOf(*r));
  return claims;
}

Result<void> RedisStore::settleEvents(const std::vector<std::string>& handled,
                                      const std::vector<std::string>& failed,
                                      std::chrono::milliseconds ttl) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(handled.size() + failed.size());
  for (const std::string& key : handled) {
    commands.push_back({"SET", impl_->eventKey(key), "d", "PX", std::to_string(ttl.count())});
  }
  for (const std::string& key : failed) {
    commands.push_back(
        detail::RedisPool::evalArgs(kAbandonEventScript, {impl_->eventKey(key)}, {}));
  }
  auto replies = impl_->pool.replicatedPipeline(std::move(commands));
  if (!replies) return std::move(replies).error();
  return {};
}

Result<void> RedisStore::completeEvent(std::string_view key, std::chrono::milliseconds ttl) {
  auto r = impl_->write({"SET", impl_->eventKey(key), "d", "PX", std::to_string(ttl.count())});
  if (!r) return std::move(r).error();
  return {};
}

Result<void> RedisStore::abandonEvent(std::string_view key) {
  auto r = impl_->evalWrite(kAbandonEventScript, {impl_->eventKey(key)}, {});
  if (!r) return std::move(r).error();
  return {};
}

}  // namespace redis
HANDOVER_END_NAMESPACE
