#pragma once
// The emulator's state behind `Emulator` (not installed): the world and its lock, delivery, the
// HTTP server and the timeline. Declarations only (and one-line accessors): its members' bodies
// live by concern, so a change to one recompiles one file:
//   emulator.cpp         construction, the public `Emulator` methods, the server's life
//   graph_api.cpp        the Graph API on the wire (auth, parameters, answers)
//   whatsapp_graph.cpp   the WhatsApp calls on a business number
//   control_actions.cpp  the control actions (user, inbox, roles, clock) and their record
//   control_api.cpp      the `/_emulator/...` control API routes
//   request_guard.cpp    who may drive the control API (Host, Origin, JSON, the token)
//   faults_api.cpp       faults and Lead-Gen over the control API
//   inspector_api.cpp    the inspector's views (world, conversations, redelivery)
//   scenario_record.cpp  the session as a scenario skeleton
//   timeline.cpp         timeline entries (secrets scrubbed) and their JSON

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
  explicit Impl(Config config);

  // "m_emu_<random>_": unique per emulator, as Meta's mids are unique.
  static std::string midPrefix();

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
  void recordHandshake(const detail::HandshakeRecord& r);
  Result<std::vector<WebhookSubscriptionState>> verifyWebhooks(const std::string& app_id);

  // What needs a human's eye goes to the console sink (the CLI's stderr): each change in an
  // app's delivery trouble (not every retry), and every handshake that did not verify.
  void tellConsole(const std::string& line);
  void consoleOnDelivery(const detail::DeliveryRecord& r);
  std::mutex console_mu;
  std::function<void(const std::string&)> console;
  std::map<std::string, std::string> delivery_trouble;  // app id → what went wrong last

  // When the server thread began the request it is handling (stamped before routing).
  static std::chrono::steady_clock::time_point& requestStartedAt();
  // The world's last event stamp when the server thread began the request: events stamped
  // later came of it or after it (a reader orders calls among the webhooks by it).
  static std::int64_t& stampAtRequestStart();
  // Request bodies go on record without the secrets Graph accepts in them.
  static std::string scrubbedBody(const httplib::Request& req);
  // Larger request bodies are recorded by their size only.
  static constexpr std::size_t kMaxRecordedBody = 16 * 1024;
  // Request text goes on record only when it keeps the timeline valid and small.
  static std::string recordable(const std::string& text);

  void reply(const httplib::Request& req, httplib::Response& res, const std::string& kind,
             const std::string& app_id, int status, const std::string& body);
  void replyError(const httplib::Request& req, httplib::Response& res, const std::string& kind,
                  const std::string& app_id, const Error& e);

  // Hands what the world produced to the delivery queues; called with world_mu held so queues
  // receive events in the order the world stamped them.
  void flush() { delivery.enqueue(world.drainOutbox()); }

  // --- Graph API --------------------------------------------------------------------------------

  static std::string token(const httplib::Request& req, const Params& params);

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
                            const httplib::Request& req, const Params& params);

  std::string pageNode(const Caller& c, const Params& params);

  void sendMessage(const httplib::Request& req, httplib::Response& res, const Caller& c,
                   const Params& params);
  // A call on a WhatsApp number (whatsapp_graph.cpp).
  void whatsappGraph(const httplib::Request& req, httplib::Response& res, const Caller& c,
                     const Params& params, const std::string& edge);

  // --- control actions (in-process and HTTP) ------------------------------------------------

  // Extra fields of a control entry (what was said, tapped...), so a session can be replayed
  // as a scenario (`GET /_emulator/scenario`).
  using Fields = std::vector<std::pair<const char*, std::string>>;

  // Runs one control action under the world's lock and records it with the owner and stamp
  // before it (control_actions.cpp; instantiated for void and InjectedEvent).
  template <typename T>
  Result<T> act(const char* action, const std::string& page_id, const std::string& user_id,
                const std::function<Result<T>()>& fn, const Fields& fields = {});

  Result<InjectedEvent> sendUserMessage(const UserMessage& m);
  Result<InjectedEvent> sendWhatsAppMessage(const UserMessage& m, const std::string& entry_point);
  Result<InjectedEvent> sendUserPostback(const std::string& page, const std::string& user,
                                         const std::string& title, const std::string& payload);
  Result<InjectedEvent> sendUserRead(const std::string& page, const std::string& user);
  Result<InjectedEvent> inboxReply(const std::string& page, const std::string& user,
                                   const std::string& text);
  Result<void> inboxMove(const std::string& page, const std::string& user, InboxFolder f);
  Result<void> setRole(const std::string& page, const std::string& app, Role role);
  Result<void> setDefaultApp(const std::string& page, const std::string& app);
  Result<void> advanceClock(std::chrono::seconds by);
  Result<ThreadState> threadState(const std::string& page, const std::string& user);
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

  // Who may drive it (request_guard.cpp): false, with the answer set, when refused.
  bool guardControl(const httplib::Request& req, httplib::Response& res);
  bool hostAllowed(const httplib::Request& req) const;
  bool servesBeyondLoopback() const;
  static std::string newControlToken();

  // A control route's body: a JSON object (or nothing), read with `str(key)` for ids and text.
  using StringField = std::function<std::string(const char*)>;
  using ControlBody =
      std::function<Result<std::string>(const StringField& str, rapidjson::Document& doc)>;
  void control(const httplib::Request& req, httplib::Response& res, const ControlBody& body_of);

  static Result<std::string> eventJson(Result<InjectedEvent> r);
  static Result<std::string> okJson(Result<void> r);

  void routes();
  void inspectorRoutes();
  std::string worldJson();
  // Where the inspector's last poll left off (GET /_emulator/conversations?since=&since_ms=).
  struct ConversationsCursor {
    std::uint64_t version = 0;
    std::int64_t now_ms = 0;
  };
  // Every conversation as an array; with a cursor, what changed after it and the next cursor.
  std::string conversationsJson(std::optional<ConversationsCursor> since);
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
  std::string control_token;  // set by start() when bound beyond loopback
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
