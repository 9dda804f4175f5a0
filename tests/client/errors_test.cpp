// Every error body of protocol.md §3 maps to the right category, fields and predicates.

#include <vector>

#include "client_test_support.hpp"
#include "recording_server.hpp"

using namespace handover;

namespace {

struct Case {
  const char* body;
  int status;
  int code;
  int subcode;
  bool (Error::*predicate)() const noexcept;  // must hold; nullptr: none checked
  bool rate_limited;
  bool retryable;
};

Error callWith(test::RecordingServer& server, Client& client, const Case& c) {
  server.enqueueJson(c.status, c.body);
  // A POST: never retried on these answers, so exactly one request per case.
  auto r = client.passThreadControlToPageInbox(test::kPsid);
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("the full Graph error envelope is kept field by field") {
  test::RecordingServer server;
  Client client = test::guardedClient(test::testOptions(server.baseUrl()));
  server.enqueueJson(
      400,
      R"({"error":{"message":"(#10) Message failed to send because another app is controlling this thread now.",
    "type":"OAuthException","code":10,"error_subcode":2018300,"error_user_title":"Cannot send",
    "error_user_msg":"Another app owns this conversation","fbtrace_id":"AQ2lKD7UqnvqCrMs16fUNLk",
    "is_transient":false}})");
  auto r = client.sendText(test::kPsid, "hello");
  REQUIRE_FALSE(r);
  const Error& e = r.error();
  CHECK(e.category == ErrorCategory::kApi);
  CHECK(e.http_status == 400);
  CHECK(e.code == 10);
  CHECK(e.subcode == 2018300);
  CHECK(e.type == "OAuthException");
  CHECK(e.message ==
        "(#10) Message failed to send because another app is controlling this thread now.");
  CHECK(e.user_title == "Cannot send");
  CHECK(e.user_message == "Another app owns this conversation");
  CHECK(e.fbtrace_id == "AQ2lKD7UqnvqCrMs16fUNLk");
  CHECK(e.is_transient == std::optional<bool>(false));
  CHECK(e.isAnotherAppControllingThread());
  CHECK_FALSE(e.isPermissionDenied());
  CHECK_FALSE(e.isRetryable());
  CHECK_THROWS_AS(r.value(), Exception);
  CHECK(server.requestCount() == 1);
}

TEST_CASE("protocol §3 error bodies map to categories and predicates") {
  test::RecordingServer server;
  Client client = test::guardedClient(test::testOptions(server.baseUrl()));
  using E = Error;
  const std::vector<Case> cases = {
      // §3.3 thread-control specific.
      {R"({"error":{"message":"(#10) Message failed to send because another app is controlling this thread now.","type":"OAuthException","code":10,"error_subcode":2018300}})",
       400, 10, 2018300, &E::isAnotherAppControllingThread, false, false},
      {R"({"error":{"message":"(#100) Denying visibility of any secondary receiver to another secondary receiver other than itself.","type":"OAuthException","code":100,"error_subcode":2018234}})",
       400, 100, 2018234, nullptr, false, false},
      {R"({"error":{"message":"Only available to Primary and Secondary Receivers.","type":"OAuthException","code":100,"error_subcode":2018171}})",
       400, 100, 2018171, nullptr, false, false},
      {R"({"error":{"message":"The chat is currently controlled by Messenger while the user is in an automated question and answer flow.","type":"OAuthException","code":10,"error_subcode":2018321}})",
       400, 10, 2018321, &E::isPermissionDenied, false, false},
      {R"({"error":{"message":"The action is invalid since it's not the thread owner.","type":"OAuthException","code":100,"error_subcode":2534037}})",
       400, 100, 2534037, &E::isNotThreadOwner, false, false},
      {R"({"error":{"message":"(#27) Take thread control is not supported when Conversation Routing is not enabled.","type":"OAuthException","code":27}})",
       400, 27, 0, &E::isTakeNotSupportedWithoutDefaultApp, false, false},
      {R"({"error":{"message":"(#100) Only the current thread owner can release","type":"OAuthException","code":100}})",
       400, 100, 0, &E::isNotThreadOwner, false, false},
      {R"({"error":{"message":"(#100) The calling app is not the thread owner","type":"OAuthException","code":100}})",
       400, 100, 0, &E::isNotThreadOwner, false, false},
      {R"({"error":{"message":"Handover Protocol APIs disabled for this page.","type":"OAuthException","code":100}})",
       400, 100, 0, &E::isHandoverProtocolDisabled, false, false},
      {R"({"error":{"message":"(#551) This person isn't available right now.","type":"OAuthException","code":551,"error_subcode":1545041}})",
       400, 551, 1545041, nullptr, false, false},
      {R"({"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100}})",
       400, 100, 0, nullptr, false, false},
      {R"({"error":{"message":"(#504) Invalid reply thread id","type":"OAuthException","code":504}})",
       400, 504, 0, nullptr, false, false},
      {R"({"error":{"message":"(#200) Permissions error","type":"OAuthException","code":200}})",
       403, 200, 0, &E::isPermissionDenied, false, false},
      {R"({"error":{"message":"Invalid OAuth 2.0 Access Token","type":"OAuthException","code":190,"error_subcode":463}})",
       401, 190, 463, &E::isInvalidToken, false, false},
      {R"({"error":{"message":"(#230) Permissions disallow message to user","type":"OAuthException","code":230}})",
       403, 230, 0, &E::isPermissionDenied, false, false},
      {R"({"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","type":"OAuthException","code":613}})",
       400, 613, 0, &E::isRateLimited, true, true},
      {R"({"error":{"message":"(#210) User not visible","type":"OAuthException","code":210}})", 400,
       210, 0, &E::isPermissionDenied, false, false},
      // §3.2 generic Graph codes.
      {R"({"error":{"message":"An unknown error has occurred.","type":"OAuthException","code":1}})",
       500, 1, 0, &E::isRetryable, false, true},
      {R"({"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","code":2,"is_transient":true}})",
       503, 2, 0, &E::isRetryable, false, true},
      {R"({"error":{"message":"(#3) Application does not have the capability","type":"OAuthException","code":3}})",
       400, 3, 0, nullptr, false, false},
      {R"({"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"is_transient":true}})",
       400, 4, 0, &E::isRateLimited, true, true},
      {R"({"error":{"message":"(#10) Application does not have permission for this action","type":"OAuthException","code":10}})",
       403, 10, 0, &E::isPermissionDenied, false, false},
      {R"({"error":{"message":"(#17) User request limit reached","type":"OAuthException","code":17,"error_subcode":2446079}})",
       400, 17, 2446079, &E::isRateLimited, true, true},
      {R"({"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32}})",
       400, 32, 0, &E::isRateLimited, true, true},
      {R"({"error":{"message":"API Session","type":"OAuthException","code":102}})", 400, 102, 0,
       nullptr, false, false},
      {R"({"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":467}})",
       400, 190, 467, &E::isInvalidToken, false, false},
      {R"({"error":{"message":"The user must be an administrator of the page","type":"OAuthException","code":190,"error_subcode":492}})",
       400, 190, 492, &E::isInvalidToken, false, false},
      {R"({"error":{"message":"(#341) Application limit reached","type":"OAuthException","code":341}})",
       400, 341, 0, &E::isRateLimited, true, true},
      {R"({"error":{"message":"(#368) The action attempted has been deemed abusive or is otherwise disallowed","type":"OAuthException","code":368}})",
       400, 368, 0, nullptr, false, false},
      {R"({"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","type":"OAuthException","code":613,"error_subcode":1996}})",
       400, 613, 1996, &E::isRateLimited, true, true},
      {R"({"error":{"message":"(#80001) There have been too many calls to this Page account.","type":"OAuthException","code":80001}})",
       400, 80001, 0, &E::isRateLimited, true, true},
      {R"({"error":{"message":"(#80006) There have been too many messenger api calls to this Page account.","type":"OAuthException","code":80006}})",
       400, 80006, 0, &E::isRateLimited, true, true},
      {R"({"error":{"message":"(#80002) There have been too many calls to this Instagram account.","type":"OAuthException","code":80002}})",
       400, 80002, 0, &E::isRateLimited, true, true},
      // §3.3 Messenger codes met around handover.
      {R"({"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2534022}})",
       400, 10, 2534022, &E::isPermissionDenied, false, false},
      {R"({"error":{"message":"(#10) Outside of allowed window","type":"OAuthException","code":10,"error_subcode":2018278}})",
       400, 10, 2018278, &E::isPermissionDenied, false, false},
      {R"({"error":{"message":"(#10) This person cannot receive messages","type":"OAuthException","code":10,"error_subcode":2018108}})",
       400, 10, 2018108, &E::isPermissionDenied, false, false},
      {R"({"error":{"message":"(#613) Too many send requests","type":"OAuthException","code":613,"error_subcode":2534040}})",
       400, 613, 2534040, &E::isRateLimited, true, true},
      {R"({"error":{"message":"(#10) Page temporarily restricted","type":"OAuthException","code":10,"error_subcode":1893063}})",
       400, 10, 1893063, &E::isPermissionDenied, false, false},
      {R"({"error":{"message":"(#100) No matching user found","type":"OAuthException","code":100,"error_subcode":2018001}})",
       400, 100, 2018001, nullptr, false, false},
      {R"({"error":{"message":"(#100) Incorrect App ID","type":"OAuthException","code":100,"error_subcode":2018164}})",
       400, 100, 2018164, nullptr, false, false},
      {R"({"error":{"message":"(#200) The app is not live","type":"OAuthException","code":200,"error_subcode":2018028}})",
       400, 200, 2018028, &E::isPermissionDenied, false, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    const Error e = callWith(server, client, c);
    CHECK(e.category == ErrorCategory::kApi);
    CHECK(e.http_status == c.status);
    CHECK(e.code == c.code);
    CHECK(e.subcode == c.subcode);
    CHECK(e.type == "OAuthException");
    if (c.predicate != nullptr) CHECK((e.*c.predicate)());
    CHECK(e.isRateLimited() == c.rate_limited);
    CHECK(e.isRetryable() == c.retryable);
    // Predicates users branch on do not overlap where they must not.
    if (e.isInvalidToken()) CHECK_FALSE(e.isRetryable());
    if (e.isAnotherAppControllingThread()) CHECK_FALSE(e.isPermissionDenied());
    CHECK_FALSE(e.message.empty());
  }
  CHECK(server.requestCount() == cases.size());
}

TEST_CASE("HTTP errors without a Graph body are kHttp - 429 is rate limited") {
  test::RecordingServer server;
  auto options = test::testOptions(server.baseUrl());
  options.retry.max_attempts = 1;
  Client client = test::guardedClient(options);

  test::ScriptedResponse html;
  html.status = 502;
  html.content_type = "text/html";
  html.body = "<html><body><h1>502 Bad Gateway</h1></body></html>";
  server.enqueue(html);
  auto bad_gateway = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(bad_gateway);
  CHECK(bad_gateway.error().category == ErrorCategory::kHttp);
  CHECK(bad_gateway.error().http_status == 502);
  CHECK(bad_gateway.error().isRetryable());

  server.enqueueJson(429, R"({"message":"slow down"})", {{"Retry-After", "3"}});
  auto throttled = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(throttled);
  CHECK(throttled.error().category == ErrorCategory::kHttp);
  CHECK(throttled.error().isRateLimited());
  CHECK(throttled.error().retry_after == std::optional<std::chrono::milliseconds>(3000));

  server.enqueueJson(404, "");
  auto missing = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().category == ErrorCategory::kHttp);
  CHECK_FALSE(missing.error().isRetryable());
}

TEST_CASE("X-Business-Use-Case-Usage gives the time to regain access") {
  test::RecordingServer server;
  auto options = test::testOptions(server.baseUrl());
  options.retry.max_attempts = 1;
  Client client = test::guardedClient(options);
  server.enqueueJson(
      400,
      R"({"error":{"message":"(#80006) There have been too many messenger api calls","type":"OAuthException","code":80006}})",
      {{"X-Business-Use-Case-Usage",
        R"({"112233445566778":[{"type":"messenger","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":7},{"type":"pages","call_count":50,"estimated_time_to_regain_access":2}]})"}});
  auto r = client.getThreadOwner(test::kPsid);
  REQUIRE_FALSE(r);
  CHECK(r.error().isRateLimited());
  CHECK(r.error().retry_after == std::optional<std::chrono::milliseconds>(7 * 60 * 1000));
}
