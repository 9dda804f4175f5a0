#pragma once
// A webhook endpoint for emulator tests: a real loopback HTTP server whose POSTs go through the
// SDK's `webhook::Endpoint` (signature, parse, queue, dispatch), with de-duplication off so that
// every event the emulator delivered is recorded, redeliveries included. What stays here is the
// instrument: switches that make the app down or slow, and what it counts.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "handover/client/client.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/endpoint/httplib_adapter.hpp"
#include "handover/testing/fake_connection.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::testing {

class WebhookReceiver {
 public:
  /// `port` 0: any free port. With a `verify_token` it answers Meta's verification GET the way
  /// the endpoint does (200 with the challenge for that token, else 403).
  explicit WebhookReceiver(std::string app_secret, int port = 0, std::string verify_token = {})
      : endpoint_(endpointOptions(std::move(app_secret), std::move(verify_token)),
                  recordingRouter(),
                  Client(std::make_shared<handover::testing::FakeConnection>())) {
    server_.set_tcp_nodelay(true);
    server_.Get("/webhook", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++gets_;
      }
      webhook::detail::send(endpoint_.handleGet(req.get_param_value("hub.mode"),
                                                req.get_param_value("hub.verify_token"),
                                                req.get_param_value("hub.challenge")),
                            res);
    });
    server_.Post("/webhook", [this](const httplib::Request& req, httplib::Response& res) {
      HttpHeaders headers;
      for (const auto& [k, v] : req.headers) headers.emplace_back(k, v);
      std::unique_lock<std::mutex> lock(mu_);
      ++posts_;
      if (down_) {
        res.status = 503;
        return;
      }
      if (slow_.count() > 0) {
        // Answers too late for the emulator's timeout; what it carried counts as not received.
        const auto delay = slow_;
        lock.unlock();
        std::this_thread::sleep_for(delay);
        return;
      }
      lock.unlock();
      const webhook::EndpointResponse answer = endpoint_.handlePost(headers, req.body);
      if (answer.status == 200) {
        lock.lock();
        bodies_.push_back(req.body);
      }
      webhook::detail::send(answer, res);
    });
    if (port == 0) {
      port_ = server_.bind_to_any_port("127.0.0.1");
    } else {
      port_ = server_.bind_to_port("127.0.0.1", port) ? port : -1;
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    if (port_ > 0) {
      while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~WebhookReceiver() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    (void)endpoint_.stop(std::chrono::seconds(2));
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/webhook"; }

  /// While down, every POST is answered 503 (and nothing is recorded).
  void setDown(bool down) {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = down;
  }

  /// While non-zero, every POST is answered only after this delay (and nothing is recorded).
  void setSlow(std::chrono::milliseconds delay) {
    std::lock_guard<std::mutex> lock(mu_);
    slow_ = delay;
  }

  /// What "nothing more is coming" means for this receiver: the emulator's own report that no
  /// delivery is pending or in flight (Fixture sets it).
  void settleWith(std::function<bool()> idle) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_ = std::move(idle);
  }

  /// Waits (bounded) until at least `n` events arrived and then, when a settle function is
  /// set, until the sender reports nothing pending: the copy returned then holds any late
  /// extra delivery too, so a test asserting exactly `n` events sees a duplicate.
  std::vector<webhook::Event> waitForEvents(
      std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::function<bool()> idle;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
      idle = idle_;
    }
    if (idle) (void)idle();
    return events();
  }
  /// Waits (bounded) until `posts` POSTs were answered (failed ones included).
  bool waitForPosts(std::size_t posts,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (posts_ >= posts) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
  /// The events handled so far, once the endpoint's workers finished what it has queued.
  std::vector<webhook::Event> events() {
    settleWorkers();
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  /// The bodies answered 200, as received.
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::size_t posts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return posts_;
  }
  /// Verification GETs received.
  std::size_t gets() const {
    std::lock_guard<std::mutex> lock(mu_);
    return gets_;
  }
  /// POSTs the endpoint refused for their signature.
  std::size_t badSignatures() {
    return endpoint_.stats().rejectedFor(webhook::Rejection::kBadSignature);
  }
  /// Bodies the endpoint refused as unparsable, plus events of accepted bodies it could not
  /// read (the recording handler itself never fails).
  std::size_t badBodies() {
    settleWorkers();
    const auto s = endpoint_.stats();
    return s.rejectedFor(webhook::Rejection::kUnparsable) + s.failed;
  }
  /// The endpoint, for its counters.
  webhook::Endpoint& endpoint() { return endpoint_; }
  /// Forgets what arrived, once the endpoint's workers finished what it had queued (an event
  /// still in a worker would otherwise land after the clear).
  void clear() {
    settleWorkers();
    std::lock_guard<std::mutex> lock(mu_);
    events_.clear();
    bodies_.clear();
  }

 private:
  static webhook::EndpointOptions endpointOptions(std::string app_secret,
                                                  std::string verify_token) {
    webhook::EndpointOptions o;
    o.app_secret = std::move(app_secret);
    o.verify_token = std::move(verify_token);
    o.deduplication = webhook::Deduplication::kOff;  // the tests count redeliveries
    o.workers = 1;                                   // and check the order of delivery
    return o;
  }
  webhook::Router recordingRouter() {
    webhook::Router router;
    router.onAny([this](webhook::Context&, const webhook::Event& e) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(e);
      cv_.notify_all();
    });
    return router;
  }
  /// Bounded: what a 200 queued reaches `events_` once the worker is done with it.
  void settleWorkers() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < until) {
      const auto s = endpoint_.stats();
      if (s.queue_depth == 0 && s.in_flight == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  webhook::Endpoint endpoint_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::function<bool()> idle_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool down_ = false;
  std::chrono::milliseconds slow_{0};
  std::size_t posts_ = 0;
  std::size_t gets_ = 0;
  std::vector<std::string> bodies_;
  std::vector<webhook::Event> events_;
};

}  // namespace emulator::testing
HANDOVER_END_NAMESPACE
