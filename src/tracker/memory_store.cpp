#include "handover/tracker/memory_store.hpp"

#include <chrono>
#include <cstring>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

HANDOVER_BEGIN_NAMESPACE
namespace tracker {
namespace {

constexpr std::uint32_t kNoId = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();

std::int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rarely set, so kept out of line: most conversations never see a request or an action.
struct Extra {
  std::vector<PendingRequest> requests;
  std::optional<ActionRecord> action;
};

// One conversation, compact: page and app ids are interned (a handful per deployment), times
// are plain integers. The key (page index + user id) lives in the map node.
struct Record {
  std::int64_t owner_at = 0;
  std::int64_t expires = kNoTime;
  std::int64_t user_ms = 0;
  std::int64_t own_ms = 0;
  std::int64_t other_ms = 0;
  std::int64_t due_at = 0;  // 0: no timer
  std::unique_ptr<Extra> extra;
  std::pair<const std::string, Record>* lru_prev = nullptr;
  std::pair<const std::string, Record>* lru_next = nullptr;
  std::uint32_t owner_app = kNoId;
  std::uint32_t other_app = kNoId;
  std::uint8_t ownership = 0;
  std::uint8_t source = 0;
  std::uint8_t platform = 0;  // in the padding: the record does not grow
};

using Node = std::pair<const std::string, Record>;

struct DedupEntry {
  std::int64_t expires = 0;
  bool done = false;
};

}  // namespace

struct MemoryStore::Impl {
  MemoryStoreOptions options;
  mutable std::mutex mu;
  std::unordered_map<std::string, Record> conversations;
  Node* lru_head = nullptr;  // most recently touched
  Node* lru_tail = nullptr;
  std::set<std::pair<std::int64_t, const Node*>> due;
  std::vector<std::string> names;
  std::unordered_map<std::string, std::uint32_t> name_ids;
  std::unordered_map<std::string, DedupEntry> dedup;
  std::size_t dedup_sweep_at = 1024;
  std::size_t evicted = 0;

  // Records keep plain epoch-ms integers (compact); the API speaks Timestamp.
  std::int64_t now() const { return options.clock ? epochMillis(options.clock()) : systemNowMs(); }

  std::uint32_t intern(const std::string& name) {
    if (name.empty()) return kNoId;
    auto it = name_ids.find(name);
    if (it != name_ids.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(names.size());
    names.push_back(name);
    name_ids.emplace(name, id);
    return id;
  }
  std::optional<std::uint32_t> findName(const std::string& name) const {
    auto it = name_ids.find(name);
    if (it == name_ids.end()) return std::nullopt;
    return it->second;
  }
  std::string nameOf(std::uint32_t id) const { return id == kNoId ? std::string() : names[id]; }

  static std::string mapKey(std::uint32_t page, const std::string& user) {
    std::string k(sizeof page + user.size(), '\0');
    std::memcpy(k.data(), &page, sizeof page);
    std::memcpy(k.data() + sizeof page, user.data(), user.size());
    return k;
  }
  ConversationKey keyOf(const Node& n) const {
    std::uint32_t page = 0;
    std::memcpy(&page, n.first.data(), sizeof page);
    return {nameOf(page), n.first.substr(sizeof page)};
  }

  void unlink(Node* n) {
    Record& r = n->second;
    (r.lru_prev ? r.lru_prev->second.lru_next : lru_head) = r.lru_next;
    (r.lru_next ? r.lru_next->second.lru_prev : lru_tail) = r.lru_prev;
    r.lru_prev = r.lru_next = nullptr;
  }
  void pushFront(Node* n) {
    n->second.lru_next = lru_head;
    n->second.lru_prev = nullptr;
    if (lru_head) lru_head->second.lru_prev = n;
    lru_head = n;
    if (!lru_tail) lru_tail = n;
  }
  void touch(Node* n) {
    if (lru_head == n) return;
    unlink(n);
    pushFront(n);
  }
  void erase(Node* n) {
    if (n->second.due_at != 0) due.erase({n->second.due_at, n});
    unlink(n);
    conversations.erase(n->first);
  }

  ConversationState toState(const Node& n) const {
    const Record& r = n.second;
    ConversationState s;
    s.key = keyOf(n);
    s.platform = static_cast<Platform>(r.platform);
    s.owner.ownership = static_cast<Ownership>(r.ownership);
    s.owner.app_id = nameOf(r.owner_app);
    s.owner.source = static_cast<OwnerSource>(r.source);
    s.owner.learned_at = fromEpochMillis(r.owner_at);
    if (r.expires != kNoTime) s.owner.expires_at = fromEpochMillis(r.expires);
    s.last_user_message = fromEpochMillis(r.user_ms);
    s.last_own_message = fromEpochMillis(r.own_ms);
    s.last_other_message = fromEpochMillis(r.other_ms);
    s.last_other_app_id = nameOf(r.other_app);
    if (r.extra) {
      s.pending_requests = r.extra->requests;
      s.last_action = r.extra->action;
    }
    return s;
  }
  void fromState(const ConversationState& s, Record& r) {
    r.platform = static_cast<std::uint8_t>(s.platform);
    r.ownership = static_cast<std::uint8_t>(s.owner.ownership);
    r.owner_app = intern(s.owner.app_id);
    r.source = static_cast<std::uint8_t>(s.owner.source);
    r.owner_at = epochMillis(s.owner.learned_at);
    r.expires = s.owner.expires_at ? epochMillis(*s.owner.expires_at) : kNoTime;
    r.user_ms = epochMillis(s.last_user_message);
    r.own_ms = epochMillis(s.last_own_message);
    r.other_ms = epochMillis(s.last_other_message);
    r.other_app = intern(s.last_other_app_id);
    if (s.pending_requests.empty() && !s.last_action) {
      r.extra.reset();
    } else {
      if (!r.extra) r.extra = std::make_unique<Extra>();
      r.extra->requests = s.pending_requests;
      r.extra->action = s.last_action;
    }
  }

  Node* find(const ConversationKey& key) {
    auto page = findName(key.page_id);
    if (!page) return nullptr;
    auto it = conversations.find(mapKey(*page, key.user_id));
    return it == conversations.end() ? nullptr : &*it;
  }
  Node* findOrCreate(const ConversationKey& key) {
    auto [it, inserted] = conversations.try_emplace(mapKey(intern(key.page_id), key.user_id));
    Node* n = &*it;
    if (inserted) {
      pushFront(n);
      while (conversations.size() > options.max_conversations && lru_tail && lru_tail != n) {
        erase(lru_tail);
        ++evicted;
      }
    } else {
      touch(n);
    }
    return n;
  }

  void sweepDedup(std::int64_t now_ms) {
    if (dedup.size() < dedup_sweep_at) return;
    for (auto it = dedup.begin(); it != dedup.end();) {
      it = it->second.expires <= now_ms ? dedup.erase(it) : std::next(it);
    }
    dedup_sweep_at = std::max<std::size_t>(1024, dedup.size() * 2);
  }
};

MemoryStore::MemoryStore(MemoryStoreOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.max_conversations == 0) options.max_conversations = 1;
  impl_->options = std::move(options);
}

MemoryStore::~MemoryStore() = default;

Result<ConversationState> MemoryStore::apply(const ConversationKey& key, const Observation& obs) {
  if (key.page_id.empty() || key.user_id.empty()) {
    return handover::detail::invalidArgument("a conversation needs a page id and a user id");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  Node* n = impl_->findOrCreate(key);
  ConversationState s = impl_->toState(*n);
  merge(s, obs);
  impl_->fromState(s, n->second);
  return s;
}

Result<std::optional<ConversationState>> MemoryStore::load(const ConversationKey& key) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Node* n = impl_->find(key);
  if (!n) return std::optional<ConversationState>();
  return std::optional<ConversationState>(impl_->toState(*n));
}

Result<void> MemoryStore::schedule(const ConversationKey& key, std::optional<Timestamp> due_at) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Node* n = due_at ? impl_->findOrCreate(key) : impl_->find(key);
  if (!n) return {};
  Record& r = n->second;
  if (r.due_at != 0) impl_->due.erase({r.due_at, n});
  r.due_at = 0;
  if (due_at) {
    // 0 means "no timer" in a record; a timer at the epoch is due anyway.
    r.due_at = *due_at == Timestamp{} ? 1 : epochMillis(*due_at);
    impl_->due.insert({r.due_at, n});
  }
  return {};
}

Result<std::vector<DueClaim>> MemoryStore::claimDue(Timestamp now, std::chrono::milliseconds lease,
                                                    std::size_t limit) {
  const std::int64_t now_ms = epochMillis(now);
  const std::int64_t lease_ms = lease.count();
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<DueClaim> out;
  std::vector<Node*> claimed;
  for (auto it = impl_->due.begin();
       it != impl_->due.end() && it->first <= now_ms && out.size() < limit;) {
    Node* n = const_cast<Node*>(it->second);
    out.push_back(
        {impl_->keyOf(*n), fromEpochMillis(it->first), fromEpochMillis(now_ms + lease_ms)});
    claimed.push_back(n);
    it = impl_->due.erase(it);
  }
  for (Node* n : claimed) {
    n->second.due_at = now_ms + lease_ms;
    impl_->due.insert({n->second.due_at, n});
  }
  return out;
}

Result<void> MemoryStore::finishDue(const DueClaim& claim) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Node* n = impl_->find(claim.key);
  if (!n || n->second.due_at != epochMillis(claim.lease_until)) return {};
  impl_->due.erase({n->second.due_at, n});
  n->second.due_at = 0;
  return {};
}

Result<EventClaim> MemoryStore::claimEvent(std::string_view key, std::chrono::milliseconds lease) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::int64_t now_ms = impl_->now();
  impl_->sweepDedup(now_ms);
  auto [it, inserted] = impl_->dedup.try_emplace(std::string(key));
  if (!inserted && it->second.expires > now_ms) {
    return it->second.done ? EventClaim::kDuplicate : EventClaim::kInFlight;
  }
  it->second = {now_ms + lease.count(), false};
  return EventClaim::kNew;
}

Result<void> MemoryStore::completeEvent(std::string_view key, std::chrono::milliseconds ttl) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->dedup[std::string(key)] = {impl_->now() + ttl.count(), true};
  return {};
}

Result<void> MemoryStore::abandonEvent(std::string_view key) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->dedup.find(std::string(key));
  if (it != impl_->dedup.end() && !it->second.done) impl_->dedup.erase(it);
  return {};
}

MemoryStoreStats MemoryStore::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {impl_->conversations.size(), impl_->due.size(), impl_->dedup.size(), impl_->evicted};
}

}  // namespace tracker
HANDOVER_END_NAMESPACE
