// One suite, two clients: every test here runs against `Client` (blocking attempts on
// CurlTransport) and `AsyncClient` (curl_multi), both talking to the same loopback server. The
// requests, answers, retry, deadline and error rules must be the same, call for call.

#include <chrono>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "both_clients_drivers.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {
namespace {

using namespace std::chrono_literals;

/// One call as the suite drives it: how to make it, and what must reach the server.
struct CallCase {
  std::string name;
  std::string method;
  std::string path;         ///< As the server decodes it.
  std::string body;         ///< Exact JSON body; empty for none.
  std::string query_field;  ///< A query parameter that must be present ("" for none)...
  std::string query_value;  ///< ...with this value.
  std::string answer;       ///< A 2xx body the call reads as a success.
};

const std::string kPage = "/v26.0/" + kPageId;

std::vector<CallCase> allCalls() {
  return {
      {"passThreadControl", "POST", kPage + "/pass_thread_control",
       R"({"recipient":{"id":"6543210987654321"},"target_app_id":"263902037430900","metadata":"m"})",
       "", "", R"({"success":true})"},
      {"takeThreadControl", "POST", kPage + "/take_thread_control",
       R"({"recipient":{"id":"6543210987654321"}})", "", "", R"({"success":true})"},
      {"requestThreadControl", "POST", kPage + "/request_thread_control",
       R"({"recipient":{"id":"6543210987654321"},"metadata":"please"})", "", "",
       R"({"success":true})"},
      {"releaseThreadControl", "POST", kPage + "/release_thread_control",
       R"({"recipient":{"id":"6543210987654321"}})", "", "", R"({"success":true})"},
      {"extendThreadControl", "POST", kPage + "/extend_thread_control",
       R"({"recipient":{"id":"6543210987654321"},"duration":3600})", "", "", R"({"success":true})"},
      {"getThreadOwner", "GET", kPage + "/thread_owner", "", "recipient", kPsid,
       R"({"data":[{"thread_owner":{"app_id":"42"}}]})"},
      {"getSecondaryReceivers", "GET", kPage + "/secondary_receivers", "", "fields", "id,name",
       R"({"data":[{"id":"1","name":"bot"}]})"},
      {"getMessagingFeatureStatus", "GET", kPage, "", "fields", "messaging_feature_status",
       R"({"messaging_feature_status":{"hop_v2":true,"conversation_routing":false},"id":"1"})"},
      {"sendText", "POST", kPage + "/messages",
       R"({"recipient":{"id":"6543210987654321"},"messaging_type":"RESPONSE","message":{"text":"hi"}})",
       "", "", R"({"recipient_id":"6543210987654321","message_id":"m_1"})"},
      {"sendSenderAction", "POST", kPage + "/messages",
       R"({"recipient":{"id":"6543210987654321"},"sender_action":"typing_on"})", "", "",
       R"({"recipient_id":"6543210987654321"})"},
      {"createPersona", "POST", kPage + "/personas",
       R"({"name":"Ann","profile_picture_url":"https://example.com/a.png"})", "", "",
       R"({"id":"9001"})"},
      {"getPersona", "GET", "/v26.0/9001", "", "fields", "id,name,profile_picture_url",
       R"({"id":"9001","name":"Ann","profile_picture_url":"https://example.com/a.png"})"},
      {"listPersonas", "GET", kPage + "/personas", "", "fields", "id,name,profile_picture_url",
       R"({"data":[{"id":"9001","name":"Ann","profile_picture_url":"u"}]})"},
      {"deletePersona", "DELETE", "/v26.0/9001", "", "", "", R"({"success":true})"},
      {"waPassThreadControl", "POST", "/v26.0/106540352242922/thread_control",
       R"({"messaging_product":"whatsapp","recipient":"US.13491208655302741","action":"pass",)"
       R"("metadata":"m","control_pass":{"target_role":"customer_service"}})",
       "", "", R"({"messaging_product":"whatsapp","request_id":"r1"})"},
      {"waTakeThreadControl", "POST", "/v26.0/106540352242922/thread_control",
       R"({"messaging_product":"whatsapp","to":"+15551234567","action":"take"})", "", "",
       R"({"messaging_product":"whatsapp"})"},
      {"waReleaseThreadControl", "POST", "/v26.0/106540352242922/thread_control",
       R"({"messaging_product":"whatsapp","to":"15551234567","action":"release","metadata":"bye"})",
       "", "", R"({"messaging_product":"whatsapp","request_id":"r2"})"},
      {"waSendText", "POST", "/v26.0/106540352242922/messages",
       R"({"messaging_product":"whatsapp","to":"15551234567","type":"text","text":{"body":"hi"}})",
       "", "",
       R"({"messaging_product":"whatsapp","contacts":[{"input":"15551234567","wa_id":"15551234567"}],)"
       R"("messages":[{"id":"wamid.1"}]})"},
  };
}

/// Makes the call named `name` through `driver`; "ok" or the error's text.
template <typename Driver>
std::string callByName(Driver& d, const std::string& name) {
  const auto text = [](const auto& r) { return r ? std::string("ok") : r.error().toString(); };
  CreatePersonaRequest create;
  create.name = "Ann";
  create.profile_picture_url = "https://example.com/a.png";
  SendTextRequest send;
  send.recipient = kPsid;
  send.text = "hi";
  SendSenderActionRequest action;
  action.recipient = kPsid;
  const GetSecondaryReceiversRequest receivers;  // a named value: GCC 12 ICEs on the temporary
  if (name == "passThreadControl")
    return text(d.call(PassThreadControlRequest{kPsid, std::string(kPageInboxAppId), "m"}));
  if (name == "takeThreadControl") return text(d.call(TakeThreadControlRequest{kPsid, ""}));
  if (name == "requestThreadControl")
    return text(d.call(RequestThreadControlRequest{kPsid, "please"}));
  if (name == "releaseThreadControl") return text(d.call(ReleaseThreadControlRequest{kPsid}));
  if (name == "extendThreadControl") return text(d.call(ExtendThreadControlRequest{kPsid, 1h}));
  if (name == "getThreadOwner") return text(d.call(GetThreadOwnerRequest{kPsid}));
  if (name == "getSecondaryReceivers") return text(d.call(receivers));
  if (name == "getMessagingFeatureStatus") return text(d.call(GetMessagingFeatureStatusRequest{}));
  if (name == "sendText") return text(d.call(send));
  if (name == "sendSenderAction") return text(d.call(action));
  if (name == "createPersona") return text(d.call(create));
  if (name == "getPersona") return text(d.call(GetPersonaRequest{"9001"}));
  if (name == "listPersonas") return text(d.call(ListPersonasRequest{}));
  if (name == "deletePersona") return text(d.call(DeletePersonaRequest{"9001"}));
  const std::string number = "106540352242922";
  if (name == "waPassThreadControl") {
    return text(d.call(
        wa::PassThreadControlRequest{number, wa::User::businessScoped("US.13491208655302741"),
                                     wa::Role::kCustomerService, "m"}));
  }
  if (name == "waTakeThreadControl")
    return text(d.call(wa::TakeThreadControlRequest{number, wa::User::phone("+15551234567"), ""}));
  if (name == "waReleaseThreadControl") {
    return text(
        d.call(wa::ReleaseThreadControlRequest{number, wa::User::phone("15551234567"), "bye"}));
  }
  if (name == "waSendText")
    return text(d.call(wa::SendTextRequest{number, wa::User::phone("15551234567"), "hi"}));
  FAIL("no such call in the test table: " << name);
  return "";
}

}  // namespace

TEMPLATE_TEST_CASE("both clients: every call sends the call table's request", "[both]", SyncDriver,
                   AsyncDriver) {
  RecordingServer server;
  TestType driver(baseOptions(server));
  const auto calls = allCalls();
  REQUIRE(calls.size() == 18);  // every line of HANDOVER_GRAPH_CALLS
  for (const auto& c : calls) {
    INFO(TestType::kName << " " << c.name);
    server.clear();
    server.enqueue(jsonResponse(200, c.answer));
    CHECK(callByName(driver, c.name) == "ok");
    REQUIRE(server.requestCount() == 1);
    const RecordedRequest req = server.last();
    CHECK(req.method == c.method);
    CHECK(req.path == c.path);
    CHECK(req.body == c.body);
    CHECK(req.header("Authorization") == "Bearer " + kToken);
    CHECK(req.header("Accept") == "application/json");
    CHECK(req.hasHeader("Content-Type") == !c.body.empty());
    if (!c.body.empty()) CHECK(req.header("Content-Type") == "application/json");
    CHECK(req.param("appsecret_proof") == expectedProof());
    if (!c.query_field.empty()) CHECK(req.param(c.query_field) == c.query_value);
    // The token travels only in the header.
    CHECK(req.target.find(kToken) == std::string::npos);
  }
}

TEMPLATE_TEST_CASE("both clients: typed answers read alike", "[both]", SyncDriver, AsyncDriver) {
  RecordingServer server;
  TestType d(baseOptions(server));
  server.enqueue(jsonResponse(200, R"({"data":[{"thread_owner":{"app_id":"42"}}]})"));
  auto owner = d.call(GetThreadOwnerRequest{kPsid});
  REQUIRE(owner);
  CHECK(owner->isOwnedBy("42"));
  CreatePersonaRequest create;
  create.name = "Ann";
  create.profile_picture_url = "https://example.com/a.png";
  server.enqueue(jsonResponse(200, R"({"id":"9001"})"));
  auto persona = d.call(create);
  REQUIRE(persona);
  CHECK(persona->id == "9001");
  CHECK(persona->name == "Ann");
  server.enqueue(
      jsonResponse(200, R"({"data":[{"id":"1","name":"a"},{"id":"2","name":"b"}],)"
                        R"("paging":{"cursors":{"after":"C2"},"next":"https://graph/next"}})"));
  auto page = d.call(ListPersonasRequest{});
  REQUIRE(page);
  CHECK(page->personas.size() == 2);
  CHECK(page->next_cursor == "C2");
}

TEMPLATE_TEST_CASE("both clients: invalid input and missing options send nothing", "[both]",
                   SyncDriver, AsyncDriver) {
  RecordingServer server;
  {
    TestType d(baseOptions(server));
    auto r = d.call(GetThreadOwnerRequest{""});
    REQUIRE(!r);
    CHECK(r.error().category == ErrorCategory::kInvalidArgument);
    auto extend = d.call(ExtendThreadControlRequest{kPsid, 0s});
    REQUIRE(!extend);
    CHECK(extend.error().category == ErrorCategory::kInvalidArgument);
    CHECK(!d.call(GetPersonaRequest{""}));
    CHECK(!d.call(DeletePersonaRequest{""}));
  }
  ClientOptions no_token = baseOptions(server);
  no_token.access_token.clear();
  TestType d(no_token);
  auto r = d.call(PassThreadControlRequest{kPsid, "1", ""});
  REQUIRE(!r);
  CHECK(r.error().category == ErrorCategory::kInvalidArgument);
  CHECK(r.error().message.find("access_token") != std::string::npos);
  CHECK(server.requestCount() == 0);
}

TEMPLATE_TEST_CASE("both clients: a GET is retried up to max_attempts, a sent POST never", "[both]",
                   SyncDriver, AsyncDriver) {
  RecordingServer server;
  server.setHandler([](const RecordedRequest&) {
    return jsonResponse(503, R"({"error":{"message":"busy","code":2,"is_transient":true}})");
  });
  ClientOptions o = baseOptions(server);
  o.retry.max_attempts = 3;
  TestType d(o);
  auto owner = d.call(GetThreadOwnerRequest{kPsid});
  REQUIRE(!owner);
  CHECK(owner.error().category == ErrorCategory::kApi);
  CHECK(owner.error().code == 2);
  CHECK(server.requestCount() == 3);
  server.clear();
  auto pass = d.call(PassThreadControlRequest{kPsid, "1", ""});
  REQUIRE(!pass);
  CHECK(pass.error().code == 2);
  CHECK(server.requestCount() == 1);
}

TEMPLATE_TEST_CASE("both clients: success after a transient failure", "[both]", SyncDriver,
                   AsyncDriver) {
  RecordingServer server;
  server.enqueue(jsonResponse(502, "<html>bad gateway</html>"));
  server.enqueue(jsonResponse(200, R"({"data":[{"thread_owner":{"app_id":"42"}}]})"));
  TestType d(baseOptions(server));
  auto owner = d.call(GetThreadOwnerRequest{kPsid});
  REQUIRE(owner);
  CHECK(owner->isOwnedBy("42"));
  CHECK(server.requestCount() == 2);
}

TEMPLATE_TEST_CASE("both clients: Retry-After is honoured as seconds and as an HTTP-date", "[both]",
                   SyncDriver, AsyncDriver) {
  RecordingServer server;
  TestType d(baseOptions(server));
  const auto timed = [&](const std::string& retry_after) {
    server.clear();
    server.enqueue(jsonResponse(503, "{}", {{"Retry-After", retry_after}}));
    server.enqueue(jsonResponse(200, R"({"data":[]})"));
    const auto start = std::chrono::steady_clock::now();
    CHECK(d.call(GetThreadOwnerRequest{kPsid}));
    CHECK(server.requestCount() == 2);
    return std::chrono::steady_clock::now() - start;
  };
  // Lower bounds only: the wait may be longer on a loaded machine, never shorter.
  CHECK(timed("1") >= 950ms);
  const std::time_t in_two = std::time(nullptr) + 2;
  char date[64];
  std::tm tm{};
  gmtime_r(&in_two, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  // Two whole seconds from a moment within the current second: more than one second from now.
  CHECK(timed(date) >= 950ms);
}

TEMPLATE_TEST_CASE("both clients: the deadline ends the call with kTimeout naming the cause",
                   "[both]", SyncDriver, AsyncDriver) {
  RecordingServer server;
  server.setHandler([](const RecordedRequest&) { return jsonResponse(503, "{}"); });
  ClientOptions o = baseOptions(server);
  o.deadline = 300ms;
  o.retry.max_attempts = 1000;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 20ms;
  o.clock.jitter = [](std::chrono::milliseconds bound) { return bound; };
  TestType d(o);
  auto r = d.call(GetThreadOwnerRequest{kPsid});
  REQUIRE(!r);
  // Either the deadline passed between attempts, or the next wait would have passed it.
  const bool timeout = r.error().category == ErrorCategory::kTimeout;
  const bool last_answer =
      r.error().category == ErrorCategory::kHttp && r.error().http_status == 503;
  CHECK((timeout || last_answer));
  CHECK(server.requestCount() < 1000);
  CHECK(server.requestCount() >= 2);
}

TEMPLATE_TEST_CASE("both clients: 2xx answers that are not successes are typed errors", "[both]",
                   SyncDriver, AsyncDriver) {
  RecordingServer server;
  TestType d(baseOptions(server));
  server.enqueue(jsonResponse(200, R"({"error":{"message":"wrapped","code":100}})"));
  auto wrapped = d.call(ReleaseThreadControlRequest{kPsid});
  REQUIRE(!wrapped);
  CHECK(wrapped.error().category == ErrorCategory::kApi);
  CHECK(wrapped.error().code == 100);
  server.enqueue(jsonResponse(200, "[1,2]"));
  auto array = d.call(ReleaseThreadControlRequest{kPsid});
  REQUIRE(!array);
  CHECK(array.error().category == ErrorCategory::kParse);
  server.enqueue(jsonResponse(200, "not json"));
  auto text = d.call(ReleaseThreadControlRequest{kPsid});
  REQUIRE(!text);
  CHECK(text.error().category == ErrorCategory::kParse);
  CHECK(text.error().message.find("POST /v26.0/" + kPageId + "/release_thread_control") !=
        std::string::npos);
  server.enqueue(jsonResponse(200, R"({"success":false})"));
  CHECK(!d.call(ReleaseThreadControlRequest{kPsid}));
}

TEMPLATE_TEST_CASE("both clients: a redirect is its own error, not followed, not retried", "[both]",
                   SyncDriver, AsyncDriver) {
  RecordingServer server;
  server.setHandler([](const RecordedRequest&) {
    return jsonResponse(302, "", {{"Location", "http://127.0.0.1:1/v26.0/me?access_token=x"}});
  });
  TestType d(baseOptions(server));
  auto r = d.call(GetThreadOwnerRequest{kPsid});
  REQUIRE(!r);
  CHECK(r.error().category == ErrorCategory::kRedirect);
  CHECK(r.error().http_status == 302);
  CHECK(r.error().code == 0);
  CHECK(r.error().message.find("access_token") == std::string::npos);
  CHECK(server.requestCount() == 1);
}

TEMPLATE_TEST_CASE("both clients: Graph errors keep every field, with no secret in them", "[both]",
                   SyncDriver, AsyncDriver) {
  RecordingServer server;
  TestType d(baseOptions(server));
  // A server that echoes the token and the proof back: the scrubber must remove both.
  server.enqueue(jsonResponse(
      400, R"({"error":{"message":"bad token )" + kToken + " proof " + expectedProof() +
               R"(","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"T1"}})"));
  auto r = d.call(GetThreadOwnerRequest{kPsid});
  REQUIRE(!r);
  CHECK(r.error().isInvalidToken());
  CHECK(r.error().subcode == 463);
  CHECK(r.error().fbtrace_id == "T1");
  CHECK(r.error().http_status == 400);
  CHECK(!containsSecret(r.error().toString()));
  CHECK(server.requestCount() == 1);  // 190 is never retried
}

TEMPLATE_TEST_CASE("both clients: a refused connection is retried as never sent", "[both]",
                   SyncDriver, AsyncDriver) {
  ClientOptions o;
  {
    RecordingServer gone;  // a port that was just ours and is closed now
    o = baseOptions(gone);
  }
  o.retry.max_attempts = 2;
  TestType d(o);
  auto r = d.call(PassThreadControlRequest{kPsid, "1", ""});
  REQUIRE(!r);
  CHECK(r.error().category == ErrorCategory::kTransport);
  CHECK(r.error().request_not_sent);
}

}  // namespace test
HANDOVER_END_NAMESPACE
