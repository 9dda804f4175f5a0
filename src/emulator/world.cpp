// Each rule cites its protocol.md source tag; [U] marks a choice made where the protocol is
// uncertain or silent.
#include "world.hpp"

#include <algorithm>
#include <atomic>

#include "../core/crypto.hpp"
#include "json_util.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

using handover::detail::appSecretProof;
using handover::detail::constantTimeEquals;

namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

// protocol.md §3.3. Messages are verbatim where the source gives them.
Error notOwner() {
  // IG 100/2534037 (ERR-M); FN1 reports a #100 for Messenger without a known subcode. [U] One
  // shape for both platforms so callers branch on one predicate.
  return graphError(100, 2534037, "(#100) The action is invalid since it's not the thread owner.");
}
Error anotherAppControls() {
  return graphError(10, 2018300,
                    "(#10) Message failed to send because another app is controlling this "
                    "thread now.");
}
Error noRole() {
  // ERR-M gives the subcode, not the code. [U] code 10 (permission).
  return graphError(10, 2018171, "(#10) Only available to Primary and Secondary Receivers.");
}
Error invalidParam(const std::string& what) {
  return graphError(100, 0, "(#100) " + what);
}
Error incorrectAppId() {
  return graphError(100, 2018164, "(#100) Incorrect App ID");
}
Error alreadyOwner() {
  return invalidParam("The app already controls this thread.");
}  // [U]
Error unknownObject(const std::string& id) {
  return graphError(100, 33,
                    "Unsupported request. Object with ID '" + id +
                        "' does not exist, cannot be loaded due to missing permissions, or does "
                        "not support this operation.");
}

std::string quoteOrNull(const std::string& id) {
  return id.empty() ? "null" : escapeJsonString(id);
}

std::string head(const std::string& user, const std::string& page, std::int64_t ts) {
  return "{\"sender\":{\"id\":" + escapeJsonString(user) +
         "},\"recipient\":{\"id\":" + escapeJsonString(page) +
         "},\"timestamp\":" + std::to_string(ts);
}

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
  return "m_emu_" + std::to_string(next_mid_++);
}

World::Thread& World::thread(PageState& p, const std::string& user) {
  Thread& t = p.threads[user];
  // HOP-v2 / CR-M: control expires after 24 h of inactivity; the thread goes idle (routing)
  // or back to the Primary Receiver (legacy). No webhook announces it ([U]: none documented).
  if (t.expiration_ms && *t.expiration_ms <= now_ms_()) {
    t.owner.clear();
    t.expiration_ms.reset();
  }
  return t;
}

void World::setOwner(PageState& p, Thread& t, const std::string& app_id) {
  if (p.cfg.era == Era::kLegacy && app_id == primaryOf(p)) {
    t.owner.clear();  // back to the default owner; the primary's control never expires
    t.expiration_ms.reset();
    return;
  }
  t.owner = app_id;
  if (app_id.empty()) {
    t.expiration_ms.reset();
  } else {
    t.expiration_ms = now_ms_() + kDayMs;
  }
}

void World::touch(PageState& p, Thread& t) {
  // [U] "Inactivity" is not defined precisely: any message in the thread (the user's or the
  // owner's) pushes expiry to at least 24 h from now; an extension beyond that is kept.
  (void)p;
  if (t.owner.empty() || !t.expiration_ms) return;
  t.expiration_ms = std::max(*t.expiration_ms, now_ms_() + kDayMs);
}

bool World::subscribed(const std::string& app_id, std::string_view field) const {
  const AppConfig* a = app(app_id);
  if (!a || a->webhook_url.empty()) return false;
  for (const auto& f : a->subscribed_fields) {
    if (fieldMatches(f, field)) return true;
  }
  return false;
}

void World::fanOut(PageState& p, Thread& t, std::string_view field,
                   const std::string& messaging_json, const std::string& standby_json,
                   std::int64_t ts) {
  const std::string owner = effectiveOwner(p, t);
  for (const auto& id : p.apps) {
    bool answers;
    if (!owner.empty()) {
      answers = id == owner;  // SB: standby when "your application is not the thread owner"
    } else if (!p.cfg.default_app_id.empty()) {
      answers = id == p.cfg.default_app_id;  // CR-M: an idle thread is answered by the default app
    } else {
      answers = true;  // [U] zero-config idle thread (or legacy without a primary): every app
    }
    Outgoing out;
    out.app_id = id;
    out.page_id = p.cfg.id;
    out.instagram = p.cfg.platform == Platform::kInstagram;
    out.timestamp = ts;
    if (answers) {
      if (!subscribed(id, field)) continue;
      out.event_json = messaging_json;
    } else {
      if (!subscribed(id, "standby")) continue;
      out.standby = true;
      out.event_json = standby_json.empty() ? messaging_json : standby_json;
    }
    outbox_.push_back(std::move(out));
  }
}

void World::handoverEvent(PageState& p, const std::string& app_id, const std::string& json,
                          std::int64_t ts) {
  if (!subscribed(app_id, "messaging_handovers")) return;
  Outgoing out;
  out.app_id = app_id;
  out.page_id = p.cfg.id;
  out.instagram = p.cfg.platform == Platform::kInstagram;
  out.timestamp = ts;
  out.event_json = json;
  outbox_.push_back(std::move(out));
}

void World::passEvents(PageState& p, const std::string& user, const std::string& previous,
                       const std::string& next, const std::string& metadata) {
  const std::int64_t ts = stamp();
  std::string json =
      head(user, p.cfg.id, ts) +
      ",\"pass_thread_control\":{\"previous_owner_app_id\":" + quoteOrNull(previous) +
      ",\"new_owner_app_id\":" + escapeJsonString(next);
  if (!metadata.empty()) json += ",\"metadata\":" + escapeJsonString(metadata);
  json += "}}";
  if (p.cfg.era == Era::kLegacy) {
    handoverEvent(p, next, json, ts);  // HOP-v1: the new owner is told
    return;
  }
  // CR-M: "Any apps subscribed to the messaging_handover webhook field will receive a
  // notification".
  for (const auto& id : p.apps) handoverEvent(p, id, json, ts);
}

void World::takeEvent(PageState& p, const std::string& user, const std::string& previous,
                      const std::string& next, const std::string& metadata) {
  // MH/CCA-IG: the app that lost control is told; nobody when taken from idle.
  if (previous.empty()) return;
  const std::int64_t ts = stamp();
  std::string json =
      head(user, p.cfg.id, ts) +
      ",\"take_thread_control\":{\"previous_owner_app_id\":" + escapeJsonString(previous) +
      ",\"new_owner_app_id\":" + escapeJsonString(next);
  if (!metadata.empty()) json += ",\"metadata\":" + escapeJsonString(metadata);
  json += "}}";
  handoverEvent(p, previous, json, ts);
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
  if (!pageState(c.page_id) || !installed(c.page_id, c.app_id)) return unknownObject(page_ref);
  return c;
}

Result<void> World::checkLegacyRole(const PageState& p, const std::string& app_id) const {
  auto it = p.roles.find(app_id);
  if (it == p.roles.end() || it->second == Role::kNone) return noRole();  // ERR-M 2018171
  return {};
}

Result<void> World::applyPass(PageState& p, Thread& t, const std::string& caller,
                              const std::string& user, std::string target,
                              const std::string& metadata, bool dry_run) {
  const std::string owner = effectiveOwner(p, t);
  if (p.cfg.era == Era::kLegacy) {
    if (auto r = checkLegacyRole(p, caller); !r) return r;
    // HOP-v1: only the owner passes ([U] any role holder when idle: no primary configured).
    if (!owner.empty() && owner != caller) return notOwner();
    const std::string primary = primaryOf(p);
    if (target.empty()) {
      // HOP-v1 reference: a Secondary's pass defaults to the Primary; the Primary must name one.
      if (caller == primary || primary.empty()) {
        return invalidParam("param target_app_id must be a valid app id");
      }
      target = primary;
    }
    if (target == caller) return invalidParam("An app cannot pass thread control to itself.");
    auto rt = p.roles.find(target);
    if (rt == p.roles.end() || rt->second == Role::kNone) return incorrectAppId();
    if (dry_run) return {};
    setOwner(p, t, target);
    passEvents(p, user, owner, target, metadata);
    return {};
  }
  // Conversation Routing (CR-M, CCA-IG, CR-IG).
  if (!owner.empty() && owner != caller) return notOwner();  // owner, or anyone when idle
  if (target.empty()) target = p.cfg.default_app_id;         // CR-M: omitted = default app
  if (target.empty()) {
    return invalidParam("param target_app_id is required: this page has no default app");
  }
  if (!installed(p.cfg.id, target)) return incorrectAppId();
  // CCA-IG: no pass to yourself to extend control; CR-IG: zero-config idle may, "including
  // itself".
  if (target == caller && !(owner.empty() && p.cfg.default_app_id.empty())) {
    return invalidParam("An app cannot pass thread control to itself.");
  }
  if (dry_run) return {};
  setOwner(p, t, target);
  passEvents(p, user, owner, target, metadata);
  return {};
}

Result<void> World::pass(const Caller& c, const std::string& user, const std::string& target,
                         const std::string& metadata) {
  PageState& p = *pageState(c.page_id);
  Thread& t = thread(p, user);
  return applyPass(p, t, c.app_id, user, target, metadata, false);
}

Result<void> World::take(const Caller& c, const std::string& user, const std::string& metadata) {
  PageState& p = *pageState(c.page_id);
  Thread& t = thread(p, user);
  const std::string owner = effectiveOwner(p, t);
  if (p.cfg.era == Era::kLegacy) {
    if (auto r = checkLegacyRole(p, c.app_id); !r) return r;
    // HOP-v1: take is the Primary Receiver's only. [U] message wording; code 10 (permission).
    if (roleOf(p.cfg.id, c.app_id) != Role::kPrimary) {
      return graphError(10, 0, "(#10) Only the Primary Receiver can take thread control.");
    }
    if (owner == c.app_id) return alreadyOwner();
    setOwner(p, t, c.app_id);
    takeEvent(p, user, owner, c.app_id, metadata);
    return {};
  }
  // CR-M: blocked unless a default app is set; the message is FN2's, observed live.
  if (p.cfg.default_app_id.empty()) {
    return graphError(
        27, 0,
        "(#27) Take thread control is not supported when Conversation Routing is not enabled.");
  }
  // CCA-IG: needs "Allow this app to take control of conversations".
  if (!app(c.app_id)->can_take) {
    return graphError(10, 0,
                      "(#10) This app is not allowed to take control of conversations on this "
                      "Page.");
  }
  if (owner == c.app_id) return alreadyOwner();  // CCA-IG: take cannot extend your own control
  setOwner(p, t, c.app_id);
  takeEvent(p, user, owner, c.app_id, metadata);
  return {};
}

Result<void> World::request(const Caller& c, const std::string& user, const std::string& metadata) {
  PageState& p = *pageState(c.page_id);
  Thread& t = thread(p, user);
  const std::string owner = effectiveOwner(p, t);
  std::string to;
  if (p.cfg.era == Era::kLegacy) {
    if (auto r = checkLegacyRole(p, c.app_id); !r) return r;
    // HOP-v1: Secondary Receivers request; the Primary is told.
    if (roleOf(p.cfg.id, c.app_id) != Role::kSecondary) {
      return graphError(10, 0, "(#10) Only Secondary Receivers can request thread control.");
    }
    if (owner == c.app_id) return alreadyOwner();
    to = primaryOf(p);
  } else {
    // CCA-IG: "only available when conversation routing is not enabled". [U] code 10.
    if (!p.cfg.default_app_id.empty()) {
      return graphError(10, 0,
                        "(#10) Request thread control is only available when Conversation "
                        "Routing has no default app.");
    }
    if (owner == c.app_id) return alreadyOwner();  // CCA-IG: not a thread you already own
    if (owner.empty()) {
      // CCA-IG: on an idle thread control goes to the caller with a pass webhook.
      setOwner(p, t, c.app_id);
      passEvents(p, user, "", c.app_id, metadata);
      return {};
    }
    to = owner;  // CCA-IG: the current owner is asked; it may ignore it (FN2)
  }
  if (to.empty()) return {};
  const std::int64_t ts = stamp();
  std::string json = head(user, p.cfg.id, ts) + ",\"request_thread_control\":{";
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  writeIdNumber(w, c.app_id);  // MH shows requested_owner_app_id as a number
  json += "\"requested_owner_app_id\":" + std::string(buf.GetString(), buf.GetSize());
  if (!metadata.empty()) json += ",\"metadata\":" + escapeJsonString(metadata);
  json += "}}";
  handoverEvent(p, to, json, ts);
  return {};
}

Result<void> World::release(const Caller& c, const std::string& user) {
  PageState& p = *pageState(c.page_id);
  Thread& t = thread(p, user);
  if (p.cfg.era == Era::kLegacy) {
    if (auto r = checkLegacyRole(p, c.app_id); !r) return r;
  }
  // CCA-IG: the current owner only. The thread becomes idle (legacy: back to the primary).
  if (effectiveOwner(p, t) != c.app_id) return notOwner();
  setOwner(p, t, "");
  return {};  // CR-M: no webhook on release
}

Result<void> World::extend(const Caller& c, const std::string& user, std::int64_t duration_s) {
  PageState& p = *pageState(c.page_id);
  Thread& t = thread(p, user);
  if (p.cfg.era == Era::kLegacy) {
    if (auto r = checkLegacyRole(p, c.app_id); !r) return r;
  }
  if (effectiveOwner(p, t) != c.app_id) return notOwner();  // the current owner only
  // protocol.md §2.2: up to 7 days (604 800 s).
  if (duration_s <= 0 || duration_s > kMaxExtendDuration.count()) {
    return invalidParam("param duration must be between 1 and " +
                        std::to_string(kMaxExtendDuration.count()) + " seconds");
  }
  if (t.owner.empty()) return {};  // legacy primary: its control never expires
  const std::int64_t until = now_ms_() + duration_s * 1000;
  t.expiration_ms = std::max(t.expiration_ms.value_or(0), until);
  return {};
}

Result<OwnerView> World::threadOwner(const Caller& c, const std::string& user) {
  PageState& p = *pageState(c.page_id);
  Thread& t = thread(p, user);
  const std::string owner = effectiveOwner(p, t);
  OwnerView v;
  if (p.cfg.era == Era::kLegacy) {
    if (auto r = checkLegacyRole(p, c.app_id); !r) return std::move(r).error();
    if (owner.empty()) return v;
    const std::string primary = primaryOf(p);
    // HOP-v1 get-thread-owner: the Primary always sees; a Secondary only when it or the
    // Primary owns.
    if (c.app_id != primary && owner != c.app_id && owner != primary) {
      return graphError(100, 2018234,
                        "(#100) Denying visibility of any secondary receiver to another "
                        "secondary receiver other than itself.");
    }
    v.app_id = owner;
    if (t.expiration_ms) v.expiration = *t.expiration_ms / 1000;
    return v;
  }
  if (owner.empty()) return v;  // CR-M: idle → empty response
  v.expiration = t.expiration_ms.value_or(0) / 1000;
  // CR-M/CCA-IG: the owner and the default app see the owner; others only the expiration.
  if (c.app_id == owner || c.app_id == p.cfg.default_app_id) v.app_id = owner;
  return v;
}

Result<std::vector<const AppConfig*>> World::secondaryReceivers(const Caller& c) const {
  const PageState& p = *pageState(c.page_id);
  std::vector<const AppConfig*> out;
  if (p.cfg.era == Era::kLegacy) {
    // HOP-v1: Primary Receiver only.
    if (roleOf(p.cfg.id, c.app_id) != Role::kPrimary) {
      return graphError(10, 0, "(#10) Only the Primary Receiver can list secondary receivers.");
    }
    for (const auto& id : p.apps) {
      if (roleOf(p.cfg.id, id) == Role::kSecondary) out.push_back(app(id));
    }
    return out;
  }
  // [U] Meaning under CR is unclear (protocol.md §2.2): the other apps installed on the page,
  // i.e. those the caller could pass to.
  for (const auto& id : p.apps) {
    if (id != c.app_id) out.push_back(app(id));
  }
  return out;
}

std::string World::echoJson(const PageState& p, const std::string& user, const std::string& app_id,
                            const std::string& mid, std::int64_t ts, const std::string& text,
                            const std::string& attachment_json, const std::string& metadata) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  writeIdNumber(w, app_id);  // ECHO shows app_id as a number
  // ECHO: sender = Page, recipient = user.
  std::string json = head(p.cfg.id, user, ts) + ",\"message\":{\"is_echo\":true,\"app_id\":" +
                     std::string(buf.GetString(), buf.GetSize());
  if (!metadata.empty()) json += ",\"metadata\":" + escapeJsonString(metadata);
  json += ",\"mid\":" + escapeJsonString(mid);
  if (!text.empty()) json += ",\"text\":" + escapeJsonString(text);
  if (!attachment_json.empty()) json += ",\"attachments\":[" + attachment_json + "]";
  json += "}}";
  return json;
}

Result<InjectedEvent> World::send(const Caller& c, const SendInput& in) {
  PageState& p = *pageState(c.page_id);
  if (in.recipient.empty()) return invalidParam("param recipient must be non-empty.");
  if (in.sender_action.empty() && in.text.empty() && in.attachment_json.empty()) {
    return invalidParam("Message cannot be empty, must provide valid attachment or text");
  }
  if (!in.persona_id.empty()) {
    const PersonaRecord* persona = this->persona(in.persona_id);
    if (!persona || persona->page_id != p.cfg.id) return invalidParam("Invalid persona_id");
  }
  Thread& t = thread(p, in.recipient);
  const std::string owner = effectiveOwner(p, t);
  // HOP-v2 exclusive mode / ERR-M: only the owner may send. [U] Sends on an idle thread are
  // accepted from any installed app and do not change control.
  if (!owner.empty() && owner != c.app_id) return anotherAppControls();
  std::string control = in.control_type;
  if (in.has_thread_control) {
    // CCA-IG: Send-API thread_control only with Conversation Routing. [U] wording.
    if (p.cfg.era == Era::kLegacy) {
      return invalidParam("param thread_control is only supported with Conversation Routing");
    }
    if (control.empty()) control = "release";  // CR-M: unset releases "by default" [U]
    if (control != "pass" && control != "release") {
      return invalidParam("param thread_control[control_type] must be one of {pass, release}");
    }
    if (control == "pass") {
      if (auto r = applyPass(p, t, c.app_id, in.recipient, in.control_app_id, "", true); !r) {
        return std::move(r).error();
      }
    } else if (owner != c.app_id) {
      return notOwner();
    }
  }
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  if (!in.sender_action.empty()) return ev;  // sender actions have no echo
  ev.mid = newMid();
  touch(p, t);
  const bool ig = p.cfg.platform == Platform::kInstagram;
  // IGWH: Instagram has no message_echoes field; echoes come with `messages`.
  fanOut(p, t, ig ? "messages" : "message_echoes",
         echoJson(p, in.recipient, c.app_id, ev.mid, ts, in.text, in.attachment_json, in.metadata),
         "", ts);
  if (in.has_thread_control) {
    if (control == "pass") {
      (void)applyPass(p, t, c.app_id, in.recipient, in.control_app_id, "", false);
    } else {
      setOwner(p, t, "");  // CR-M: Send-API release sends no webhook
    }
  }
  return ev;
}

PersonaRecord World::createPersona(const Caller& c, std::string name, std::string picture) {
  PersonaRecord r;
  r.id = std::to_string(5550000000000000ULL + next_persona_++);
  r.page_id = c.page_id;
  r.name = std::move(name);
  r.profile_picture_url = std::move(picture);
  personas_[r.id] = r;
  return r;
}

const PersonaRecord* World::persona(const std::string& id) const {
  auto it = personas_.find(id);
  return it == personas_.end() ? nullptr : &it->second;
}

std::vector<const PersonaRecord*> World::personas(const std::string& page_id) const {
  std::vector<const PersonaRecord*> out;
  for (const auto& [id, r] : personas_) {
    if (r.page_id == page_id) out.push_back(&r);
  }
  return out;
}

bool World::deletePersona(const Caller& c, const std::string& id) {
  auto it = personas_.find(id);
  if (it == personas_.end() || it->second.page_id != c.page_id) return false;
  personas_.erase(it);
  return true;
}

Result<InjectedEvent> World::userMessage(const UserMessage& m) {
  PageState* p = pageState(m.page_id);
  if (!p) return unknownObject(m.page_id);
  if (m.user_id.empty()) return handover::detail::invalidArgument("user_id is required");
  if (m.text.empty()) return handover::detail::invalidArgument("text is required");
  Thread& t = thread(*p, m.user_id);
  touch(*p, t);
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  ev.mid = newMid();
  std::string json = head(m.user_id, p->cfg.id, ts) +
                     ",\"message\":{\"mid\":" + escapeJsonString(ev.mid) +
                     ",\"text\":" + escapeJsonString(m.text);
  if (!m.quick_reply_payload.empty()) {
    json += ",\"quick_reply\":{\"payload\":" + escapeJsonString(m.quick_reply_payload) + "}";
  }
  json += "}}";
  fanOut(*p, t, "messages", json, "", ts);
  return ev;
}

Result<InjectedEvent> World::userPostback(const std::string& page_id, const std::string& user,
                                          const std::string& title, const std::string& payload) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (user.empty()) return handover::detail::invalidArgument("user_id is required");
  Thread& t = thread(*p, user);
  touch(*p, t);
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  ev.mid = newMid();
  const std::string base = head(user, p->cfg.id, ts) +
                           ",\"postback\":{\"mid\":" + escapeJsonString(ev.mid) +
                           ",\"title\":" + escapeJsonString(title);
  // SB/PB: standby postbacks carry no payload.
  fanOut(*p, t, "messaging_postbacks", base + ",\"payload\":" + escapeJsonString(payload) + "}}",
         base + "}}", ts);
  return ev;
}

Result<InjectedEvent> World::userRead(const std::string& page_id, const std::string& user) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (user.empty()) return handover::detail::invalidArgument("user_id is required");
  Thread& t = thread(*p, user);
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  fanOut(*p, t, "message_reads",
         head(user, p->cfg.id, ts) + ",\"read\":{\"watermark\":" + std::to_string(ts) + "}}", "",
         ts);
  return ev;
}

Result<InjectedEvent> World::inboxReply(const std::string& page_id, const std::string& user,
                                        const std::string& text) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (user.empty()) return handover::detail::invalidArgument("user_id is required");
  if (text.empty()) return handover::detail::invalidArgument("text is required");
  const std::string inbox(inboxAppId(p->cfg.platform));
  Thread& t = thread(*p, user);
  const std::string owner = effectiveOwner(*p, t);
  // CR-M: responding in a conversation the inbox does not control makes the inbox take it.
  // [U] The emulator applies the same on legacy pages (a human can always type).
  if (owner != inbox) {
    setOwner(*p, t, inbox);
    takeEvent(*p, user, owner, inbox, "");
  }
  touch(*p, t);
  InjectedEvent ev;
  const std::int64_t ts = stamp();
  ev.timestamp = fromEpochMillis(ts);
  ev.mid = newMid();
  const bool ig = p->cfg.platform == Platform::kInstagram;
  // ECHO (v12.0+): inbox replies echo with the inbox's app id.
  fanOut(*p, t, ig ? "messages" : "message_echoes",
         echoJson(*p, user, inbox, ev.mid, ts, text, "", ""), "", ts);
  return ev;
}

Result<void> World::inboxMove(const std::string& page_id, const std::string& user, InboxFolder f) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (user.empty()) return handover::detail::invalidArgument("user_id is required");
  const std::string inbox(inboxAppId(p->cfg.platform));
  Thread& t = thread(*p, user);
  const std::string owner = effectiveOwner(*p, t);
  if (f == InboxFolder::kMain) {
    // CR-M: moving to Main makes the inbox take control; HOP-v1: passing to the inbox moved a
    // thread to Inbox, so the converse is the same state.
    if (owner == inbox) return {};
    setOwner(*p, t, inbox);
    takeEvent(*p, user, owner, inbox, "");
    return {};
  }
  if (owner != inbox) return {};  // Done on a thread the inbox does not own changes nothing
  std::string next;
  if (p->cfg.era == Era::kLegacy) {
    next = primaryOf(*p);  // HOP-v1: "Done" returns control to the Primary Receiver
  } else if (p->cfg.default_app_id != inbox) {
    next = p->cfg.default_app_id;  // [U] CR: Done hands the thread to the default app
  }
  if (next.empty()) {
    setOwner(*p, t, "");  // idle; like release, no webhook
    return {};
  }
  setOwner(*p, t, next);
  passEvents(*p, user, inbox, next, "");
  return {};
}

Result<void> World::setRole(const std::string& page_id, const std::string& app_id, Role role) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (p->cfg.era != Era::kLegacy) {
    return handover::detail::invalidArgument("roles exist only on legacy pages; page " + page_id +
                                             " is routing");
  }
  if (!installed(page_id, app_id))
    return handover::detail::invalidArgument("app " + app_id + " is not on page " + page_id);
  std::vector<std::string> changed;
  if (role == Role::kPrimary) {
    // One Primary Receiver per page: the previous one becomes a Secondary.
    for (auto& [id, r] : p->roles) {
      if (r == Role::kPrimary && id != app_id) {
        r = Role::kSecondary;
        changed.push_back(id);
      }
    }
  }
  if (p->roles[app_id] != role) {
    p->roles[app_id] = role;
    changed.push_back(app_id);
  }
  // MH: app_roles tells an app its roles on the page; no sender.
  for (const auto& id : changed) {
    const std::int64_t ts = stamp();
    const Role r = p->roles[id];
    std::string roles = r == Role::kPrimary     ? "[\"primary_receiver\"]"
                        : r == Role::kSecondary ? "[\"secondary_receiver\"]"
                                                : "[]";
    std::string json = "{\"recipient\":{\"id\":" + escapeJsonString(page_id) +
                       "},\"timestamp\":" + std::to_string(ts) + ",\"app_roles\":{" +
                       escapeJsonString(id) + ":" + roles + "}}";
    handoverEvent(*p, id, json, ts);
  }
  return {};
}

Result<void> World::setDefaultApp(const std::string& page_id, const std::string& app_id) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
  if (p->cfg.era != Era::kRouting) {
    return handover::detail::invalidArgument("a default app needs Conversation Routing; page " +
                                             page_id + " is legacy");
  }
  if (!app_id.empty() && !installed(page_id, app_id)) {
    return handover::detail::invalidArgument("app " + app_id + " is not on page " + page_id);
  }
  p->cfg.default_app_id = app_id;
  return {};
}

Result<ThreadState> World::threadState(const std::string& page_id, const std::string& user) {
  PageState* p = pageState(page_id);
  if (!p) return unknownObject(page_id);
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
