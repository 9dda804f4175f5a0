// The World's state: construction from the config, lookups, the clock and ids, who owns a thread,
// subscriptions, and authentication. Its rules live beside it: thread_control.cpp (pass, take,
// request, release, extend, thread_owner), world_actions.cpp (Send API, personas, the user, the
// inbox and the Page admin), webhook_events.cpp (who hears what). Each rule cites its protocol.md
// source tag; [U] marks a choice made where the protocol is uncertain or silent.
#include "world.hpp"
#include "whatsapp_config.hpp"

#include <algorithm>
#include <atomic>

#include "../core/crypto.hpp"
#include "json_util.hpp"
#include "world_rules.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

using handover::detail::appSecretProof;
using handover::detail::constantTimeEquals;

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

bool fieldMatches(std::string_view have, std::string_view want) {
  if (have == want) return true;
  // Instagram and CR-M spell some fields in the singular (protocol.md §4.5).
  auto alias = [](std::string_view f) -> std::string_view {
    if (f == "messaging_handover") return "messaging_handovers";
    if (f == "messaging_seen") return "message_reads";
    if (f == "messaging_referral") return "messaging_referrals";
    return f;
  };
  return alias(have) == alias(want);
}

}  // namespace

Error graphError(int code, int subcode, std::string message, int http_status) {
  static std::atomic<std::uint64_t> trace{0};  // also used outside the world's lock
  Error e;
  e.category = ErrorCategory::kApi;
  e.http_status = http_status;
  e.code = code;
  e.subcode = subcode;
  e.message = std::move(message);
  e.type = "OAuthException";
  e.fbtrace_id = "EmuTrace" + std::to_string(++trace);
  e.is_transient = false;
  return e;
}

World::World(Config config, std::function<std::int64_t()> now_ms)
    : config_(std::move(config)), now_ms_(std::move(now_ms)) {
  if (auto r = validateConfig(config_); !r) throw Exception(r.error());
  for (const auto& a : config_.apps) apps_[a.id] = a;
  for (const auto& n : config_.whatsapp_numbers) numbers_[n.id].cfg = n;
  // The inboxes are built in (protocol.md §2.2 related constants); a listed one keeps its role.
  for (auto [id, name] : {std::pair<std::string_view, const char*>{kPageInboxAppId, "Page Inbox"},
                          {kInstagramInboxAppId, "Instagram Inbox"}}) {
    if (apps_.count(std::string(id))) continue;
    AppConfig inbox;
    inbox.id = std::string(id);
    inbox.name = name;
    // [U] On legacy pages the inbox is a Secondary Receiver: the usual v1 setup (protocol.md §6.5).
    inbox.role = Role::kSecondary;
    apps_[inbox.id] = inbox;
  }
  for (const auto& pc : config_.pages) {
    PageState p;
    p.cfg = pc;
    const std::string inbox(inboxAppId(pc.platform));
    const std::string other_inbox(inboxAppId(
        pc.platform == Platform::kInstagram ? Platform::kMessenger : Platform::kInstagram));
    std::vector<std::string> order;
    for (const auto& a : config_.apps) order.push_back(a.id);
    if (std::find(order.begin(), order.end(), inbox) == order.end()) order.push_back(inbox);
    for (const auto& id : order) {
      if (id == other_inbox) continue;
      const AppConfig& a = apps_.at(id);
      bool on =
          a.pages.empty() || std::find(a.pages.begin(), a.pages.end(), pc.id) != a.pages.end();
      if (!on) continue;
      p.apps.push_back(id);
      auto it = a.page_roles.find(pc.id);
      p.roles[id] = it != a.page_roles.end() ? it->second : a.role;
    }
    pages_[pc.id] = std::move(p);
  }
}

const AppConfig* World::app(const std::string& app_id) const {
  auto it = apps_.find(app_id);
  return it == apps_.end() ? nullptr : &it->second;
}

const PageConfig* World::page(const std::string& page_id) const {
  auto* p = pageState(page_id);
  return p ? &p->cfg : nullptr;
}

World::PageState* World::pageState(const std::string& page_id) {
  auto it = pages_.find(page_id);
  return it == pages_.end() ? nullptr : &it->second;
}
const World::PageState* World::pageState(const std::string& page_id) const {
  auto it = pages_.find(page_id);
  return it == pages_.end() ? nullptr : &it->second;
}

bool World::installed(const std::string& page_id, const std::string& app_id) const {
  auto* p = pageState(page_id);
  return p && std::find(p->apps.begin(), p->apps.end(), app_id) != p->apps.end();
}

Role World::roleOf(const std::string& page_id, const std::string& app_id) const {
  auto* p = pageState(page_id);
  if (!p) return Role::kNone;
  auto it = p->roles.find(app_id);
  return it == p->roles.end() ? Role::kNone : it->second;
}

std::string World::primaryOf(const PageState& p) const {
  for (const auto& [id, role] : p.roles) {
    if (role == Role::kPrimary) return id;
  }
  return {};
}

std::string World::effectiveOwner(const PageState& p, const Thread& t) const {
  // HOP-v1: the Primary Receiver owns threads by default.
  if (p.cfg.era == Era::kLegacy && t.owner.empty()) return primaryOf(p);
  return t.owner;
}

std::int64_t World::stamp() {
  // Strictly increasing so receivers can order by timestamp (WH-M §4.4).
  last_stamp_ = std::max(now_ms_(), last_stamp_ + 1);
  return last_stamp_;
}

std::string World::newMid() {
  return mid_prefix_ + std::to_string(next_mid_++);
}

World::Thread& World::thread(PageState& p, const std::string& user) {
  Thread& t = p.threads[user];
  // HOP-v2 / CR-M: control expires after 24 h of inactivity; the thread goes idle (routing)
  // or back to the Primary Receiver (legacy). No webhook announces it ([U]: none documented).
  if (t.expiration_ms && *t.expiration_ms <= now_ms_()) {
    const std::int64_t lapsed_at = *t.expiration_ms;
    t.owner.clear();
    t.expiration_ms.reset();
    noteOwnership(p, t, "expired", lapsed_at);
  }
  return t;
}

void World::setOwner(PageState& p, Thread& t, const std::string& app_id, const char* cause) {
  if (p.cfg.era == Era::kLegacy && app_id == primaryOf(p)) {
    t.owner.clear();  // back to the default owner; the primary's control never expires
    t.expiration_ms.reset();
  } else {
    t.owner = app_id;
    if (app_id.empty()) {
      t.expiration_ms.reset();
    } else {
      t.expiration_ms = now_ms_() + kDayMs;
    }
  }
  noteOwnership(p, t, cause, now_ms_());
}

void World::noteOwnership(PageState& p, Thread& t, const char* cause, std::int64_t at) {
  noteHistory(t, {at, effectiveOwner(p, t), cause, t.expiration_ms});
}

namespace {

// Keeps the newest `cap` items and counts what it dropped, so the inspector can say so.
template <class T>
void appendCapped(std::vector<T>& log, T item, std::size_t cap, std::uint64_t& dropped) {
  if (log.size() >= cap) {
    log.erase(log.begin());
    ++dropped;
  }
  log.push_back(std::move(item));
}

}  // namespace

void World::noteHistory(ThreadLog& t, OwnershipChange change) {
  appendCapped(t.history, std::move(change), kThreadLogCap, t.history_dropped);
  noteChange(t);
}

void World::noteChat(ThreadLog& t, ChatLine line) {
  appendCapped(t.chat, std::move(line), kThreadLogCap, t.chat_dropped);
  noteChange(t);
}

ConversationView World::viewOf(const std::string& id, const std::string& user,
                               const ThreadLog& t) const {
  ConversationView v;
  v.page_id = id;
  v.user_id = user;
  v.history = &t.history;
  v.chat = &t.chat;
  v.history_dropped = t.history_dropped;
  v.chat_dropped = t.chat_dropped;
  return v;
}

std::vector<ConversationView> World::conversations(std::uint64_t since,
                                                   std::int64_t since_ms) const {
  std::vector<ConversationView> out;
  const std::int64_t now = now_ms_();
  const bool all = since < everything_changed_at_ || since == 0;
  // An owner also changes with time alone (expiry, WhatsApp's 24 h idle), with no action.
  const auto lapsedSince = [&](std::int64_t deadline) {
    return deadline > since_ms && deadline <= now;
  };
  for (const auto& [page_id, p] : pages_) {
    for (const auto& [user, t] : p.threads) {
      const bool lapsed = t.expiration_ms && *t.expiration_ms <= now;
      if (!all && t.version <= since && !(t.expiration_ms && lapsedSince(*t.expiration_ms))) {
        continue;
      }
      ConversationView v = viewOf(page_id, user, t);
      v.owner = lapsed ? (p.cfg.era == Era::kLegacy ? primaryOf(p) : "") : effectiveOwner(p, t);
      if (!lapsed) v.expiration_ms = t.expiration_ms;
      out.push_back(std::move(v));
    }
  }
  for (const auto& [id, n] : numbers_) {
    for (const auto& [user, t] : n.threads) {
      const std::int64_t idle_at = std::max(t.last_user_ms, t.last_transition_ms) + kWaIdleMs;
      if (!all && t.version <= since && !(!t.owner.empty() && lapsedSince(idle_at))) continue;
      ConversationView v = viewOf(id, user, t);
      v.owner = waOwnerNow(n, user);
      out.push_back(std::move(v));
    }
  }
  return out;
}

void World::touch(PageState& p, Thread& t) {
  // [U] "Inactivity" is not defined precisely: any message in the thread (the user's or the
  // owner's) pushes expiry to at least 24 h from now; an extension beyond that is kept.
  (void)p;
  if (t.owner.empty() || !t.expiration_ms) return;
  t.expiration_ms = std::max(*t.expiration_ms, now_ms_() + kDayMs);
  noteChange(t);
}

bool World::subscribed(const std::string& app_id, std::string_view field) const {
  const AppConfig* a = app(app_id);
  if (!a || a->webhook_url.empty()) return false;
  for (const auto& f : a->subscribed_fields) {
    if (fieldMatches(f, field)) return true;
  }
  return false;
}

Result<Caller> World::authenticate(const std::string& token,
                                   const std::optional<std::string>& proof,
                                   const std::string& page_ref) const {
  if (token.empty()) {
    return graphError(104, 0, "An access token is required to request this resource.");
  }
  const AppConfig* found = nullptr;
  std::string token_page;
  for (const auto& [id, a] : apps_) {
    if (!a.page_access_token.empty() && a.page_access_token == token) found = &a;
    for (const auto& [pid, t] : a.page_tokens) {
      if (t == token) {
        found = &a;
        token_page = pid;
      }
    }
  }
  if (!found) return graphError(190, 0, "Invalid OAuth access token - Cannot parse access token");
  // SEC: a proof, when present, must match; it is mandatory with "Require App Secret".
  if (proof) {
    if (!constantTimeEquals(*proof, appSecretProof(token, found->app_secret))) {
      return graphError(100, 0, "Invalid appsecret_proof provided in the API argument");
    }
  } else if (found->require_appsecret_proof) {
    return graphError(100, 0, "API calls from the server require an appsecret_proof argument");
  }
  Caller c;
  c.app_id = found->id;
  if (page_ref == "me") {
    // protocol.md §2.1: with a Page token `me` is the Page.
    if (!token_page.empty()) {
      c.page_id = token_page;
    } else {
      std::vector<std::string> on;
      for (const auto& [pid, p] : pages_) {
        if (installed(pid, found->id)) on.push_back(pid);
      }
      if (on.size() != 1) {
        // [U] A real Page token names one page; an app-wide emulator token may not.
        return invalidParam("\"me\" is ambiguous for this token: the app is installed on " +
                            std::to_string(on.size()) +
                            " pages; use the page id or a page_tokens entry");
      }
      c.page_id = on.front();
    }
  } else {
    c.page_id = page_ref;
    if (!token_page.empty() && token_page != page_ref) return unknownObject(page_ref);
  }
  if (const NumberState* n = numberState(c.page_id)) {
    // A WhatsApp number answers the apps that respond on it (whatsapp.md §1).
    if (!isResponder(n->cfg, c.app_id)) return unknownObject(page_ref);
    return c;
  }
  if (!pageState(c.page_id) || !installed(c.page_id, c.app_id)) return unknownObject(page_ref);
  return c;
}

std::string World::ownerNow(const std::string& page_id, const std::string& user) const {
  if (const NumberState* n = numberState(page_id)) return waOwnerNow(*n, user);
  const PageState* p = pageState(page_id);
  if (!p) return {};
  const auto it = p->threads.find(user);
  Thread t = it == p->threads.end() ? Thread{} : it->second;
  if (t.expiration_ms && *t.expiration_ms <= now_ms_()) t.owner.clear();
  return effectiveOwner(*p, t);
}

Result<ThreadState> World::threadState(const std::string& page_id, const std::string& user) {
  if (const NumberState* n = numberState(page_id)) {
    ThreadState s;
    s.owner_app_id = waOwnerNow(*n, user);
    return s;
  }
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  // Looking does not start a conversation (a Lead-Gen page routes only new ones).
  if (!p->threads.count(user)) {
    ThreadState s;
    s.owner_app_id = effectiveOwner(*p, Thread{});
    return s;
  }
  Thread& t = thread(*p, user);
  ThreadState s;
  s.owner_app_id = effectiveOwner(*p, t);
  if (t.expiration_ms) s.expiration = EpochSeconds{std::chrono::seconds{*t.expiration_ms / 1000}};
  return s;
}

std::vector<Outgoing> World::drainOutbox() {
  std::vector<Outgoing> out;
  out.swap(outbox_);
  return out;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
