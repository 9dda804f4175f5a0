// Part of Emulator::Impl (emulator_impl.hpp): what the web inspector reads and does beyond the
// control API: the world (pages, apps, roles), every conversation with its chat and ownership
// history, redelivery of a recorded delivery, and the inspector's own assets (compiled in:
// nothing is fetched from the network).

#include <map>
#include <string>
#include <vector>

#include "emulator_impl.hpp"
#include "inspector_assets.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

namespace {

void optionalInt(JsonWriter& w, const char* key, const std::optional<std::int64_t>& v) {
  w.Key(key);
  if (v) {
    w.Int64(*v);
  } else {
    w.Null();
  }
}

// Raw JSON the emulator itself produced from a parsed request (never the request's bytes).
void rawOrNull(JsonWriter& w, const char* key, const std::string& json) {
  if (json.empty()) return;
  w.Key(key);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void serveAsset(httplib::Server& server, const char* path, const char* body, const char* type) {
  server.Get(path, [body, type](const httplib::Request&, httplib::Response& res) {
    // Same-origin only: the inspector loads nothing from anywhere else.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                   "frame-ancestors 'none'");
    res.set_header("Cache-Control", "no-store");
    res.set_content(body, type);
  });
}

}  // namespace

std::string Emulator::Impl::worldJson() {
  std::map<std::string, detail::Subscription> subscriptions;
  for (const auto& [id, state] : delivery.subscriptions()) subscriptions[id] = state;
  std::lock_guard<std::mutex> lock(world_mu);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("now_ms");
  w.Int64(now());
  w.Key("pages");
  w.StartArray();
  for (const auto& p : world.config().pages) {
    w.StartObject();
    for (const auto& [k, v] : {std::pair<const char*, std::string>{"id", p.id},
                               {"name", p.name},
                               {"platform", toString(p.platform)},
                               {"era", toString(p.era)},
                               {"inbox_app_id", std::string(inboxAppId(p.platform))}}) {
      w.Key(k);
      writeString(w, v);
    }
    const PageConfig* now_cfg = world.page(p.id);
    w.Key("default_app_id");
    writeString(w, now_cfg ? now_cfg->default_app_id : p.default_app_id);
    w.Key("roles");
    w.StartObject();
    for (const auto& a : world.config().apps) {
      if (!world.installed(p.id, a.id)) continue;
      w.Key(a.id.c_str());
      w.String(toString(world.roleOf(p.id, a.id)));
    }
    w.EndObject();
    w.EndObject();
  }
  // WhatsApp numbers list as pages of platform "whatsapp": chat, owner strip and timeline work
  // the same; `responders` says who answers there and as what (read-only).
  for (const auto& n : world.config().whatsapp_numbers) {
    w.StartObject();
    for (const auto& [k, v] : {std::pair<const char*, std::string>{"id", n.id},
                               {"name", n.name},
                               {"platform", "whatsapp"},
                               {"era", "whatsapp"},
                               {"inbox_app_id", ""},
                               {"default_app_id", n.entry_points.at("default").primary},
                               {"escalation_partner", n.escalation_partner}}) {
      w.Key(k);
      writeString(w, v);
    }
    w.Key("roles");
    w.StartObject();
    w.EndObject();
    w.Key("responders");
    w.StartArray();
    for (const auto& [ep_name, ep] : n.entry_points) {
      w.StartObject();
      w.Key("entry_point");
      writeString(w, ep_name);
      w.Key("primary");
      writeString(w, ep.primary);
      w.Key("roles");
      w.StartObject();
      for (const auto& [role, app] : ep.roles) {
        w.Key(role.c_str());
        writeString(w, app);
      }
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("apps");
  w.StartArray();
  for (const auto& a : world.config().apps) {
    w.StartObject();
    w.Key("id");
    writeString(w, a.id);
    w.Key("name");
    writeString(w, a.name);
    w.Key("webhook");
    w.Bool(!a.webhook_url.empty());
    if (const auto it = subscriptions.find(a.id); it != subscriptions.end()) {
      w.Key("subscription");
      w.String(detail::toString(it->second));
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Emulator::Impl::conversationsJson(std::optional<ConversationsCursor> since) {
  std::lock_guard<std::mutex> lock(world_mu);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (since) {
    // The changed threads and the cursor of this answer: pass `version` and `now_ms` back as
    // `since` and `since_ms`.
    w.StartObject();
    w.Key("version");
    w.Uint64(world.version());
    w.Key("now_ms");
    w.Int64(now());
    w.Key("conversations");
  }
  w.StartArray();
  const auto views =
      since ? world.conversations(since->version, since->now_ms) : world.conversations();
  for (const detail::ConversationView& c : views) {
    w.StartObject();
    w.Key("page_id");
    writeString(w, c.page_id);
    w.Key("user_id");
    writeString(w, c.user_id);
    w.Key("owner");
    writeString(w, c.owner);
    optionalInt(w, "expiration_ms", c.expiration_ms);
    w.Key("history_dropped");
    w.Uint64(c.history_dropped);
    w.Key("chat_dropped");
    w.Uint64(c.chat_dropped);
    w.Key("history");
    w.StartArray();
    for (const auto& h : *c.history) {
      w.StartObject();
      w.Key("time_ms");
      w.Int64(h.time_ms);
      w.Key("owner");
      writeString(w, h.owner);
      w.Key("cause");
      writeString(w, h.cause);
      optionalInt(w, "expiration_ms", h.expiration_ms);
      w.EndObject();
    }
    w.EndArray();
    w.Key("chat");
    w.StartArray();
    for (const auto& m : *c.chat) {
      w.StartObject();
      w.Key("time_ms");
      w.Int64(m.time_ms);
      for (const auto& [k, v] : {std::pair<const char*, const std::string*>{"from", &m.from},
                                 {"kind", &m.kind},
                                 {"text", &m.text},
                                 {"mid", &m.mid},
                                 {"persona_name", &m.persona_name}}) {
        w.Key(k);
        writeString(w, *v);
      }
      rawOrNull(w, "quick_replies", m.quick_replies_json);
      rawOrNull(w, "attachment", m.attachment_json);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  if (since) w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<std::string> Emulator::Impl::redeliver(std::uint64_t wanted) {
  std::string app_id, json;
  {
    std::lock_guard<std::mutex> lock(timeline_mu);
    for (const TimelineEntry& e : timeline) {
      if (e.seq == wanted && e.kind == "delivery") {
        app_id = e.app_id;
        json = e.json;
        break;  // seqs are unique
      }
    }
  }
  if (json.empty()) {
    return handover::detail::invalidArgument("seq " + std::to_string(wanted) +
                                             " is not a delivery in the timeline");
  }
  rapidjson::Document doc;
  detail::parseJson(doc, json);
  auto body = doc.FindMember("body");
  if (doc.HasParseError() || body == doc.MemberEnd() || !body->value.IsObject() ||
      !body->value.HasMember("entry") || !body->value["entry"].IsArray()) {
    return handover::detail::invalidArgument("delivery " + std::to_string(wanted) +
                                             " has no body on record");
  }
  const bool instagram = body->value.HasMember("object") && body->value["object"].IsString() &&
                         std::string(body->value["object"].GetString()) == "instagram";
  std::vector<detail::Outgoing> events;
  for (const auto& entry : body->value["entry"].GetArray()) {
    if (!entry.IsObject() || !entry.HasMember("id")) continue;
    const std::string page = detail::idText(entry["id"]).value_or("");
    for (const char* channel : {"messaging", "standby"}) {
      auto items = entry.FindMember(channel);
      if (items == entry.MemberEnd() || !items->value.IsArray()) continue;
      for (const auto& item : items->value.GetArray()) {
        detail::Outgoing o;
        o.app_id = app_id;
        o.page_id = page;
        o.standby = std::string(channel) == "standby";
        o.instagram = instagram;
        if (item.HasMember("timestamp") && item["timestamp"].IsInt64()) {
          o.timestamp = item["timestamp"].GetInt64();
        }
        rapidjson::StringBuffer buf;
        JsonWriter w(buf);
        item.Accept(w);
        o.event_json.assign(buf.GetString(), buf.GetSize());
        events.push_back(std::move(o));
      }
    }
  }
  const std::size_t n = events.size();
  {
    std::lock_guard<std::mutex> lock(world_mu);
    delivery.enqueue(std::move(events));
  }
  record(
      "control",
      [&](JsonWriter& w) {
        w.Key("action");
        w.String("redeliver");
        w.Key("of_seq");
        w.Uint64(wanted);
        w.Key("events");
        w.Uint64(n);
      },
      app_id);
  return "{\"redelivered\":" + std::to_string(n) + "}";
}

void Emulator::Impl::inspectorRoutes() {
  server.Get("/_emulator/world", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(worldJson(), "application/json");
  });
  server.Get(
      "/_emulator/conversations", [this](const httplib::Request& req, httplib::Response& res) {
        if (!req.has_param("since")) {
          res.set_content(conversationsJson(std::nullopt), "application/json");
          return;
        }
        const auto version = detail::wholeParam(req, "since");
        const auto since_ms = detail::wholeParam(req, "since_ms");
        if (!version || !since_ms || !req.has_param("since_ms")) {
          res.status = 400;
          res.set_content(detail::errorBody(handover::detail::invalidArgument(
                              "since and since_ms must be whole numbers: the version and now_ms "
                              "of the previous answer")),
                          "application/json");
          return;
        }
        res.set_content(
            conversationsJson(ConversationsCursor{*version, static_cast<std::int64_t>(*since_ms)}),
            "application/json");
      });
  server.Post("/_emulator/deliveries/redeliver",
              [this](const httplib::Request& req, httplib::Response& res) {
                control(req, res, [this](const auto&, rapidjson::Document& d) {
                  auto it = d.FindMember("seq");
                  if (it == d.MemberEnd() || !it->value.IsUint64()) {
                    return Result<std::string>(handover::detail::invalidArgument(
                        "seq must be the timeline seq of a delivery"));
                  }
                  return redeliver(it->value.GetUint64());
                });
              });
  server.Get("/_emulator/ui", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/_emulator/ui/");
  });
  serveAsset(server, "/_emulator/ui/", detail::kInspectorHtml, "text/html; charset=utf-8");
  serveAsset(server, "/_emulator/ui/app.js", detail::kInspectorJs,
             "text/javascript; charset=utf-8");
  serveAsset(server, "/_emulator/ui/style.css", detail::kInspectorCss, "text/css; charset=utf-8");
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
