// Quick start: hand a Messenger conversation to the Page Inbox and read who owns it now.
//
// Against the real Graph API, drop the stand-in server below and set only access_token (and
// app_secret if "Require App Secret" is on); base_url defaults to https://graph.facebook.com.

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "handover/client.hpp"

namespace {

// STAND-IN for the Graph API until the emulator exists: a loopback server that implements
// just the two calls used here, remembering who owns the one conversation.
class StandInGraph {
 public:
  StandInGraph() {
    server_.Post("/v26.0/me/pass_thread_control", [this](const httplib::Request& req,
                                                         httplib::Response& res) {
      // A real server parses the JSON; the stand-in only needs the target app id.
      const std::string key = R"("target_app_id":")";
      const auto at = req.body.find(key);
      std::lock_guard<std::mutex> lock(mutex_);
      owner_ = at == std::string::npos
                   ? std::string()
                   : req.body.substr(at + key.size(),
                                     req.body.find('"', at + key.size()) - at - key.size());
      res.set_content(R"({"success":true})", "application/json");
    });
    server_.Get("/v26.0/me/thread_owner", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      res.set_content(owner_.empty() ? R"({"data":[]})"
                                     : R"({"data":[{"thread_owner":{"app_id":")" + owner_ +
                                           R"(","expiration":1767225600}}]})",
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() only works once the accept loop runs.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~StandInGraph() {
    server_.stop();
    thread_.join();
  }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::string owner_;
};

}  // namespace

int main() {
  StandInGraph graph;

  handover::ClientOptions options;
  options.access_token = "EAAB-page-access-token";  // your Page access token
  options.app_secret = "your-app-secret";           // optional: adds appsecret_proof
  options.page_id = "me";                           // or the numeric Page id
  options.base_url = graph.baseUrl();               // omit for the real Graph API
  handover::Client client(options);

  const std::string psid = "6543210987654321";  // the person's page-scoped id
  if (auto passed = client.passThreadControlToPageInbox(psid, "escalate:billing"); !passed) {
    std::cerr << "pass_thread_control failed: " << passed.error().toString() << "\n";
    return 1;
  }
  std::cout << "passed " << psid << " to the Page Inbox\n";

  auto owner = client.getThreadOwner(psid);
  if (!owner) {
    std::cerr << "thread_owner failed: " << owner.error().toString() << "\n";
    return 1;
  }
  if (owner->app_id) {
    std::cout << "thread owner: app " << *owner->app_id;
    if (owner->expiration) std::cout << " until " << *owner->expiration;
    std::cout << "\n";
  } else {
    std::cout << "thread owner: not disclosed\n";
  }
  return owner->isOwnedBy(handover::kPageInboxAppId) ? EXIT_SUCCESS : EXIT_FAILURE;
}
