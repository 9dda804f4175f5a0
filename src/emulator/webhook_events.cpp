// Part of the World (world.hpp): who hears what: messaging or standby fan-out and handover events
// (the event JSON heads come from world_rules.hpp). Each rule cites its protocol.md source tag; [U]
// marks a choice made where the protocol is uncertain or silent.

#include <algorithm>
#include <string>

#include "json_util.hpp"
#include "world.hpp"
#include "world_rules.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

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
                          std::int64_t ts, const std::string& hop_context_json) {
  if (!subscribed(app_id, "messaging_handovers")) return;
  Outgoing out;
  out.app_id = app_id;
  out.page_id = p.cfg.id;
  out.instagram = p.cfg.platform == Platform::kInstagram;
  out.timestamp = ts;
  out.event_json = json;
  out.hop_context_json = hop_context_json;
  outbox_.push_back(std::move(out));
}

void World::passEvents(PageState& p, const std::string& user, const std::string& previous,
                       const std::string& next, const std::string& metadata,
                       const std::string& hop_context_json) {
  const std::int64_t ts = stamp();
  std::string json =
      head(user, p.cfg.id, ts) +
      ",\"pass_thread_control\":{\"previous_owner_app_id\":" + quoteOrNull(previous) +
      ",\"new_owner_app_id\":" + escapeJsonString(next);
  if (!metadata.empty()) json += ",\"metadata\":" + escapeJsonString(metadata);
  json += "}}";
  if (p.cfg.era == Era::kLegacy) {
    handoverEvent(p, next, json, ts, hop_context_json);  // HOP-v1: the new owner is told
    return;
  }
  // CR-M: "Any apps subscribed to the messaging_handover webhook field will receive a
  // notification".
  for (const auto& id : p.apps) handoverEvent(p, id, json, ts, hop_context_json);
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

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
