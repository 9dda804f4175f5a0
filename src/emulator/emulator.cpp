#include "handover/emulator/emulator.hpp"

#include <httplib.h>
#include <rapidjson/document.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include "delivery.hpp"
#include "json_util.hpp"
#include "request_params.hpp"
#include "world.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

using detail::Caller;
using detail::errorBody;
using detail::escapeJsonString;
using detail::JsonWriter;
using detail::PageRange;
using detail::paginate;
using detail::Params;
using detail::successBody;
using detail::writeString;

namespace {

constexpr std::size_t kTimelineCap = 100'000;

}  // namespace

struct Emulator::Impl {
  explicit Impl(Config config)
      : start_steady(std::chrono::steady_clock::now()),
        base_epoch_ms(epochMillis(
            config.start_time.value_or(std::chrono::time_point_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now())))),
        world(std::move(config), [this] { return now(); }),
        delivery(world.config().delivery,
                 [this](const detail::DeliveryRecord& r) { recordDelivery(r); }) {
    for (const auto& a : world.config().apps) {
      if (!a.webhook_url.empty()) delivery.addApp(a.id, a.webhook_url, a.app_secret);
    }
    // One request per connection: httplib's stop() otherwise waits out every idle keep-alive
    // connection (5 s each), and a stopped emulator must release its port at once.
    server.set_keep_alive_max_count(1);
    // httplib's default adds SO_REUSEPORT, which lets a second emulator bind the same port and
    // silently share traffic; a busy port must be an error instead.
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof(yes));
    });
    routes();
  }

  std::int64_t now() const {
    return base_epoch_ms + offset_ms.load() +
           std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start_steady)
               .count();
  }

  // --- timeline ---------------------------------------------------------------------------------

  // One timeline entry; `app_id` is kept beside the JSON for the `app` filter.
  void record(const std::string& kind, const std::function<void(JsonWriter&)>& fields,
              const std::string& app_id = {}) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    std::lock_guard<std::mutex> lock(timeline_mu);
    const std::uint64_t entry_seq = ++seq;
    w.Key("seq");
    w.Uint64(entry_seq);
    w.Key("time");
    w.Int64(now());
    w.Key("kind");
    writeString(w, kind);
    fields(w);
    w.EndObject();
    if (timeline.size() >= kTimelineCap) timeline.pop_front();
    timeline.push_back({entry_seq, kind, app_id, std::string(buf.GetString(), buf.GetSize())});
  }

  // The app now controls a thread it will never hear about: accepted, as Meta accepts it, and
  // said in the timeline so whoever wrote the config sees why their app stays silent.
  void warnIfDeaf(const std::string& app_id, const std::string& user_id) {
    const AppConfig* a = world.app(app_id);
    if (a == nullptr || (!a->webhook_url.empty() && !a->subscribed_fields.empty())) return;
    const std::string why =
        a->webhook_url.empty() ? "has no webhook_url" : "has no subscribed_fields";
    record(
        "warning",
        [&](JsonWriter& w) {
          w.Key("app_id");
          writeString(w, app_id);
          w.Key("user_id");
          writeString(w, user_id);
          w.Key("message");
          writeString(w, "control passed to app " + app_id + ", which " + why +
                             ": it will receive no webhook for this thread (the real platform "
                             "accepts the pass too)");
        },
        app_id);
  }

  void recordDelivery(const detail::DeliveryRecord& r) {
    record(
        "delivery",
        [&](JsonWriter& w) {
          w.Key("app_id");
          writeString(w, r.app_id);
          w.Key("url");
          writeString(w, r.url);
          w.Key("attempt");
          w.Int(r.attempt);
          w.Key("status");
          w.Int(r.status);
          if (!r.error.empty()) {
            w.Key("error");
            writeString(w, r.error);
          }
          w.Key("events");
          w.Uint64(r.events);
          w.Key("outcome");
          writeString(w, r.outcome);
          w.Key("body");
          w.RawValue(r.body.data(), r.body.size(), rapidjson::kObjectType);
        },
        r.app_id);
  }

  // Request bodies go on record without the secrets Graph accepts in them.
  static std::string scrubbedBody(const httplib::Request& req) {
    rapidjson::Document doc;
    doc.Parse(req.body.data(), req.body.size());
    if (doc.HasParseError() || !doc.IsObject()) return {};
    doc.RemoveMember("access_token");
    doc.RemoveMember("appsecret_proof");
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    doc.Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
  }

  void reply(const httplib::Request& req, httplib::Response& res, const std::string& kind,
             const std::string& app_id, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
    const std::string request_body = scrubbedBody(req);
    record(
        kind,
        [&](JsonWriter& w) {
          w.Key("method");
          writeString(w, req.method);
          w.Key("path");
          writeString(w, req.path);  // the query string (tokens, proofs) is never recorded
          if (req.has_param("recipient")) {
            w.Key("recipient");
            writeString(w, req.get_param_value("recipient"));
          }
          if (!app_id.empty()) {
            w.Key("app_id");
            writeString(w, app_id);
          }
          if (!request_body.empty()) {
            w.Key("request");
            w.RawValue(request_body.data(), request_body.size(), rapidjson::kObjectType);
          }
          w.Key("status");
          w.Int(status);
          w.Key("response");
          w.RawValue(body.data(), body.size(), rapidjson::kObjectType);
        },
        app_id);
  }

  void replyError(const httplib::Request& req, httplib::Response& res, const std::string& kind,
                  const std::string& app_id, const Error& e) {
    reply(req, res, kind, app_id, e.http_status ? e.http_status : 400, errorBody(e));
  }

  // Hands what the world produced to the delivery queues; called with world_mu held so queues
  // receive events in the order the world stamped them.
  void flush() { delivery.enqueue(world.drainOutbox()); }

  // --- Graph API --------------------------------------------------------------------------------

  static std::string token(const httplib::Request& req, const Params& params) {
    const auto auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
    if (auth.rfind("OAuth ", 0) == 0) return auth.substr(6);
    return params.get("access_token").value_or("");
  }

  void graph(const httplib::Request& req, httplib::Response& res) {
    const std::string node = req.matches[2];
    const std::string edge = req.matches.size() > 3 ? std::string(req.matches[3]) : "";
    Params params(req);
    if (params.badJson()) {
      return replyError(req, res, "graph", "",
                        detail::graphError(100, 0, "(#100) The request body is not valid JSON"));
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
            return replyError(
                req, res, "graph", c.app_id,
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

  static std::string personaJson(const detail::PersonaRecord& p) {
    return "{\"id\":" + escapeJsonString(p.id) + ",\"name\":" + escapeJsonString(p.name) +
           ",\"profile_picture_url\":" + escapeJsonString(p.profile_picture_url) + "}";
  }

  static std::string ownerJson(const detail::OwnerView& v) {
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

  std::string pagingJson(const PageRange& r, const httplib::Request& req, const Params& params) {
    std::string out = ",\"paging\":{\"cursors\":{\"before\":\"" + std::to_string(r.begin) +
                      "\",\"after\":\"" + std::to_string(r.end) + "\"}";
    if (r.end < r.total) {
      // Only the paging parameters: a token or proof must never appear in a URL we print.
      std::string next = "http://" + host + ":" + std::to_string(port) + req.path +
                         "?limit=" + std::to_string(r.limit) + "&after=" + std::to_string(r.end);
      if (auto f = params.get("fields"))
        next += "&fields=" + httplib::detail::encode_query_param(*f);
      out += ",\"next\":" + escapeJsonString(next);
    }
    return out + "}";
  }

  std::string receiversJson(const std::vector<const AppConfig*>& apps, const PageRange& page,
                            const httplib::Request& req, const Params& params) {
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

  std::string pageNode(const Caller& c, const Params& params) {
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

  void sendMessage(const httplib::Request& req, httplib::Response& res, const Caller& c,
                   const Params& params) {
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
      parsed.Parse(text.data(), text.size());
      if (!parsed.HasParseError()) message = &parsed;
    }
    if (message && message->IsObject()) {
      if (auto it = message->FindMember("text");
          it != message->MemberEnd() && it->value.IsString()) {
        in.text = it->value.GetString();
      }
      if (auto it = message->FindMember("metadata");
          it != message->MemberEnd() && it->value.IsString()) {
        in.metadata = it->value.GetString();
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
      d.Parse(tc->data(), tc->size());
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

  // --- control actions (in-process and HTTP) ------------------------------------------------

  template <typename T>
  Result<T> act(const char* action, const std::string& page_id, const std::string& user_id,
                const std::function<Result<T>()>& fn) {
    std::lock_guard<std::mutex> lock(world_mu);
    Result<T> r = fn();
    if (r) flush();
    record("control", [&](JsonWriter& w) {
      w.Key("action");
      w.String(action);
      if (!page_id.empty()) {
        w.Key("page_id");
        writeString(w, page_id);
      }
      if (!user_id.empty()) {
        w.Key("user_id");
        writeString(w, user_id);
      }
      w.Key("ok");
      w.Bool(r.has_value());
      if (!r) {
        w.Key("error");
        writeString(w, r.error().message);
      }
    });
    return r;
  }

  Result<InjectedEvent> sendUserMessage(const UserMessage& m) {
    return act<InjectedEvent>("user_message", m.page_id, m.user_id,
                              [&] { return world.userMessage(m); });
  }
  Result<InjectedEvent> sendUserPostback(const std::string& page, const std::string& user,
                                         const std::string& title, const std::string& payload) {
    return act<InjectedEvent>("user_postback", page, user,
                              [&] { return world.userPostback(page, user, title, payload); });
  }
  Result<InjectedEvent> sendUserRead(const std::string& page, const std::string& user) {
    return act<InjectedEvent>("user_read", page, user, [&] { return world.userRead(page, user); });
  }
  Result<InjectedEvent> inboxReply(const std::string& page, const std::string& user,
                                   const std::string& text) {
    return act<InjectedEvent>("inbox_reply", page, user,
                              [&] { return world.inboxReply(page, user, text); });
  }
  Result<void> inboxMove(const std::string& page, const std::string& user, InboxFolder f) {
    return act<void>(f == InboxFolder::kMain ? "inbox_move_main" : "inbox_move_done", page, user,
                     [&] { return world.inboxMove(page, user, f); });
  }
  Result<void> setRole(const std::string& page, const std::string& app, Role role) {
    return act<void>("set_role", page, "", [&] { return world.setRole(page, app, role); });
  }
  Result<void> setDefaultApp(const std::string& page, const std::string& app) {
    return act<void>("set_default_app", page, "", [&] { return world.setDefaultApp(page, app); });
  }
  void advanceClock(std::chrono::seconds by) {
    offset_ms += std::chrono::duration_cast<std::chrono::milliseconds>(by).count();
    record("control", [&](JsonWriter& w) {
      w.Key("action");
      w.String("advance_clock");
      w.Key("seconds");
      w.Int64(by.count());
    });
  }
  Result<ThreadState> threadState(const std::string& page, const std::string& user) {
    std::lock_guard<std::mutex> lock(world_mu);
    return world.threadState(page, user);
  }
  struct TimelineFilter {
    std::uint64_t since = 0;  // entries with a larger seq
    std::string kind;         // "" = any
    std::string app_id;       // "" = any
  };
  std::string timelineJson() const {
    const TimelineFilter everything;
    return timelineJson(everything);
  }
  std::string timelineJson(const TimelineFilter& filter) const {
    std::lock_guard<std::mutex> lock(timeline_mu);
    std::string out = "[";
    bool first = true;
    for (const TimelineEntry& e : timeline) {
      if (e.seq <= filter.since || (!filter.kind.empty() && e.kind != filter.kind) ||
          (!filter.app_id.empty() && e.app_id != filter.app_id)) {
        continue;
      }
      if (!first) out += ",";
      first = false;
      out += e.json;
    }
    return out + "]";
  }

  // --- control API ------------------------------------------------------------------------------

  template <typename F>
  void control(const httplib::Request& req, httplib::Response& res, F&& body_of) {
    rapidjson::Document doc;
    if (!req.body.empty()) doc.Parse(req.body.data(), req.body.size());
    if (req.body.empty()) doc.SetObject();
    if (doc.HasParseError() || !doc.IsObject()) {
      res.status = 400;
      res.set_content(errorBody(handover::detail::invalidArgument("body must be a JSON object")),
                      "application/json");
      return;
    }
    auto str = [&doc](const char* key) -> std::string {
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

  static Result<std::string> eventJson(Result<InjectedEvent> r) {
    if (!r) return std::move(r).error();
    std::string body = "{\"timestamp\":" + std::to_string(epochMillis(r->timestamp));
    if (!r->mid.empty()) body += ",\"mid\":" + escapeJsonString(r->mid);
    return body + "}";
  }
  static Result<std::string> okJson(Result<void> r) {
    if (!r) return std::move(r).error();
    return successBody();
  }

  void routes() {
    using Str = std::function<std::string(const char*)>;
    auto post = [this](const char* path,
                       std::function<Result<std::string>(const Str&, rapidjson::Document&)> fn) {
      server.Post(path,
                  [this, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
                    control(req, res, fn);
                  });
    };
    post("/_emulator/user/message", [this](const Str& s, rapidjson::Document&) {
      return eventJson(
          sendUserMessage({s("page_id"), s("user_id"), s("text"), s("quick_reply_payload")}));
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
    post("/_emulator/inbox/move",
         [this](const Str& s, rapidjson::Document&) -> Result<std::string> {
           const std::string folder = s("folder");
           if (folder != "main" && folder != "done") {
             return handover::detail::invalidArgument("folder must be \"main\" or \"done\"");
           }
           return okJson(inboxMove(s("page_id"), s("user_id"),
                                   folder == "main" ? InboxFolder::kMain : InboxFolder::kDone));
         });
    post("/_emulator/roles", [this](const Str& s, rapidjson::Document&) -> Result<std::string> {
      auto role = parseRole(s("role"));
      if (!role)
        return handover::detail::invalidArgument("role must be primary, secondary or none");
      return okJson(setRole(s("page_id"), s("app_id"), *role));
    });
    post("/_emulator/default_app", [this](const Str& s, rapidjson::Document&) {
      return okJson(setDefaultApp(s("page_id"), s("app_id")));
    });
    post("/_emulator/clock/advance",
         [this](const Str&, rapidjson::Document& d) -> Result<std::string> {
           auto it = d.FindMember("seconds");
           if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 0) {
             return handover::detail::invalidArgument("seconds must be a non-negative integer");
           }
           advanceClock(std::chrono::seconds(it->value.GetInt64()));
           return "{\"now_ms\":" + std::to_string(now()) + "}";
         });
    post("/_emulator/deliveries/wait",
         [this](const Str&, rapidjson::Document& d) -> Result<std::string> {
           std::int64_t ms = 5000;
           if (auto it = d.FindMember("timeout_ms"); it != d.MemberEnd() && it->value.IsInt64()) {
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
      if (req.has_param("since")) {
        const std::string v = req.get_param_value("since");
        std::size_t used = 0;
        try {
          filter.since = std::stoull(v, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != v.size() || v[0] == '-') {
          res.status = 400;
          res.set_content(
              errorBody(handover::detail::invalidArgument("since must be a timeline seq (a whole "
                                                          "number, as in the entries' \"seq\")")),
              "application/json");
          return;
        }
      }
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
    const char* graph_path = R"(/(v\d+(?:\.\d+)?)/([^/]+)(?:/([^/]+))?)";
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { graph(req, res); };
    server.Get(graph_path, handler);
    server.Post(graph_path, handler);
    server.Delete(graph_path, handler);
  }

  const std::chrono::steady_clock::time_point start_steady;
  const std::int64_t base_epoch_ms;
  std::atomic<std::int64_t> offset_ms{0};
  mutable std::mutex world_mu;
  detail::World world;
  detail::Delivery delivery;
  httplib::Server server;
  std::thread server_thread;
  std::string host;
  int port = 0;
  std::mutex run_mu;
  std::condition_variable stopped_cv;
  bool stopped = false;
  mutable std::mutex timeline_mu;
  struct TimelineEntry {
    std::uint64_t seq;
    std::string kind;    // "graph", "delivery", "control", "warning"
    std::string app_id;  // the app the entry is about; "" for control actions
    std::string json;
  };
  std::deque<TimelineEntry> timeline;
  std::uint64_t seq = 0;
};

Emulator::Emulator(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Emulator::~Emulator() {
  stop();
}

Result<std::unique_ptr<Emulator>> Emulator::fromJson(std::string_view json) {
  auto config = parseConfig(json);
  if (!config) return std::move(config).error();
  return std::make_unique<Emulator>(std::move(*config));
}

Result<std::unique_ptr<Emulator>> Emulator::fromFile(const std::string& path) {
  auto config = loadConfigFile(path);
  if (!config) return std::move(config).error();
  return std::make_unique<Emulator>(std::move(*config));
}

Result<int> Emulator::start(const std::string& host, int port) {
  Impl& d = *impl_;
  if (d.port != 0)
    return handover::detail::invalidArgument("emulator already started on port " +
                                             std::to_string(d.port));
  int bound = port;
  if (port == 0) {
    bound = d.server.bind_to_any_port(host);
  } else if (!d.server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message = "emulator: cannot listen on " + host + ":" + std::to_string(port);
    return e;
  }
  d.host = host;
  d.port = bound;
  d.stopped = false;
  d.delivery.start();
  d.server_thread = std::thread([&d] { d.server.listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs: wait for it so a quick stop()
  // cannot leave the server thread listening forever.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!d.server.is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return bound;
}

void Emulator::wait() {
  std::unique_lock<std::mutex> lock(impl_->run_mu);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped || impl_->port == 0; });
}

void Emulator::stop() {
  Impl& d = *impl_;
  if (d.port != 0) {
    d.server.stop();
    if (d.server_thread.joinable()) d.server_thread.join();
  }
  d.delivery.stop();
  {
    std::lock_guard<std::mutex> lock(d.run_mu);
    d.stopped = true;
  }
  d.stopped_cv.notify_all();
}

int Emulator::port() const noexcept {
  return impl_->port;
}

std::string Emulator::baseUrl() const {
  const std::string& h = impl_->host.empty() ? std::string("127.0.0.1") : impl_->host;
  const bool v6 = h.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + h + "]" : h) + ":" + std::to_string(impl_->port);
}

Result<InjectedEvent> Emulator::sendUserMessage(const UserMessage& message) {
  return impl_->sendUserMessage(message);
}
Result<InjectedEvent> Emulator::sendUserPostback(const std::string& page_id,
                                                 const std::string& user_id,
                                                 const std::string& title,
                                                 const std::string& payload) {
  return impl_->sendUserPostback(page_id, user_id, title, payload);
}
Result<InjectedEvent> Emulator::sendUserRead(const std::string& page_id,
                                             const std::string& user_id) {
  return impl_->sendUserRead(page_id, user_id);
}
Result<InjectedEvent> Emulator::inboxReply(const std::string& page_id, const std::string& user_id,
                                           const std::string& text) {
  return impl_->inboxReply(page_id, user_id, text);
}
Result<void> Emulator::inboxMove(const std::string& page_id, const std::string& user_id,
                                 InboxFolder folder) {
  return impl_->inboxMove(page_id, user_id, folder);
}
Result<void> Emulator::setRole(const std::string& page_id, const std::string& app_id, Role role) {
  return impl_->setRole(page_id, app_id, role);
}
Result<void> Emulator::setDefaultApp(const std::string& page_id, const std::string& app_id) {
  return impl_->setDefaultApp(page_id, app_id);
}
void Emulator::advanceClock(std::chrono::seconds by) {
  impl_->advanceClock(by);
}
Timestamp Emulator::now() const {
  return fromEpochMillis(impl_->now());
}
Result<ThreadState> Emulator::threadState(const std::string& page_id,
                                          const std::string& user_id) const {
  return impl_->threadState(page_id, user_id);
}
std::string Emulator::timelineJson() const {
  return impl_->timelineJson();
}
bool Emulator::waitForDeliveries(std::chrono::milliseconds timeout) {
  return impl_->delivery.waitIdle(timeout);
}
std::size_t Emulator::pendingDeliveries(const std::string& app_id) const {
  return impl_->delivery.pending(app_id);
}

const char* Emulator::controlApiHelp() noexcept {
  return "handover emulator control API (JSON bodies, ids as strings)\n"
         "  POST /_emulator/user/message   {page_id,user_id,text[,quick_reply_payload]}\n"
         "  POST /_emulator/user/postback  {page_id,user_id,title,payload}\n"
         "  POST /_emulator/user/read      {page_id,user_id}\n"
         "  POST /_emulator/inbox/reply    {page_id,user_id,text}\n"
         "  POST /_emulator/inbox/move     {page_id,user_id,folder:\"main\"|\"done\"}\n"
         "  POST /_emulator/roles          "
         "{page_id,app_id,role:\"primary\"|\"secondary\"|\"none\"}\n"
         "  POST /_emulator/default_app    {page_id,app_id}  (\"\" unsets)\n"
         "  POST /_emulator/clock/advance  {seconds}\n"
         "  GET  /_emulator/clock\n"
         "  GET  /_emulator/threads/{page_id}/{user_id}\n"
         "  GET  /_emulator/timeline[?since=SEQ&kind=graph|delivery|control|warning&app=ID]\n"
         "  POST /_emulator/deliveries/wait {timeout_ms}\n"
         "Graph: /{version}/{page-id|me}/{pass,take,request,release,extend}_thread_control,\n"
         "  thread_owner, secondary_receivers, ?fields=messaging_feature_status, messages,\n"
         "  personas; /{version}/{persona-id}. Token: Authorization: Bearer, or access_token.\n";
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
