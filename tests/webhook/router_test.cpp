#include <httplib.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "fixture_file.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/router.hpp"
#include "parse_ok.hpp"
#include "secret_scan.hpp"

using namespace handover;
using namespace handover::webhook;
using handover_test_webhook::fixtureBatch;

namespace {

const std::string kMyApp = "1517776481860111";

// A Connection that records each call as one line and answers from a script.
class RecordingConnection : public Connection {
 public:
  explicit RecordingConnection(ClientOptions o) : options_(std::move(o)) {}
  std::vector<std::string> calls;
  ThreadOwner owner;

  Result<void> passThreadControl(const PassThreadControlRequest& r) override {
    log("pass " + r.recipient + " " + r.target_app_id + " " + r.metadata);
    return {};
  }
  Result<TakeThreadControlResponse> takeThreadControl(const TakeThreadControlRequest& r) override {
    log("take " + r.recipient + " " + r.metadata);
    return TakeThreadControlResponse{};
  }
  Result<RequestDelivered> requestThreadControl(const RequestThreadControlRequest& r) override {
    log("request " + r.recipient + " " + r.metadata);
    return RequestDelivered{};
  }
  Result<void> releaseThreadControl(const ReleaseThreadControlRequest& r) override {
    log("release " + r.recipient);
    return {};
  }
  Result<void> extendThreadControl(const ExtendThreadControlRequest& r) override {
    log("extend " + r.recipient + " " + std::to_string(r.duration.count()));
    return {};
  }
  Result<ThreadOwner> getThreadOwner(const GetThreadOwnerRequest& r) override {
    log("owner " + r.recipient);
    return owner;
  }
  Result<SecondaryReceivers> getSecondaryReceivers(const GetSecondaryReceiversRequest&) override {
    return unexpected("secondary_receivers");
  }
  Result<MessagingFeatureStatus> getMessagingFeatureStatus(
      const GetMessagingFeatureStatusRequest&) override {
    return unexpected("feature_status");
  }
  Result<SendResponse> sendText(const SendTextRequest& r) override {
    log("send " + r.recipient + " " + r.text);
    return SendResponse{r.recipient, "m_sent"};
  }
  Result<SendResponse> sendSenderAction(const SendSenderActionRequest&) override {
    return unexpected("sender_action");
  }
  Result<Persona> createPersona(const CreatePersonaRequest&) override {
    return unexpected("persona");
  }
  Result<Persona> getPersona(const GetPersonaRequest&) override { return unexpected("persona"); }
  Result<PersonaPage> listPersonas(const ListPersonasRequest&) override {
    return unexpected("persona");
  }
  Result<void> deletePersona(const DeletePersonaRequest&) override { return unexpected("persona"); }
  const ClientOptions& options() const override { return options_; }

 private:
  void log(std::string s) {
    std::lock_guard<std::mutex> lock(mu_);
    calls.push_back(std::move(s));
  }
  Error unexpected(const std::string& what) {
    log("unexpected " + what);
    return handover::detail::invalidArgument("not scripted: " + what);
  }
  ClientOptions options_;
  std::mutex mu_;
};

struct Fake {
  std::shared_ptr<RecordingConnection> conn;
  Client client;
  explicit Fake(std::string app_id = kMyApp)
      : conn(std::make_shared<RecordingConnection>([&] {
          ClientOptions o;
          o.app_id = std::move(app_id);
          return o;
        }())),
        client(conn) {}
};

}  // namespace

TEST_CASE("handlers run per kind, in batch order, with the event's conversation") {
  Fake fake;
  std::vector<std::string> seen;
  Router router;
  router
      .onMessage([&](Context& ctx, const Message& m) {
        seen.push_back("message " + ctx.userId() + " " + m.text);
      })
      .onPassThreadControl([&](Context& ctx, const PassThreadControl& p) {
        seen.push_back("pass " + ctx.pageId() + " " + p.new_owner_app_id.value_or("?"));
      })
      .onTakeThreadControl(
          [&](Context&, const TakeThreadControl& t) { seen.push_back("take " + t.metadata); })
      .onRequestThreadControl([&](Context&, const RequestThreadControl& r) {
        seen.push_back("request " + r.requested_owner_app_id);
      })
      .onAppRoles([&](Context& ctx, const AppRoles& a) {
        seen.push_back("roles " + std::to_string(a.apps.size()) + " user=" + ctx.userId());
      });
  const auto report = router.dispatch(fixtureBatch("handover_mixed.json"), fake.client);
  CHECK(report.ok());
  CHECK(report.events == 6);
  CHECK(report.handled == 6);
  CHECK(seen == std::vector<std::string>{
                    "message 7000000000000001 agent please",
                    "pass 106500000000001 1517776481860111",
                    "take agent took over",
                    "request 263902037430900",
                    "roles 2 user=",
                    "pass 106500000000001 1517776481860111",
                });
  CHECK(fake.conn->calls.empty());
}

TEST_CASE("reactions, referrals, opt-ins and edits have typed routes") {
  Fake fake;
  std::vector<std::string> seen;
  Router router;
  router
      .onReaction([&](Context& ctx, const Reaction& r) {
        seen.push_back("reaction " + ctx.userId() + " " + r.mid + " " + r.reaction);
      })
      .onReferral([&](Context& ctx, const Referral& r) {
        seen.push_back("referral " + ctx.userId() + " " + r.source + " " + r.ref);
      })
      .onOptin([&](Context&, const Optin& o) { seen.push_back("optin " + o.ref + o.type); })
      .onMessageEdit([&](Context&, const MessageEdit& m) {
        seen.push_back("edit " + m.mid + " " + std::to_string(m.edit_count));
      })
      .onReaction([&](Context&, const Reaction& r) { seen.push_back("standby reaction " + r.mid); },
                  Source::kStandby);
  const auto report = router.dispatch(fixtureBatch("new_kinds.json"), fake.client);
  CHECK(report.ok());
  CHECK(report.handled == 9);
  CHECK(seen == std::vector<std::string>{
                    "reaction 7000000000000001 m_AGENT1 love",
                    "reaction 7000000000000001 m_AGENT1 love",
                    "referral 7000000000000002 SHORTLINK billing",
                    "referral 7000000000000003 ADS spring_sale",
                    "referral guest-4711 CUSTOMER_CHAT_PLUGIN support",
                    "optin checkout",
                    "optin notification_messages",
                    "edit m_USER5 2",
                    "standby reaction m_INBOX9",
                });
}

TEST_CASE("standby events reach only standby handlers and catch-alls") {
  Fake fake;
  std::vector<std::string> seen;
  Router router;
  router.onMessage([&](Context&, const Message& m) { seen.push_back("owner " + m.mid); });
  router.onMessage([&](Context&, const Message& m) { seen.push_back("sb-msg " + m.mid); },
                   Source::kStandby);
  router.onStandby([&](Context& ctx, const Event& e) {
    CHECK(ctx.isStandby());
    seen.push_back(std::string("standby ") + toString(e.kind()));
  });
  router.onAny([&](Context&, const Event& e) -> Result<void> {
    seen.push_back(std::string("any ") + toString(e.kind()));
    return {};
  });
  const auto report = router.dispatch(fixtureBatch("standby_second_entry.json"), fake.client);
  CHECK(report.ok());
  CHECK(seen == std::vector<std::string>{"owner m_X1", "any message", "sb-msg m_X2",
                                         "standby message", "any message"});
}

TEST_CASE("a throwing or failing handler is reported and the batch goes on") {
  Fake fake;
  std::vector<std::string> seen;
  std::vector<std::string> observed;
  Router router;
  router.onMessage([&](Context&, const Message& m) {
    if (m.mid == "m_T1") throw std::runtime_error("boom");
    seen.push_back(m.mid);
  });
  router.onMessage([&](Context&, const Message& m) -> Result<void> {
    if (m.mid == "m_T2") return handover::detail::invalidArgument("refused");
    seen.push_back("second " + m.mid);
    return {};
  });
  router.onMessage([&](Context&, const Message&) { throw 42; });
  router.onFailure([&](const DispatchFailure& f) { observed.push_back(f.message); });
  const auto report = router.dispatch(fixtureBatch("two_messaging_items.json"), fake.client);
  CHECK(seen == std::vector<std::string>{"second m_T1", "m_T2"});
  REQUIRE(report.failures.size() == 4);
  CHECK(report.failures[0].event_index == std::size_t{0});
  CHECK(report.failures[0].message.find("boom") != std::string::npos);
  CHECK(report.failures[1].event_index == std::size_t{0});
  CHECK(report.failures[2].event_index == std::size_t{1});
  CHECK(report.failures[2].message.find("refused") != std::string::npos);
  CHECK(report.failures[3].event_index == std::size_t{1});
  CHECK(observed.size() == 4);
}

TEST_CASE("unknown events and parse errors are surfaced, never dropped") {
  Fake fake;
  std::vector<std::string> raws;
  Router router;
  router.onUnknown([&](Context&, const Event& e) -> Result<void> {
    raws.push_back(e.get<Unknown>()->raw_json);
    return {};
  });
  auto report = router.dispatch(fixtureBatch("unknown_kinds.json"), fake.client);
  CHECK(raws.size() == 3);
  CHECK(report.unhandled == 1);  // the plain message: no handler registered
  report = router.dispatch(fixtureBatch("malformed_events.json"), fake.client);
  CHECK(report.failures.size() == 7);
  CHECK_FALSE(report.failures[0].event_index.has_value());
}

TEST_CASE("Context calls address the conversation's user, and IG passes to the IG inbox") {
  Fake fake;
  Router router;
  router.onMessage([&](Context& ctx, const Message& m) -> Result<void> {
    if (m.text != "hola") return {};
    if (auto r = ctx.passThreadControlToInbox("escalate"); !r) return r;
    if (auto r = ctx.passThreadControl("999", "to 999"); !r) return r;
    if (auto r = ctx.takeThreadControl("back"); !r) return std::move(r).error();
    if (auto r = ctx.requestThreadControl("please"); !r) return std::move(r).error();
    if (auto r = ctx.releaseThreadControl(); !r) return r;
    if (auto r = ctx.extendThreadControl(std::chrono::hours(2)); !r) return r;
    if (auto r = ctx.sendText("hello " + ctx.userId()); !r) return std::move(r).error();
    return {};
  });
  fake.conn->owner.app_id = kMyApp;
  router.onEcho([&](Context& ctx, const Echo&) {
    auto own = ctx.threadOwnership();
    REQUIRE(own);
    CHECK(*own == ThreadOwnership::kThisApp);
    CHECK(ctx.isOwnEcho());
  });
  auto report = router.dispatch(fixtureBatch("instagram_events.json"), fake.client);
  CHECK(report.ok());
  const std::string u = "6100000000000001";
  CHECK(fake.conn->calls == std::vector<std::string>{
                                "pass " + u + " 1217981644879628 escalate",
                                "pass " + u + " 999 to 999",
                                "take " + u + " back",
                                "request " + u + " please",
                                "release " + u,
                                "extend " + u + " 7200",
                                "send " + u + " hello " + u,
                                "owner " + u,
                            });
  fake.conn->calls.clear();
  report = router.dispatch(fixtureBatch("messenger_text.json"), fake.client);
  CHECK(fake.conn->calls.empty());  // "hello" is not "hola": the guard returned early
  // Messenger: the Page Inbox.
  Router inbox;
  inbox.onMessage([](Context& ctx, const Message&) { return ctx.passThreadControlToInbox(); });
  report = inbox.dispatch(fixtureBatch("messenger_text.json"), fake.client);
  CHECK(report.ok());
  CHECK(fake.conn->calls == std::vector<std::string>{"pass 7000000000000001 263902037430900 "});
  // The named inboxes mean the same on every platform, as on Client.
  fake.conn->calls.clear();
  Router named;
  named.onMessage([](Context& ctx, const Message&) -> Result<void> {
    if (auto r = ctx.passThreadControlToPageInbox("p"); !r) return r;
    return ctx.passThreadControlToInstagramInbox("i");
  });
  report = named.dispatch(fixtureBatch("instagram_events.json"), fake.client);
  CHECK(report.ok());
  REQUIRE(fake.conn->calls.size() >= 2);
  CHECK(fake.conn->calls[0] == "pass " + u + " 263902037430900 p");
  CHECK(fake.conn->calls[1] == "pass " + u + " 1217981644879628 i");
}

TEST_CASE("echoes of our app are told apart from a human's or another app's") {
  Fake fake;
  std::vector<std::string> seen;
  Router router;
  router.onEcho(
      [&](Context& ctx, const Echo& e) {
        seen.push_back(e.mid + (ctx.isOwnEcho() ? " own" : " other"));
      },
      Source::kAny);
  CHECK(router.dispatch(fixtureBatch("echoes.json"), fake.client).ok());
  CHECK(seen == std::vector<std::string>{"m_E1 own", "m_E2 other", "m_E3 other"});
  // Without a configured app id nothing is "ours", and threadOwnership says why.
  Fake anonymous("");
  seen.clear();
  Router r2;
  r2.onEcho([&](Context& ctx, const Echo& e) {
    seen.push_back(e.mid + (ctx.isOwnEcho() ? " own" : " other"));
    auto own = ctx.threadOwnership();
    REQUIRE_FALSE(own);
    CHECK(own.error().category == ErrorCategory::kInvalidArgument);
  });
  CHECK(r2.dispatch(fixtureBatch("echoes.json"), anonymous.client).ok());
  CHECK(seen == std::vector<std::string>{"m_E1 other", "m_E2 other"});
}

TEST_CASE("a client resolver picks the client per page - no client is reported") {
  Fake page1;
  Router router;
  std::vector<std::string> seen;
  router.onMessage(
      [&](Context& ctx, const Message& m) -> Result<void> {
        seen.push_back(m.mid);
        return ctx.passThreadControlToPageInbox();
      },
      Source::kAny);
  const auto report =
      router.dispatch(fixtureBatch("standby_second_entry.json"),
                      [&](const std::string& page, Platform) -> std::optional<Client> {
                        if (page == "106500000000001") return page1.client;
                        return std::nullopt;
                      });
  CHECK(seen == std::vector<std::string>{"m_X1"});
  REQUIRE(report.failures.size() == 1);
  CHECK(report.failures[0].message.find("106500000000002") != std::string::npos);
  CHECK(page1.conn->calls.size() == 1);
}

TEST_CASE("Context drives a real Client over loopback HTTP") {
  httplib::Server server;
  std::mutex mu;
  std::vector<std::string> hits;
  server.Post(R"(/v[0-9.]+/([^/]+)/pass_thread_control)",
              [&](const httplib::Request& req, httplib::Response& res) {
                std::lock_guard<std::mutex> lock(mu);
                hits.push_back(req.path + " " + req.body);
                res.set_content(R"({"success":true})", "application/json");
              });
  const int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread t([&] { server.listen_after_bind(); });
  ClientOptions o;
  o.access_token = "test-token";
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  o.retry.max_attempts = 1;
  Client client = handover::test::guarded(o);
  Router router;
  router.onMessage(
      [](Context& ctx, const Message&) { return ctx.passThreadControlToPageInbox("x"); });
  const auto report = router.dispatch(fixtureBatch("messenger_text.json"), client);
  server.stop();
  t.join();
  std::string failures;
  for (const auto& f : report.failures) failures += f.message + "\n";
  INFO(failures);  // scoped to the checks below, so a failure shows every message
  CHECK(report.ok());
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].find("/me/pass_thread_control") != std::string::npos);
  CHECK(hits[0].find("263902037430900") != std::string::npos);
  CHECK(hits[0].find("7000000000000001") != std::string::npos);
}

TEST_CASE("a throwing client resolver is reported once per event") {
  Router router;
  int ran = 0;
  router.onMessage([&](Context&, const Message&) { ++ran; });
  const ClientResolver throws = [](const std::string&,
                                   handover::Platform) -> std::optional<Client> {
    throw std::runtime_error("config store down");
  };
  const auto report = router.dispatch(fixtureBatch("messenger_text.json"), throws);
  CHECK(ran == 0);
  REQUIRE(report.failures.size() == report.events);
  CHECK(report.failures[0].message == "client resolver threw: config store down");
}
