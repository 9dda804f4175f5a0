#pragma once
// The emulator's state behind `Emulator` (not installed): the world and its lock, delivery, the
// HTTP server and the timeline. Its members live by concern:
//   emulator.cpp     construction, the public `Emulator` methods, the server's life
//   graph_api.cpp    the Graph API on the wire (auth, parameters, answers)
//   control_api.cpp  the `/_emulator/...` control API routes
//   timeline.cpp     timeline entries (secrets scrubbed) and their JSON

#include <httplib.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bounds.hpp"
#include "delivery.hpp"
#include "graph_faults.hpp"
#include "handover/emulator/emulator.hpp"
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

inline constexpr std::size_t kTimelineCap = 100'000;

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
    world.setMidPrefix(midPrefix());
    graph_faults.set(world.config().faults);  // validated with the config
    world.setLeadGen(world.config().faults.lead_gen);
    fault_seed = world.config().faults.seed;
    delivery.setFaults(world.config().faults.delivery, fault_seed);
    // One request per connection: httplib's stop() otherwise waits out every idle keep-alive
    // connection (5 s each), and a stopped emulator must release its port at once.
    server.set_keep_alive_max_count(1);
    // httplib's default adds SO_REUSEPORT, which lets a second emulator bind the same port and
    // silently share traffic; a busy port must be an error instead.
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof(yes));
    });
    server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      requestStartedAt() = std::chrono::steady_clock::now();  // for the latency on record
      return httplib::Server::HandlerResponse::Unhandled;
    });
    routes();
  }

  // "m_emu_<random>_": unique per emulator, as Meta's mids are unique.
  static std::string midPrefix() {
    std::random_device rd;
    const std::uint64_t nonce = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string text;
    for (std::uint64_t n = nonce; text.size() < 8; n /= 36) text += kDigits[n % 36];
    return "m_emu_" + text + "_";
  }

  std::int64_t now() const { return nowWith(offset_ms.load()); }
  std::int64_t nowWith(std::int64_t offset) const {
    return base_epoch_ms + offset +
           std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start_steady)
               .count();
  }

  // --- timeline ---------------------------------------------------------------------------------

  // One timeline entry; `app_id` is kept beside the JSON for the `app` filter.
  void record(const std::string& kind, const std::function<void(JsonWriter&)>& fields,
              const std::string& app_id = {});

  // The app now controls a thread it will never hear about: accepted, as Meta accepts it, and
  // said in the timeline so whoever wrote the config sees why their app stays silent.
  void warnIfDeaf(const std::string& app_id, const std::string& user_id);

  void recordDelivery(const detail::DeliveryRecord& r);

  // When the server thread began the request it is handling (stamped before routing).
  static std::chrono::steady_clock::time_point& requestStartedAt() {
    thread_local std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
    return at;
  }
  // Request bodies go on record without the secrets Graph accepts in them.
  static std::string scrubbedBody(const httplib::Request& req);
  // Larger request bodies are recorded by their size only.
  static constexpr std::size_t kMaxRecordedBody = 16 * 1024;
  // Request text goes on record only when it keeps the timeline valid and small.
  static std::string recordable(const std::string& text) {
    if (text.size() <= 1024 && detail::isValidUtf8(text)) return text;
    return "(" + std::to_string(text.size()) + " bytes, not recorded: too long or not UTF-8)";
  }

  void reply(const httplib::Request& req, httplib::Response& res, const std::string& kind,
             const std::string& app_id, int status, const std::string& body) {
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
          w.Key("latency_ms");
          w.Double(static_cast<double>(latency.count()) / 1000.0);
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
    // The whole value: get_header_value returns it through a C string, which ends at a NUL, so
    // "Bearer <token>\0EXTRA" would authenticate as <token>.
    const auto found = req.headers.find("Authorization");
    const std::string auth = found == req.headers.end() ? std::string() : found->second;
    if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
    if (auth.rfind("OAuth ", 0) == 0) return auth.substr(6);
    return params.get("access_token").value_or("");
  }

  void graph(const httplib::Request& req, httplib::Response& res);
  // Answers with an injected fault instead of applying the call (and records it).
  void injectFault(const httplib::Request& req, httplib::Response& res, const std::string& app_id,
                   const detail::GraphFaultAnswer& fault);

  // --- faults (handover/emulator/faults.hpp) ------------------------------------------------
  Result<void> setFaults(const Faults& faults);
  Faults faults() const;
  Result<void> leadGenPass(const std::string& page, const std::string& user,
                           const std::string& target, bool complete);
  void faultRoutes();
  // This session's control actions, with what followed each, as a scenario skeleton.
  std::string scenarioSkeleton();

  static std::string personaJson(const detail::PersonaRecord& p);

  static std::string ownerJson(const detail::OwnerView& v);

  std::string pagingJson(const PageRange& r, const httplib::Request& req, const Params& params);

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

  std::string pageNode(const Caller& c, const Params& params);

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
      detail::parseJson(parsed, text);
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

  // --- control actions (in-process and HTTP) ------------------------------------------------

  // Extra fields of a control entry (what was said, tapped...), so a session can be replayed
  // as a scenario (`GET /_emulator/scenario`).
  using Fields = std::vector<std::pair<const char*, std::string>>;

  template <typename T>
  Result<T> act(const char* action, const std::string& page_id, const std::string& user_id,
                const std::function<Result<T>()>& fn, const Fields& fields = {}) {
    std::lock_guard<std::mutex> lock(world_mu);
    // The owner before the action is the owner that what followed the last one left.
    const std::string owner_before = world.ownerNow(page_id, user_id);
    const std::int64_t stamp_before = world.lastStamp();
    Result<T> r = fn();
    if (r) flush();
    record("control", [&](JsonWriter& w) {
      w.Key("action");
      w.String(action);
      w.Key("stamp_before");  // events stamped later came of this action or after it
      w.Int64(stamp_before);
      if (!user_id.empty() && world.page(page_id)) {
        w.Key("owner_before");
        writeString(w, owner_before);
      }
      if (!page_id.empty()) {
        w.Key("page_id");
        writeString(w, recordable(page_id));
      }
      if (!user_id.empty()) {
        w.Key("user_id");
        writeString(w, recordable(user_id));
      }
      for (const auto& [key, value] : fields) {
        if (value.empty()) continue;
        w.Key(key);
        writeString(w, recordable(value));
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
                              [&] { return world.userMessage(m); },
                              {{"text", m.text}, {"quick_reply_payload", m.quick_reply_payload}});
  }
  Result<InjectedEvent> sendUserPostback(const std::string& page, const std::string& user,
                                         const std::string& title, const std::string& payload) {
    return act<InjectedEvent>("user_postback", page, user,
                              [&] { return world.userPostback(page, user, title, payload); },
                              {{"title", title}, {"payload", payload}});
  }
  Result<InjectedEvent> sendUserRead(const std::string& page, const std::string& user) {
    return act<InjectedEvent>("user_read", page, user, [&] { return world.userRead(page, user); });
  }
  Result<InjectedEvent> inboxReply(const std::string& page, const std::string& user,
                                   const std::string& text) {
    return act<InjectedEvent>("inbox_reply", page, user,
                              [&] { return world.inboxReply(page, user, text); }, {{"text", text}});
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
  Result<void> advanceClock(std::chrono::seconds by) {
    const std::int64_t seconds = by.count();
    if (seconds < 0 || seconds > detail::kMaxClockAdvanceSeconds) {
      return handover::detail::invalidArgument(
          detail::boundMessage("seconds", 0, detail::kMaxClockAdvanceSeconds));
    }
    std::int64_t offset = offset_ms.load();
    do {  // concurrent advances add up; none may pass the bound between check and store
      if (!detail::clockAdvanceFits(nowWith(offset), seconds)) {
        return handover::detail::invalidArgument(
            "seconds: the clock would pass 9999-12-31 (epoch ms " +
            std::to_string(detail::kMaxEpochMs) + ")");
      }
    } while (!offset_ms.compare_exchange_weak(offset, offset + seconds * 1000));
    const std::int64_t from_ms = nowWith(offset);
    std::int64_t stamp_before = 0;
    {
      std::lock_guard<std::mutex> lock(world_mu);
      stamp_before = world.lastStamp();
    }
    record("control", [&](JsonWriter& w) {
      w.Key("action");
      w.String("advance_clock");
      w.Key("stamp_before");
      w.Int64(stamp_before);
      w.Key("seconds");
      w.Int64(by.count());
      w.Key("from_ms");  // the clock before: a recorded scenario's owners are judged on it
      w.Int64(from_ms);
    });
    return {};
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
  std::string timelineJson(const TimelineFilter& filter) const;

  // --- control API ------------------------------------------------------------------------------

  template <typename F>
  void control(const httplib::Request& req, httplib::Response& res, F&& body_of) {
    rapidjson::Document doc;
    if (!req.body.empty()) detail::parseJson(doc, req.body);
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

  static Result<std::string> eventJson(Result<InjectedEvent> r);
  static Result<std::string> okJson(Result<void> r);

  void routes();
  void inspectorRoutes();
  std::string worldJson();
  std::string conversationsJson();
  Result<std::string> redeliver(std::uint64_t wanted);

  const std::chrono::steady_clock::time_point start_steady;
  const std::int64_t base_epoch_ms;
  std::atomic<std::int64_t> offset_ms{0};
  mutable std::mutex world_mu;
  detail::World world;
  detail::GraphFaults graph_faults;  // under world_mu
  std::uint64_t fault_seed = 1;      // under world_mu
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

}  // namespace emulator
HANDOVER_END_NAMESPACE
