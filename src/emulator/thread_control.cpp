// Part of the World (world.hpp): the thread-control rules, both eras side by side in each: pass,
// take, request, release, extend, thread_owner, secondary receivers. Each rule cites its
// protocol.md source tag; [U] marks a choice made where the protocol is uncertain or silent.

#include <algorithm>
#include <string>

#include "json_util.hpp"
#include "world.hpp"
#include "world_rules.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

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
    setOwner(p, t, target, "pass");
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
  setOwner(p, t, target, "pass");
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
    setOwner(p, t, c.app_id, "take");
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
  setOwner(p, t, c.app_id, "take");
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
      setOwner(p, t, c.app_id, "request");
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
  setOwner(p, t, "", "release");
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
  noteOwnership(p, t, "extend", now_ms_());
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

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
