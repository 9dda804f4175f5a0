#pragma once
// One call of the async engine (curl_multi_connection.cpp) from acceptance to completion: its
// typed end (`Completion`, which fulfils the future and runs the callback), its per-attempt
// state (`Job`), and the libcurl callbacks that fill it. The loop thread alone touches a Job.

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "curl_common.hpp"
#include "graph_calls.hpp"
#include "handover/client/async_connection.hpp"
#include "handover/core/http_transport.hpp"
#include "local_document.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace detail {

/// The typed end of a call: turns the outcome into `Result<T>`, runs the callback, fulfils the
/// future. Called exactly once.
class Completion {
 public:
  virtual ~Completion() = default;
  /// Exactly one of `error` and `doc` is non-null.
  virtual void settle(const Error* error, const rapidjson::Value* doc) = 0;
};

/// Holds the request: some readers need it (a created persona's name).
template <typename Request>
class TypedCompletion final : public Completion {
 public:
  using T = AnswerOf<Request>;
  TypedCompletion(const Request& request, AsyncCallback<T> callback)
      : request_(request), callback_(std::move(callback)) {}

  std::future<Result<T>> future() { return promise_.get_future(); }

  void settle(const Error* error, const rapidjson::Value* doc) override {
    Result<T> result = error != nullptr ? Result<T>(*error) : readAnswer(request_, *doc);
    if (callback_) {
      try {
        callback_(result);
      } catch (...) {  // NOLINT(bugprone-empty-catch): documented; the loop must survive it
      }
    }
    promise_.set_value(std::move(result));
  }

 private:
  Request request_;
  AsyncCallback<T> callback_;
  std::promise<Result<T>> promise_;
};

/// One call, from acceptance to completion, with the state of its current attempt.
struct Job {
  CallSpec call;
  std::string url;
  std::unique_ptr<Completion> completion;
  int attempt = 0;  // attempts started
  std::chrono::steady_clock::time_point deadline;
  std::optional<Error> last;

  // The current attempt.
  std::string response_body;
  std::string raw_headers;  // parsed only for a non-2xx answer (Retry-After...)
  bool too_large = false;
  bool keep_headers = true;  // false once a 2xx status line is seen: nothing to read in them
  char error_buffer[CURL_ERROR_SIZE] = {0};

  void resetAttempt() {
    response_body.clear();
    raw_headers.clear();
    too_large = false;
    keep_headers = true;
    error_buffer[0] = '\0';
  }
};

inline std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* job = static_cast<Job*>(user);
  const std::size_t n = size * count;
  if (job->response_body.size() + n > kMaxResponseBytes) {
    job->too_large = true;
    return 0;
  }
  job->response_body.append(data, n);
  return n;
}

inline std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* job = static_cast<Job*>(user);
  const std::size_t n = size * count;
  // A new status line (after 100 Continue) starts a new header block. Headers matter only for
  // a non-2xx answer (Retry-After...): a 2xx one keeps none, saving the copies.
  if (n >= 5 && std::equal(data, data + 5, "HTTP/")) {
    job->raw_headers.clear();
    const char* space = static_cast<const char*>(std::memchr(data, ' ', n));
    job->keep_headers = space == nullptr || space + 1 >= data + n || space[1] != '2';
    return n;
  }
  if (job->keep_headers) job->raw_headers.append(data, n);
  return n;
}

inline HttpHeaders parseHeaders(std::string_view raw) {
  HttpHeaders headers;
  while (!raw.empty()) {
    const auto eol = raw.find('\n');
    const std::string_view line = raw.substr(0, eol);
    raw = eol == std::string_view::npos ? std::string_view{} : raw.substr(eol + 1);
    appendHeaderLine(headers, line);
  }
  return headers;
}

inline curl_slist* appendHeaders(curl_slist* list, const HttpHeaders& headers) {
  for (const auto& [name, value] : headers) {
    std::string line = name;
    line.append(": ").append(value);
    list = curl_slist_append(list, line.c_str());
  }
  return list;
}

}  // namespace detail
HANDOVER_END_NAMESPACE
