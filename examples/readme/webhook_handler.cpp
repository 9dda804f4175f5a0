// README "Webhooks": one complete POST handler, independent of any HTTP framework, run here on
// the README's sample body with a real signature. tests/readme checks that README shows the
// marked regions exactly, and CTest runs this file's main.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "handover/testing/fake_connection.hpp"
// [readme:handler]
#include "handover/client/client.hpp"
#include "handover/webhook/parser.hpp"
#include "handover/webhook/router.hpp"
#include "handover/webhook/signature.hpp"

using namespace handover::webhook;

// One POST to your webhook URL: the raw body bytes exactly as received (never re-serialised
// JSON) and every header, repeated ones included. Returns the HTTP status to answer.
int onWebhookPost(const std::string& raw_body, const handover::HttpHeaders& headers,
                  const std::string& app_secret, const Router& router,
                  const handover::Client& client) {
  // Result<SignatureAlgorithm>: the header that matched, or a kSignature error saying why not
  // (missing, duplicated, malformed, wrong length, mismatch); it never holds the secret.
  if (auto signature = verifySignature(raw_body, headers, app_secret); !signature) {
    std::cerr << signature.error().message << "\n";
    return 403;
  }
  auto batch = parse(raw_body);  // Result<Batch>: every event of every entry
  if (!batch) {
    std::cerr << batch.error().toString() << "\n";  // the reason and its byte offset
    return 400;
  }
  // A real server answers 200 here and dispatches on a worker thread: Meta wants the answer
  // within seconds (webhook::Endpoint, above, does that part for you).
  const DispatchReport report = router.dispatch(*batch, client);
  // report.events, .handled, .unhandled; .failures: handler errors and unreadable events.
  for (const DispatchFailure& failure : report.failures) std::cerr << failure.message << "\n";
  return 200;
}
// [/readme:handler]

// [readme:sample]
// A sample body: one message from a user to a Page (tests/fixtures/webhooks/ has more).
const std::string kSampleBody =
    R"({"object":"page","entry":[{"id":"106500000000001","time":1763770000000,"messaging":[)"
    R"({"sender":{"id":"7000000000000001"},"recipient":{"id":"106500000000001"},)"
    R"("timestamp":1763769999900,"message":{"mid":"m_1","text":"human please"}}]}]})";
// [/readme:sample]

int main(int argc, char** argv) {
  if (argc > 1) {
    std::cout << "usage: readme_webhook_handler\nREADME's webhook POST handler, run on the sample "
                 "body (no options).\n";
    return std::string(argv[1]) == "--help" ? EXIT_SUCCESS : 2;
  }
  const std::string secret = "readme-app-secret";
  // [readme:router]
  Router router;
  router.onMessage([](Context& ctx, const Message& m) -> handover::Result<void> {
    if (m.text == "human please") return ctx.passThreadControlToInbox("escalate");
    return {};
  });
  // [/readme:router]

  // The Graph API is a fake here, so the example runs offline; it records what was called.
  auto fake = std::make_shared<handover::testing::FakeConnection>();
  fake->on_pass_thread_control = [](const handover::PassThreadControlRequest& r) {
    return r.target_app_id == handover::kPageInboxAppId
               ? handover::Result<void>{}
               : handover::Result<void>{handover::Error::make(
                     handover::ErrorCategory::kInvalidArgument, "unexpected target")};
  };
  const handover::Client client(fake);

  const handover::HttpHeaders headers = {
      {"Content-Type", "application/json"},
      {"X-Hub-Signature-256", signatureHeaderValue(kSampleBody, secret)}};
  const int signed_status = onWebhookPost(kSampleBody, headers, secret, router, client);
  const int forged_status = onWebhookPost(kSampleBody, {}, secret, router, client);
  const int broken_status = onWebhookPost(
      "{", {{"X-Hub-Signature-256", signatureHeaderValue("{", secret)}}, secret, router, client);
  std::cout << "signed: " << signed_status << ", unsigned: " << forged_status
            << ", unparsable: " << broken_status
            << ", passes: " << fake->callCount("passThreadControl") << "\n";
  const bool ok = signed_status == 200 && forged_status == 403 && broken_status == 400 &&
                  fake->callCount("passThreadControl") == 1;
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
