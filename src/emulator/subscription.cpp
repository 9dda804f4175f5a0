#include "subscription.hpp"

#include <httplib.h>

#include <random>

HANDOVER_BEGIN_NAMESPACE
namespace emulator::detail {

const char* toString(Subscription s) {
  switch (s) {
    case Subscription::kNoHandshake:
      return "no_handshake";
    case Subscription::kPending:
      return "pending";
    case Subscription::kVerified:
      return "verified";
    case Subscription::kRefused:
      return "refused";
  }
  return "pending";
}

HandshakeRecord verifySubscription(const std::string& app_id, const std::string& url,
                                   const std::string& verify_token,
                                   std::chrono::milliseconds timeout) {
  HandshakeRecord rec;
  rec.app_id = app_id;
  rec.url = url;
  // protocol.md §4.1: the challenge is an integer; a fresh one each time, so a server that
  // answers a fixed text cannot pass.
  std::random_device rd;
  const std::string challenge = std::to_string((static_cast<std::uint64_t>(rd()) << 20) ^ rd());
  const auto [host, path] = splitUrl(url);
  httplib::Client client(host);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  const httplib::Params params{
      {"hub.mode", "subscribe"}, {"hub.verify_token", verify_token}, {"hub.challenge", challenge}};
  const auto sent_at = std::chrono::steady_clock::now();
  auto res = client.Get(path, params, httplib::Headers{});
  rec.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - sent_at);
  if (!res) {
    rec.result = Subscription::kPending;
    rec.error = "no answer to the verification GET (" + httplib::to_string(res.error()) +
                "): is the app's server running at its webhook_url?";
    return rec;
  }
  rec.status = res->status;
  if (res->status == 200 && res->body == challenge) {
    rec.result = Subscription::kVerified;
    return rec;
  }
  rec.result = Subscription::kRefused;
  rec.error = res->status == 200
                  ? "answered 200 without echoing hub.challenge as the whole body"
                  : "answered " + std::to_string(res->status) +
                        " to the verification GET: does the app expect the verify_token the "
                        "emulator's config gives it?";
  return rec;
}

}  // namespace emulator::detail
HANDOVER_END_NAMESPACE
