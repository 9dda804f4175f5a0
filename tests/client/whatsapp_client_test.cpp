// WhatsApp Conversation Routing calls on both clients, against loopback servers: the exact
// bodies, every local refusal (nothing reaches the server), the typed answers, the error
// predicates, and the rule that a `thread_control` POST is never sent twice.

#include <atomic>
#include <string>

#include "both_clients_drivers.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace test {
namespace {

const std::string kNumber = "106540352242922";
const std::string kPath = "/v26.0/" + kNumber + "/thread_control";

wa::PassThreadControlRequest pass(wa::User user, std::optional<wa::RoleName> role = {},
                                  std::string metadata = {}) {
  return wa::PassThreadControlRequest{kNumber, std::move(user), std::move(role),
                                      std::move(metadata)};
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("whatsapp: thread_control bodies as Meta documents them", "[whatsapp]",
                   SyncDriver, AsyncDriver) {
  RecordingServer server;
  TestType d(baseOptions(server));
  const std::string product = R"({"messaging_product":"whatsapp",)";
  SECTION("an untargeted pass sends no control_pass") {
    REQUIRE(d.call(pass(wa::User::phone("15551234567"))));
    CHECK(server.last().path == kPath);
    CHECK(server.last().body == product + R"("to":"15551234567","action":"pass"})");
  }
  SECTION("a role Meta added after this version is sent verbatim") {
    REQUIRE(d.call(pass(wa::User::phone("15551234567"), wa::RoleName::fromWire("sales_lead"))));
    CHECK(server.last().body == product + R"("to":"15551234567","action":"pass",)" +
                                    R"("control_pass":{"target_role":"sales_lead"}})");
  }
  SECTION("the parent BSUID form and a + on the phone are kept") {
    REQUIRE(d.call(pass(wa::User::businessScoped("US.ENT.abc123"), wa::Role::kEscalation)));
    CHECK(server.last().body.find(R"("recipient":"US.ENT.abc123")") != std::string::npos);
    REQUIRE(d.call(wa::TakeThreadControlRequest{kNumber, wa::User::phone("+4915112345678"), ""}));
    CHECK(server.last().body == product + R"("to":"+4915112345678","action":"take"})");
  }
  SECTION("2000 characters of metadata pass, counted as code points, not bytes") {
    const std::string two_byte = repeat("\xC3\xA9", 2000);  // 2000 x U+00E9, 4000 bytes
    REQUIRE(d.call(pass(wa::User::phone("1"), {}, two_byte)));
    CHECK(server.last().body.find(two_byte) != std::string::npos);
  }
}

TEMPLATE_TEST_CASE("whatsapp: invalid input is refused before anything is sent", "[whatsapp]",
                   SyncDriver, AsyncDriver) {
  RecordingServer server;
  TestType d(baseOptions(server));
  const auto refused = [&](const auto& result, const std::string& says) {
    REQUIRE_FALSE(result);
    CHECK(result.error().category == ErrorCategory::kInvalidArgument);
    CHECK(result.error().message.find(says) != std::string::npos);
  };
  refused(d.call(pass(wa::User())), "`to`");
  refused(d.call(pass(wa::User::phone("+"))), "`to`");
  refused(d.call(pass(wa::User::phone("555-1234"))), "`to`");
  refused(d.call(pass(wa::User::businessScoped("us.123"))), "`recipient`");
  refused(d.call(pass(wa::User::businessScoped("US.ENT."))), "`recipient`");
  refused(d.call(pass(wa::User::businessScoped("US." + std::string(129, 'a')))), "`recipient`");
  refused(d.call(pass(wa::User::phone("1"), {}, std::string(2001, 'x'))), "2001 characters");
  refused(d.call(pass(wa::User::phone("1"), {}, "bad \xFF utf-8")), "UTF-8");
  refused(d.call(pass(wa::User::phone("1"), wa::RoleName::fromWire("Sales"))), "lowercase");
  refused(d.call(pass(wa::User::phone("1"), wa::RoleName::fromWire(""))), "lowercase");
  refused(d.call(wa::TakeThreadControlRequest{"", wa::User::phone("1"), ""}), "phone_number_id");
  refused(d.call(wa::ReleaseThreadControlRequest{"12a", wa::User::phone("1"), ""}),
          "phone_number_id");
  refused(d.call(wa::SendTextRequest{kNumber, wa::User::phone("1"), ""}), "text is empty");
  CHECK(server.requestCount() == 0);
}

TEMPLATE_TEST_CASE("whatsapp: answers are typed, request_id optional", "[whatsapp]", SyncDriver,
                   AsyncDriver) {
  RecordingServer server;
  TestType d(baseOptions(server));
  server.enqueue(jsonResponse(200, R"({"messaging_product":"whatsapp","request_id":"abc"})"));
  auto with_id = d.call(pass(wa::User::phone("1")));
  REQUIRE(with_id);
  CHECK(with_id->request_id == std::optional<std::string>("abc"));
  server.enqueue(jsonResponse(200, R"({"messaging_product":"whatsapp"})"));
  auto without = d.call(wa::ReleaseThreadControlRequest{kNumber, wa::User::phone("1"), ""});
  REQUIRE(without);
  CHECK_FALSE(without->request_id);
  // Any 2xx JSON object is a success: the call was made and must not be made again.
  server.enqueue(jsonResponse(200, R"({"request_id":7})"));
  auto number = d.call(pass(wa::User::phone("1")));
  REQUIRE(number);
  CHECK(number->request_id == std::optional<std::string>("7"));
  server.enqueue(jsonResponse(200, R"({"request_id":{"x":1},"success":false})"));
  auto odd = d.call(pass(wa::User::phone("1")));
  REQUIRE(odd);
  CHECK_FALSE(odd->request_id);
  server.enqueue(jsonResponse(200, R"({"error":{"message":"wrapped","code":100}})"));
  CHECK_FALSE(d.call(pass(wa::User::phone("1"))));
  server.enqueue(jsonResponse(200, R"({"messaging_product":"whatsapp","contacts":[{"wa_id":"1"}],)"
                                   R"("messages":[{"id":"wamid.HBgL"}]})"));
  auto sent = d.call(wa::SendTextRequest{kNumber, wa::User::phone("1"), "hi"});
  REQUIRE(sent);
  CHECK(sent->message_id == "wamid.HBgL");
  CHECK(sent->wa_id == "1");
  server.enqueue(jsonResponse(200, R"({"messaging_product":"whatsapp","messages":[]})"));
  CHECK_FALSE(d.call(wa::SendTextRequest{kNumber, wa::User::phone("1"), "hi"}));
}

TEMPLATE_TEST_CASE("whatsapp: take-not-permitted and not-the-call-primary have predicates",
                   "[whatsapp]", SyncDriver, AsyncDriver) {
  RecordingServer server;
  TestType d(baseOptions(server));
  server.enqueue(jsonResponse(400, R"({"error":{"message":"(#100) Take thread control not )"
                                   R"(permitted","type":"OAuthException","code":100,)"
                                   R"("error_subcode":2494191,"fbtrace_id":"T"}})"));
  auto take = d.call(wa::TakeThreadControlRequest{kNumber, wa::User::phone("1"), ""});
  REQUIRE_FALSE(take);
  CHECK(take.error().isTakeNotPermitted());
  CHECK_FALSE(take.error().isNotCallPrimary());
  server.enqueue(jsonResponse(400, R"({"error":{"message":"x","code":2494191}})"));
  auto as_code = d.call(wa::TakeThreadControlRequest{kNumber, wa::User::phone("1"), ""});
  REQUIRE_FALSE(as_code);
  CHECK(as_code.error().isTakeNotPermitted());
  server.enqueue(jsonResponse(400, R"({"error":{"message":"not primary","code":138038}})"));
  auto call = d.call(pass(wa::User::phone("1")));
  REQUIRE_FALSE(call);
  CHECK(call.error().isNotCallPrimary());
  CHECK_FALSE(call.error().isTakeNotPermitted());
}

TEMPLATE_TEST_CASE("whatsapp: a thread_control that may have reached the server is never resent",
                   "[whatsapp]", SyncDriver, AsyncDriver) {
  ClientOptions o;
  std::atomic<int> retries{0};
  const auto counting = [&](ClientOptions options) {
    options.retry.max_attempts = 3;
    options.retry.retry_non_idempotent = true;  // even then
    options.clock.jitter = [&retries](std::chrono::milliseconds) {
      ++retries;
      return std::chrono::milliseconds(1);
    };
    return options;
  };
  SECTION("a 5xx answer") {
    RecordingServer server;
    server.setHandler([](const RecordedRequest&) {
      return jsonResponse(503, R"({"error":{"message":"busy","code":2,"is_transient":true}})");
    });
    TestType d(counting(baseOptions(server)));
    REQUIRE_FALSE(d.call(pass(wa::User::phone("1"))));
    CHECK(server.requestCount() == 1);
    // The text send follows the ordinary POST rule, here opted in to retries.
    server.clear();
    REQUIRE_FALSE(d.call(wa::SendTextRequest{kNumber, wa::User::phone("1"), "hi"}));
    CHECK(server.requestCount() == 3);
  }
  SECTION("a server that closes after reading the request") {
    std::atomic<int> requests{0};
    RawServer server([&requests](int, const std::string& request) {
      if (request.find("thread_control") != std::string::npos) ++requests;
      return true;  // closes without a byte of answer
    });
    RecordingServer for_options;
    ClientOptions options = baseOptions(for_options);
    options.base_url = server.baseUrl();
    TestType d(counting(options));
    auto r = d.call(wa::TakeThreadControlRequest{kNumber, wa::User::phone("1"), ""});
    REQUIRE_FALSE(r);
    CHECK(r.error().category == ErrorCategory::kTransport);
    CHECK_FALSE(r.error().request_not_sent);
    CHECK(server.connections() == 1);
    CHECK(requests == 1);
    CHECK(retries == 0);
  }
  SECTION("a connection that was never made is retried") {
    {
      RecordingServer gone;  // a port that was just ours and is closed now
      o = counting(baseOptions(gone));
    }
    TestType d(o);
    auto r = d.call(pass(wa::User::phone("1")));
    REQUIRE_FALSE(r);
    CHECK(r.error().request_not_sent);
    CHECK(retries == 2);
  }
}

TEST_CASE("whatsapp: a user id picks its key", "[whatsapp]") {
  CHECK(wa::User::fromId("+15551234567")->field() == wa::UserField::kTo);
  CHECK(wa::User::fromId("15551234567")->id() == "15551234567");
  CHECK(wa::User::fromId("US.13491208655302741")->field() == wa::UserField::kRecipient);
  CHECK(wa::User::fromId("BR.ENT.Xy9")->wireKey() == std::string("recipient"));
  CHECK_FALSE(wa::User::fromId("US.ENT."));
  CHECK_FALSE(wa::User::fromId("hello"));
  CHECK_FALSE(wa::User::fromId(""));
  CHECK_FALSE(wa::User::fromId("+"));
  CHECK(wa::roleFromWire("ctwa") == wa::Role::kCtwa);
  CHECK_FALSE(wa::roleFromWire("business"));
  CHECK(wa::RoleName::fromWire("ai_agent").known() == wa::Role::kAiAgent);
  CHECK_FALSE(wa::RoleName::fromWire("business").known());
  // A role is typed: no string converts to one implicitly.
  static_assert(!std::is_convertible_v<const char*, wa::RoleName>);
  static_assert(!std::is_convertible_v<std::string, wa::RoleName>);
  static_assert(std::is_convertible_v<wa::Role, wa::RoleName>);
}

}  // namespace test
HANDOVER_END_NAMESPACE
