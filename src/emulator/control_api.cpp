// Part of Emulator::Impl (emulator_impl.hpp): the control API: `/_emulator/...` routes over the
// in-process actions.

#include <string>

#include "emulator_impl.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

void Emulator::Impl::control(const httplib::Request& req, httplib::Response& res,
                             const ControlBody& body_of) {
  rapidjson::Document doc;
  if (!req.body.empty()) detail::parseJson(doc, req.body);
  if (req.body.empty()) doc.SetObject();
  if (doc.HasParseError() || !doc.IsObject()) {
    res.status = 400;
    res.set_content(errorBody(handover::detail::invalidArgument("body must be a JSON object")),
                    "application/json");
    return;
  }
  if (const auto key = detail::repeatedKey(doc)) {
    res.status = 400;
    res.set_content(errorBody(handover::detail::invalidArgument("the body repeats the key " +
                                                                recordable(*key))),
                    "application/json");
    return;
  }
  const StringField str = [&doc](const char* key) -> std::string {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd()) return {};
    return detail::idText(it->value).value_or("");
  };
  Result<std::string> out = body_of(str, doc);
  if (!out) {
    Error e = out.error();
    res.status = e.http_status ? e.http_status : 400;
    res.set_content(errorBody(e), "application/json");
    return;
  }
  res.set_content(*out, "application/json");
}

Result<std::string> Emulator::Impl::eventJson(Result<InjectedEvent> r) {
  if (!r) return std::move(r).error();
  std::string body = "{\"timestamp\":" + std::to_string(epochMillis(r->timestamp));
  if (!r->mid.empty()) body += ",\"mid\":" + escapeJsonString(r->mid);
  return body + "}";
}

Result<std::string> Emulator::Impl::okJson(Result<void> r) {
  if (!r) return std::move(r).error();
  return successBody();
}

void Emulator::Impl::routes() {
  using Str = std::function<std::string(const char*)>;
  auto post = [this](const char* path,
                     std::function<Result<std::string>(const Str&, rapidjson::Document&)> fn) {
    server.Post(path,
                [this, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
                  control(req, res, fn);
                });
  };
  post("/_emulator/user/message", [this](const Str& s, rapidjson::Document& doc) {
    UserMessage m{s("page_id"), s("user_id"), s("text"), s("quick_reply_payload")};
    // WhatsApp numbers: the entry point the message came through (default: "default").
    if (doc.IsObject() && doc.HasMember("entry_point")) {
      return eventJson(sendWhatsAppMessage(m, s("entry_point")));
    }
    return eventJson(sendUserMessage(m));
  });
  post("/_emulator/user/postback", [this](const Str& s, rapidjson::Document&) {
    return eventJson(sendUserPostback(s("page_id"), s("user_id"), s("title"), s("payload")));
  });
  post("/_emulator/user/read", [this](const Str& s, rapidjson::Document&) {
    return eventJson(sendUserRead(s("page_id"), s("user_id")));
  });
  post("/_emulator/inbox/reply", [this](const Str& s, rapidjson::Document&) {
    return eventJson(inboxReply(s("page_id"), s("user_id"), s("text")));
  });
  post("/_emulator/inbox/move", [this](const Str& s, rapidjson::Document&) -> Result<std::string> {
    const std::string folder = s("folder");
    if (folder != "main" && folder != "done") {
      return handover::detail::invalidArgument("folder must be \"main\" or \"done\"");
    }
    return okJson(inboxMove(s("page_id"), s("user_id"),
                            folder == "main" ? InboxFolder::kMain : InboxFolder::kDone));
  });
  post("/_emulator/roles", [this](const Str& s, rapidjson::Document&) -> Result<std::string> {
    auto role = parseRole(s("role"));
    if (!role) return handover::detail::invalidArgument("role must be primary, secondary or none");
    return okJson(setRole(s("page_id"), s("app_id"), *role));
  });
  post("/_emulator/default_app", [this](const Str& s, rapidjson::Document&) {
    return okJson(setDefaultApp(s("page_id"), s("app_id")));
  });
  post("/_emulator/clock/advance",
       [this](const Str&, rapidjson::Document& d) -> Result<std::string> {
         auto it = d.FindMember("seconds");
         if (it == d.MemberEnd() || !it->value.IsInt64()) {
           return handover::detail::invalidArgument(
               detail::boundMessage("seconds", 0, detail::kMaxClockAdvanceSeconds));
         }
         if (auto r = advanceClock(std::chrono::seconds(it->value.GetInt64())); !r) {
           return std::move(r).error();
         }
         return "{\"now_ms\":" + std::to_string(now()) + "}";
       });
  post("/_emulator/subscriptions/verify",
       [this](const Str& s, rapidjson::Document&) -> Result<std::string> {
         auto states = verifyWebhooks(s("app_id"));
         if (!states) return std::move(states).error();
         std::string body = "{\"subscriptions\":{";
         for (const auto& st : *states) {
           if (body.back() != '{') body += ",";
           body += escapeJsonString(st.app_id) + ":\"" + detail::toString(st.state) + "\"";
         }
         return body + "}}";
       });
  post("/_emulator/deliveries/wait",
       [this](const Str&, rapidjson::Document& d) -> Result<std::string> {
         std::int64_t ms = 5000;
         if (auto it = d.FindMember("timeout_ms"); it != d.MemberEnd()) {
           if (!it->value.IsInt64() || it->value.GetInt64() < 0 ||
               it->value.GetInt64() > detail::kMaxWaitMs) {
             return handover::detail::invalidArgument(
                 detail::boundMessage("timeout_ms", 0, detail::kMaxWaitMs));
           }
           ms = it->value.GetInt64();
         }
         bool idle = delivery.waitIdle(std::chrono::milliseconds(ms));
         return std::string(idle ? "{\"idle\":true}" : "{\"idle\":false}");
       });
  server.Get("/_emulator/clock", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"now_ms\":" + std::to_string(now()) + "}", "application/json");
  });
  server.Get("/_emulator/timeline", [this](const httplib::Request& req, httplib::Response& res) {
    TimelineFilter filter;
    const auto since = detail::wholeParam(req, "since");
    if (!since) {
      res.status = 400;
      res.set_content(
          errorBody(handover::detail::invalidArgument("since must be a timeline seq (a whole "
                                                      "number, as in the entries' \"seq\")")),
          "application/json");
      return;
    }
    filter.since = *since;
    filter.kind = req.get_param_value("kind");
    filter.app_id = req.get_param_value("app");
    res.set_content(timelineJson(filter), "application/json");
  });
  server.Get("/_emulator/help", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(controlApiHelp(), "text/plain");
  });
  server.Get(R"(/_emulator/threads/([^/]+)/([^/]+))", [this](const httplib::Request& req,
                                                             httplib::Response& res) {
    auto s = threadState(req.matches[1], req.matches[2]);
    if (!s) {
      res.status = 400;
      res.set_content(errorBody(s.error()), "application/json");
      return;
    }
    std::string body = "{\"owner_app_id\":";
    body += s->owner_app_id.empty() ? "null" : escapeJsonString(s->owner_app_id);
    body += ",\"expiration\":";
    body += s->expiration ? std::to_string(s->expiration->time_since_epoch().count()) : "null";
    res.set_content(body + "}", "application/json");
  });
  inspectorRoutes();
  faultRoutes();
  // Any other control route: a JSON 404 that says where the list is (after the real routes,
  // which cpp-httplib matches first).
  auto unknown_control = [](const httplib::Request& req, httplib::Response& res) {
    res.status = 404;
    res.set_content("{\"error\":{\"message\":" +
                        escapeJsonString("no control route " + req.method + " " + req.path +
                                         "; GET /_emulator/help lists them") +
                        ",\"help\":\"/_emulator/help\"}}",
                    "application/json");
  };
  server.Get(R"(/_emulator(/.*)?)", unknown_control);
  server.Post(R"(/_emulator(/.*)?)", unknown_control);
  server.Delete(R"(/_emulator(/.*)?)", unknown_control);
  const char* graph_path = R"(/(v\d+(?:\.\d+)?)/([^/]+)(?:/([^/]+))?)";
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { graph(req, res); };
  server.Get(graph_path, handler);
  server.Post(graph_path, handler);
  server.Delete(graph_path, handler);
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
