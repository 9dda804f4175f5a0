#pragma once
// A webhook endpoint for emulator tests: a real loopback HTTP server that checks every POST's
// signature with the app secret, parses it with the SDK's parser and records the events.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "handover/webhook/parser.hpp"
#include "handover/webhook/signature.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator::testing {

class WebhookReceiver {
 public:
  /// `port` 0: any free port.
  explicit WebhookReceiver(std::string app_secret, int port = 0) : secret_(std::move(app_secret)) {
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
      auto verdict = webhook::verifySignature(req.body, headers, secret_);
      webhook::SignatureOptions legacy;
      legacy.allow_sha1 = true;
      auto sha1 = webhook::verifySignature(
          req.body, HttpHeaders{{"X-Hub-Signature", req.get_header_value("X-Hub-Signature")}},
          secret_, legacy);
      if (!verdict || !sha1) {
        ++bad_signatures_;
        res.status = 403;
        return;
      }
      auto batch = webhook::parse(req.body);
      if (!batch || !batch->errors.empty()) {
        ++bad_bodies_;
        res.status = 400;
        return;
      }
      bodies_.push_back(req.body);
      for (auto& e : batch->events) events_.push_back(std::move(e));
      cv_.notify_all();
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
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
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
  std::vector<webhook::Event> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::size_t posts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return posts_;
  }
  std::size_t badSignatures() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bad_signatures_;
  }
  std::size_t badBodies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bad_bodies_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    events_.clear();
    bodies_.clear();
  }

 private:
  std::string secret_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::function<bool()> idle_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool down_ = false;
  std::chrono::milliseconds slow_{0};
  std::size_t posts_ = 0;
  std::size_t bad_signatures_ = 0;
  std::size_t bad_bodies_ = 0;
  std::vector<std::string> bodies_;
  std::vector<webhook::Event> events_;
};

}  // namespace emulator::testing
HANDOVER_END_NAMESPACE
