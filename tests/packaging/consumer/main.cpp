// A tiny program written the way a user of the installed SDK would write it. The packaging
// tests build it against handover consumed four ways (find_package, add_subdirectory,
// FetchContent, pkg-config) and run it: it must link libcrypto through the package and reach
// the client's request building and response parsing, not just compile.
#include <handover/client/client.hpp>
#include <handover/core/http_transport.hpp>
#include <handover/core/version.hpp>
#include <handover/webhook/signature.hpp>

#include <cstdio>
#include <memory>
#include <string>

#ifndef HANDOVER_EXPECTED_VERSION
#error "HANDOVER_EXPECTED_VERSION must be defined by the build (the project's version)"
#endif

namespace {

// Answers every request with Graph's `thread_owner` shape and remembers the URL it was sent to.
class CannedTransport final : public handover::HttpTransport {
 public:
  handover::Result<handover::HttpResponse> send(const handover::HttpRequest& request) override {
    last_url = request.url;
    handover::HttpResponse response;
    response.status = 200;
    response.headers = {{"Content-Type", "application/json; charset=UTF-8"}};
    response.body = R"({"data":[{"thread_owner":{"app_id":"263902037430900"}}]})";
    return response;
  }
  std::string last_url;
};

int fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "consumer FAILED: %s: %s\n", what, detail.c_str());
  return 1;
}

}  // namespace

int main() {
  if (std::string(HANDOVER_VERSION_STRING) != HANDOVER_EXPECTED_VERSION) {
    return fail("version.hpp disagrees with the project version", HANDOVER_VERSION_STRING);
  }

  // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
  const std::string signature =
      handover::webhook::signatureHeaderValue("what do ya want for nothing?", "Jefe");
  if (signature != "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") {
    return fail("signatureHeaderValue", signature);
  }

  auto transport = std::make_shared<CannedTransport>();
  handover::ClientOptions options;
  options.access_token = "consumer-token";
  options.app_id = std::string(handover::kPageInboxAppId);
  options.page_id = "1234567890";
  options.transport = transport;
  const handover::Client client(options);
  handover::Client copy = client;  // copies share one connection

  const auto owner = copy.getThreadOwner("6543210987654321");
  if (!owner) return fail("getThreadOwner", owner.error().toString());
  if (!owner->isOwnedBy(handover::kPageInboxAppId)) {
    return fail("getThreadOwner parsed owner", owner->app_id.value_or("<none>"));
  }
  if (transport->last_url.find("/1234567890/thread_owner") == std::string::npos ||
      transport->last_url.find("recipient=6543210987654321") == std::string::npos) {
    // The path only: the query holds the appsecret_proof.
    return fail("request URL", transport->last_url.substr(0, transport->last_url.find('?')));
  }
  const auto mine = copy.threadOwnership("6543210987654321");
  if (!mine) return fail("threadOwnership", mine.error().toString());
  if (*mine != handover::ThreadOwnership::kThisApp) return fail("threadOwnership", toString(*mine));

  std::printf("consumer ok: handover %s (%d)\n", HANDOVER_VERSION_STRING, HANDOVER_VERSION);
  return 0;
}
