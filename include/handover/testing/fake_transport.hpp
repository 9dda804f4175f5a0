#pragma once
/// @file
/// `FakeTransport`: an `HttpTransport` for users' own tests. It records every request and
/// answers with scripted responses; no test framework and no network needed.
///
/// @code
///   auto fake = std::make_shared<handover::testing::FakeTransport>();
///   fake->enqueueJson(200, R"({"success":true})");
///   handover::ClientOptions opts;
///   opts.access_token = "test-token";
///   opts.transport = fake;
///   handover::Client client(opts);
///   assert(client.releaseThreadControl("123"));
///   assert(fake->lastRequest().url.find("/release_thread_control") != std::string::npos);
/// @endcode

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "handover/core/export.hpp"
#include "handover/core/http_transport.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace testing {

/// Records requests; answers from a FIFO script, then from a fallback handler.
///
/// Thread-safety: every member may be called from any thread at once.
class FakeTransport : public HttpTransport {
 public:
  /// Computes the outcome of a request once the script is exhausted (see `setFallback`).
  using Responder = std::function<Result<HttpResponse>(const HttpRequest&)>;

  /// A response with a JSON body and `Content-Type: application/json`.
  static HttpResponse json(int status, std::string body, HttpHeaders headers = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = std::move(body);
    return r;
  }

  /// The error a transport reports when the server refused the connection (never sent).
  static Error connectionRefused() {
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message = "connection refused (fake)";
    e.request_not_sent = true;
    return e;
  }

  /// The error a transport reports when an attempt timed out.
  static Error timedOut() {
    Error e;
    e.category = ErrorCategory::kTimeout;
    e.message = "timed out (fake)";
    return e;
  }

  /// Appends a scripted outcome: a response or a transport error.
  void enqueue(Result<HttpResponse> outcome) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.push_back(std::move(outcome));
  }
  /// Appends a JSON response.
  void enqueueJson(int status, std::string body, HttpHeaders headers = {}) {
    enqueue(json(status, std::move(body), std::move(headers)));
  }
  /// Answers once the script is exhausted. Without one, an exhausted script answers with a
  /// kTransport error saying so.
  void setFallback(Responder handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    fallback_ = std::move(handler);
  }

  /// Records `request`, then answers with the next scripted outcome, else the fallback's, else
  /// a kTransport error naming the request (its URL redacted).
  Result<HttpResponse> send(const HttpRequest& request) override {
    Responder fallback;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      if (!script_.empty()) {
        Result<HttpResponse> out = std::move(script_.front());
        script_.pop_front();
        return out;
      }
      fallback = fallback_;
    }
    // Outside the lock: a handler may block or call back into this fake.
    if (fallback) return fallback(request);
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message = std::string("FakeTransport: no scripted response left for ") +
                toString(request.method) + " " + request.url.substr(0, request.url.find('?'));
    return e;
  }

  /// Every request so far, in order.
  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  /// How many requests were made so far (cheaper than `requests().size()`).
  std::size_t requestCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.size();
  }
  /// The latest request. Precondition: at least one request was made.
  HttpRequest lastRequest() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.back();
  }
  /// Scripted outcomes not consumed yet.
  std::size_t pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return script_.size();
  }
  /// Forgets requests and the script (the fallback stays).
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.clear();
    script_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<Result<HttpResponse>> script_;
  std::vector<HttpRequest> requests_;
  Responder fallback_;
};

}  // namespace testing
HANDOVER_END_NAMESPACE
