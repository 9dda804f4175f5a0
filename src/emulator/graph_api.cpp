// Part of Emulator::Impl (emulator_impl.hpp): the Graph API on the wire: tokens, parameters, the
// calls and their JSON answers.

#include <string>

#include "emulator_impl.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

std::string Emulator::Impl::token(const httplib::Request& req, const Params& params) {
  // The whole value: get_header_value returns it through a C string, which ends at a NUL, so
  // "Bearer <token>\0EXTRA" would authenticate as <token>.
  const auto found = req.headers.find("Authorization");
  const std::string auth = found == req.headers.end() ? std::string() : found->second;
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  if (auth.rfind("OAuth ", 0) == 0) return auth.substr(6);
  return params.get("access_token").value_or("");
}

void Emulator::Impl::reply(const httplib::Request& req, httplib::Response& res,
                           const std::string& kind, const std::string& app_id, int status,
                           const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - requestStartedAt());
  const std::string request_body = scrubbedBody(req);
  record(
      kind,
      [&](JsonWriter& w) {
        w.Key("method");
        writeString(w, req.method);
        w.Key("path");
        writeString(w, recordable(req.path));  // the query (tokens, proofs) is never recorded
        if (req.has_param("recipient")) {
          w.Key("recipient");
          writeString(w, recordable(req.get_param_value("recipient")));
        }
        if (!app_id.empty()) {
          w.Key("app_id");
          writeString(w, app_id);
        }
        if (request_body.size() > kMaxRecordedBody) {
          w.Key("request_bytes");  // a hostile body must not grow the timeline by its size
          w.Uint64(request_body.size());
        } else if (!request_body.empty()) {
          w.Key("request");
          w.RawValue(request_body.data(), request_body.size(), rapidjson::kObjectType);
        }
        w.Key("status");
        w.Int(status);
        w.Key("stamp_before");  // events stamped later came of this call or after it
        w.Int64(stampAtRequestStart());
        w.Key("latency_ms");
        w.Double(static_cast<double>(latency.count()) / 1000.0);
        w.Key("response");
        w.RawValue(body.data(), body.size(), rapidjson::kObjectType);
      },
      app_id);
}

void Emulator::Impl::replyError(const httplib::Request& req, httplib::Response& res,
                                const std::string& kind, const std::string& app_id,
                                const Error& e) {
  reply(req, res, kind, app_id, e.http_status ? e.http_status : 400, errorBody(e));
}

std::string Emulator::Impl::receiversJson(const std::vector<const AppConfig*>& apps,
                                          const PageRange& page, const httplib::Request& req,
                                          const Params& params) {
  std::string fields = params.get("fields").value_or("id,name");
  auto want = [&](const std::string& f) {
    return ("," + fields + ",").find("," + f + ",") != std::string::npos;
  };
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("data");
  w.StartArray();
  for (std::size_t i = page.begin; i < page.end; ++i) {
    const AppConfig* a = apps[i];
    w.StartObject();
    w.Key("id");  // Graph always returns the id
    writeString(w, a->id);
    if (want("name")) {
      w.Key("name");
      writeString(w, a->name);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::string body(buf.GetString(), buf.GetSize());
  body.pop_back();  // reopen the object to append paging
  return body + pagingJson(page, req, params) + "}";
}

void Emulator::Impl::sendMessage(const httplib::Request& req, httplib::Response& res,
                                 const Caller& c, const Params& params) {
  detail::SendInput in;
  auto user = params.recipient(false);
  if (!user) return replyError(req, res, "graph", c.app_id, user.error());
  in.recipient = *user;
  in.sender_action = params.get("sender_action").value_or("");
  in.persona_id = params.get("persona_id").value_or("");
  rapidjson::Document parsed;
  const rapidjson::Value* message = params.json("message");
  if (!message && req.has_param("message")) {
    const std::string text = req.get_param_value("message");
    detail::parseJson(parsed, text);
    if (!parsed.HasParseError()) message = &parsed;
  }
  if (message && message->IsObject()) {
    if (auto it = message->FindMember("text"); it != message->MemberEnd() && it->value.IsString()) {
      in.text = it->value.GetString();
    }
    if (auto it = message->FindMember("metadata");
        it != message->MemberEnd() && it->value.IsString()) {
      in.metadata = it->value.GetString();
    }
    if (auto it = message->FindMember("quick_replies"); it != message->MemberEnd()) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      it->value.Accept(w);
      in.quick_replies_json.assign(buf.GetString(), buf.GetSize());
    }
    if (auto it = message->FindMember("attachment"); it != message->MemberEnd()) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      it->value.Accept(w);
      in.attachment_json.assign(buf.GetString(), buf.GetSize());
    }
  }
  if (!in.sender_action.empty() && in.sender_action != "typing_on" &&
      in.sender_action != "typing_off" && in.sender_action != "mark_seen") {
    return replyError(req, res, "graph", c.app_id,
                      detail::graphError(100, 0, "(#100) param sender_action is invalid"));
  }
  if (auto tc = params.get("thread_control")) {
    rapidjson::Document d;
    detail::parseJson(d, *tc);
    if (d.HasParseError() || !d.IsObject()) {
      return replyError(
          req, res, "graph", c.app_id,
          detail::graphError(100, 0, "(#100) param thread_control must be an object"));
    }
    in.has_thread_control = true;
    if (auto it = d.FindMember("control_type"); it != d.MemberEnd() && it->value.IsString()) {
      in.control_type = it->value.GetString();
    }
    if (auto it = d.FindMember("app_id"); it != d.MemberEnd()) {
      in.control_app_id = detail::idText(it->value).value_or("");
    }
  }
  auto sent = world.send(c, in);
  if (!sent) return replyError(req, res, "graph", c.app_id, sent.error());
  flush();
  std::string body = "{\"recipient_id\":" + escapeJsonString(in.recipient);
  if (!sent->mid.empty()) body += ",\"message_id\":" + escapeJsonString(sent->mid);
  reply(req, res, "graph", c.app_id, 200, body + "}");
}

void Emulator::Impl::injectFault(const httplib::Request& req, httplib::Response& res,
                                 const std::string& app_id, const detail::GraphFaultAnswer& fault) {
  if (fault.close_connection) {
    // Headers go out, then the connection closes before the promised body: the caller sees a
    // broken transfer, never an answer, and cannot know whether the call took effect.
    res.status = 200;
    res.set_content_provider(64, "application/json",
                             [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
    record(
        "graph",
        [&](JsonWriter& w) {
          w.Key("method");
          writeString(w, req.method);
          w.Key("path");
          writeString(w, recordable(req.path));
          w.Key("app_id");
          writeString(w, app_id);
          w.Key("status");
          w.Int(0);
          w.Key("fault");
          w.String("close_connection");
        },
        app_id);
    return;
  }
  for (const auto& [name, value] : fault.headers) res.set_header(name, value);
  replyError(req, res, "graph", app_id, fault.error);
}

void Emulator::Impl::graph(const httplib::Request& req, httplib::Response& res) {
  const std::string node = req.matches[2];
  const std::string edge = req.matches.size() > 3 ? std::string(req.matches[3]) : "";
  Params params(req);
  if (const auto& key = params.repeatedJsonKey()) {
    return replyError(
        req, res, "graph", "",
        detail::graphError(100, 0, "(#100) The request body repeats the key " + recordable(*key)));
  }
  if (params.badJson()) {
    return replyError(req, res, "graph", "",
                      detail::graphError(100, 0, "(#100) The request body is not valid JSON"));
  }
  if (auto bad = params.badParam()) {
    return replyError(req, res, "graph", "",
                      detail::graphError(100, 0, "(#100) Param " + *bad + " must be valid UTF-8"));
  }
  const std::string tok = token(req, params);
  const auto proof = params.get("appsecret_proof");
  std::lock_guard<std::mutex> lock(world_mu);
  // A persona node: GET or DELETE /{version}/{persona-id}.
  if (edge.empty()) {
    if (const auto* persona = world.persona(node)) {
      auto caller = world.authenticate(tok, proof, persona->page_id);
      if (!caller) return replyError(req, res, "graph", "", caller.error());
      if (req.method == "DELETE") {
        world.deletePersona(*caller, node);
        return reply(req, res, "graph", caller->app_id, 200, successBody());
      }
      return reply(req, res, "graph", caller->app_id, 200, personaJson(*persona));
    }
  }
  auto caller = world.authenticate(tok, proof, node);
  if (!caller) return replyError(req, res, "graph", "", caller.error());
  const Caller& c = *caller;
  if (auto fault = graph_faults.intercept(
          {req.method, edge.empty() ? node : edge, req.path, c.app_id, tok, c.page_id}, now())) {
    return injectFault(req, res, c.app_id, *fault);
  }
  if (world.number(c.page_id) != nullptr) return whatsappGraph(req, res, c, params, edge);
  auto done = [&](const Result<void>& r) {
    if (!r) return replyError(req, res, "graph", c.app_id, r.error());
    flush();
    reply(req, res, "graph", c.app_id, 200, successBody());
  };
  const bool post = req.method == "POST";
  const bool get = req.method == "GET";
  if (edge.empty() && get) return reply(req, res, "graph", c.app_id, 200, pageNode(c, params));
  if (post && edge.size() > 15 && edge.compare(edge.size() - 15, 15, "_thread_control") == 0) {
    auto user = params.recipient(false);
    if (!user) return replyError(req, res, "graph", c.app_id, user.error());
    const std::string metadata = params.get("metadata").value_or("");
    if (edge == "pass_thread_control") {
      const std::string target = params.get("target_app_id").value_or("");
      auto passed = world.pass(c, *user, target, metadata);
      if (passed) warnIfDeaf(world.threadState(c.page_id, *user).value().owner_app_id, *user);
      return done(passed);
    }
    if (edge == "take_thread_control") return done(world.take(c, *user, metadata));
    if (edge == "request_thread_control") return done(world.request(c, *user, metadata));
    if (edge == "release_thread_control") return done(world.release(c, *user));
    if (edge == "extend_thread_control") {
      std::int64_t duration = 86400;  // [U] optional in the spec; the docs' example value
      if (auto d = params.get("duration")) {
        try {
          std::size_t used = 0;
          duration = std::stoll(*d, &used);
          if (used != d->size()) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
          return replyError(req, res, "graph", c.app_id,
                            detail::graphError(100, 0, "(#100) param duration must be an integer"));
        }
      }
      return done(world.extend(c, *user, duration));
    }
  }
  if (get && edge == "thread_owner") {
    auto user = params.recipient(true);
    if (!user) return replyError(req, res, "graph", c.app_id, user.error());
    auto view = world.threadOwner(c, *user);
    if (!view) return replyError(req, res, "graph", c.app_id, view.error());
    return reply(req, res, "graph", c.app_id, 200, ownerJson(*view));
  }
  if (get && edge == "secondary_receivers") {
    auto apps = world.secondaryReceivers(c);
    if (!apps) return replyError(req, res, "graph", c.app_id, apps.error());
    auto page = paginate(apps->size(), params);
    if (!page) return replyError(req, res, "graph", c.app_id, page.error());
    return reply(req, res, "graph", c.app_id, 200, receiversJson(*apps, *page, req, params));
  }
  if (post && edge == "messages") return sendMessage(req, res, c, params);
  if (edge == "personas" && post) {
    auto name = params.get("name");
    if (!name || name->empty()) {
      return replyError(req, res, "graph", c.app_id,
                        detail::graphError(100, 0, "(#100) param name must be non-empty"));
    }
    auto p = world.createPersona(c, *name, params.get("profile_picture_url").value_or(""));
    return reply(req, res, "graph", c.app_id, 200, "{\"id\":" + escapeJsonString(p.id) + "}");
  }
  if (edge == "personas" && get) {
    const auto all = world.personas(c.page_id);
    auto page = paginate(all.size(), params);
    if (!page) return replyError(req, res, "graph", c.app_id, page.error());
    std::string body = "{\"data\":[";
    for (std::size_t i = page->begin; i < page->end; ++i) {
      if (i != page->begin) body += ",";
      body += personaJson(*all[i]);
    }
    body += "]" + pagingJson(*page, req, params) + "}";
    return reply(req, res, "graph", c.app_id, 200, body);
  }
  replyError(
      req, res, "graph", c.app_id,
      detail::graphError(2500, 0, "Unknown path components: /" + edge + " (" + req.method + ")"));
}

std::string Emulator::Impl::personaJson(const detail::PersonaRecord& p) {
  return "{\"id\":" + escapeJsonString(p.id) + ",\"name\":" + escapeJsonString(p.name) +
         ",\"profile_picture_url\":" + escapeJsonString(p.profile_picture_url) + "}";
}

std::string Emulator::Impl::ownerJson(const detail::OwnerView& v) {
  // protocol.md §2.4: data[0].thread_owner; idle/undisclosed → {"data":[]}.
  if (!v.app_id && !v.expiration) return "{\"data\":[]}";
  std::string body = "{\"data\":[{\"thread_owner\":{";
  if (v.app_id) body += "\"app_id\":" + escapeJsonString(*v.app_id);
  if (v.expiration) {
    if (v.app_id) body += ",";
    body += "\"expiration\":" + std::to_string(*v.expiration);
  }
  return body + "}}]}";
}

std::string Emulator::Impl::pagingJson(const PageRange& r, const httplib::Request& req,
                                       const Params& params) {
  std::string out = ",\"paging\":{\"cursors\":{\"before\":\"" + std::to_string(r.begin) +
                    "\",\"after\":\"" + std::to_string(r.end) + "\"}";
  if (r.end < r.total) {
    // Only the paging parameters: a token or proof must never appear in a URL we print.
    std::string next = "http://" + host + ":" + std::to_string(port) + req.path +
                       "?limit=" + std::to_string(r.limit) + "&after=" + std::to_string(r.end);
    if (auto f = params.get("fields")) next += "&fields=" + httplib::detail::encode_query_param(*f);
    out += ",\"next\":" + escapeJsonString(next);
  }
  return out + "}";
}

std::string Emulator::Impl::pageNode(const Caller& c, const Params& params) {
  const PageConfig& page = *world.page(c.page_id);
  const std::string fields = params.get("fields").value_or("id,name");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  if (fields.find("messaging_feature_status") != std::string::npos) {
    // CR-M/CCA-IG: msgr_multi_app / ig_multi_app say Conversation Routing is on.
    const bool routing = page.era == Era::kRouting;
    w.Key("messaging_feature_status");
    w.StartObject();
    w.Key("hop_v2");
    w.Bool(true);  // [U] both emulated eras have v2 semantics (exclusive mode, idle)
    w.Key("msgr_multi_app");
    w.Bool(routing);
    w.Key("ig_multi_app");
    w.Bool(routing);
    w.EndObject();
  }
  if (("," + fields + ",").find(",name,") != std::string::npos) {
    w.Key("name");
    writeString(w, page.name);
  }
  w.Key("id");
  writeString(w, page.id);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
