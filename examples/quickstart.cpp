// Quick start: hand a Messenger conversation to the Page Inbox and read who owns it now.
//
// The Graph API here is handover's local Messenger Platform emulator, started in-process on a
// free loopback port. Against the real Graph API, drop the emulator and `base_url`; set only
// `PAGE_TOKEN` (and `APP_SECRET` when the app has "Require App Secret" on).

#include <cstdlib>
#include <iostream>
#include <string>

#include "handover/client/client.hpp"
#include "handover/emulator/emulator.hpp"

namespace {

// One Page under Conversation Routing with our bot as its default app.
constexpr const char* kWorld = R"({
  "pages": [{"id": "100000000000001", "name": "Quickstart Shop", "platform": "messenger",
             "era": "routing", "default_app_id": "500000000000001"}],
  "apps": [{"id": "500000000000001", "name": "Shop Bot",
            "page_access_token": "bot-page-token", "app_secret": "bot-app-secret",
            "require_appsecret_proof": true}]
})";

// An environment variable, or "" when it is not set (std::getenv returns null then).
std::string env(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once, at start
  return value != nullptr ? value : "";
}

}  // namespace

// The README's quick start is the two marked regions above main's end (tests/readme checks
// that README shows them exactly). Run it as `PAGE_TOKEN=bot-page-token quickstart`, and with
// `APP_SECRET=bot-app-secret`: the emulator's Page requires appsecret_proof, so without the
// secret the pass fails with a Graph error (exit 1), which is what a user would see.
int main(int argc, char** argv) {
  if (argc > 1) {
    const std::string a = argv[1];
    std::cout << "usage: quickstart\n"
                 "Passes a conversation to the Page Inbox, reads the owner and takes it back,\n"
                 "against an in-process emulator. Environment: PAGE_TOKEN (bot-page-token here),\n"
                 "APP_SECRET (bot-app-secret; this Page requires appsecret_proof).\n";
    return a == "--help" || a == "-h" ? EXIT_SUCCESS : 2;
  }
  auto emulator = handover::emulator::Emulator::fromJson(kWorld);
  if (!emulator || !(*emulator)->start("127.0.0.1", 0)) {
    std::cerr << "could not start the emulator\n";
    return EXIT_FAILURE;
  }

  // [readme:client]
  handover::ClientOptions options;
  options.access_token = env("PAGE_TOKEN");   // your Page access token (sent as a header)
  options.app_secret = env("APP_SECRET");     // optional: adds appsecret_proof to every call
  options.app_id = "500000000000001";         // yours: threadOwnership compares with it
  options.base_url = (*emulator)->baseUrl();  // omit for https://graph.facebook.com
  handover::Client client(options);           // copyable; share it across threads
  // [/readme:client]

  const std::string psid = "6543210987654321";  // the person's page-scoped id
  handover::emulator::UserMessage hello;
  hello.page_id = "100000000000001";
  hello.user_id = psid;
  hello.text = "I need a human";
  (*emulator)->sendUserMessage(hello).value();

  // [readme:calls]
  // The default app answers an idle thread; passing hands it to the humans of the Page Inbox.
  if (auto passed = client.passThreadControlToPageInbox(psid, "escalate:billing"); !passed) {
    if (passed.error().isNotThreadOwner()) std::cerr << "another app has the thread\n";
    std::cerr << passed.error().toString() << "\n";  // category, HTTP status, code, fbtrace_id
    return EXIT_FAILURE;
  }
  std::cout << "passed " << psid << " to the Page Inbox\n";

  // Conversation Routing shows the owner only to the owner and the default app (we are that).
  auto owner = client.getThreadOwner(psid);  // app_id when disclosed, expiration when given
  if (!owner) {
    std::cerr << "thread_owner failed: " << owner.error().toString() << "\n";
    return EXIT_FAILURE;
  }
  // [/readme:calls]
  std::cout << "thread owner: " << owner->app_id.value_or("not disclosed");
  if (owner->expiration) {
    std::cout << " until " << owner->expiration->time_since_epoch().count() << " (epoch s)";
  }
  std::cout << "\n";

  // Taking it back is the default app's right; an error here would say why (e.g. #27).
  if (auto taken = client.takeThreadControl(psid, "bot resumes"); !taken) {
    std::cerr << "take_thread_control failed: " << taken.error().toString() << "\n";
    return EXIT_FAILURE;
  }
  auto ownership = client.threadOwnership(psid);
  const bool mine = ownership && *ownership == handover::ThreadOwnership::kThisApp;
  std::cout << "bot owns the thread again: " << (mine ? "yes" : "no") << "\n";
  return owner->isOwnedBy(handover::kPageInboxAppId) && mine ? EXIT_SUCCESS : EXIT_FAILURE;
}
