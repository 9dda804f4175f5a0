// `AsyncClient`: one loop thread drives a libcurl multi handle. Callers hand over jobs through a
// mutex-guarded queue and a `curl_multi_wakeup`; everything else (easy handles, retry timers,
// in-flight transfers) belongs to the loop thread alone, so it needs no locking.
//
// Request bodies, response readers, error mapping and the retry policy are the sync client's
// (request_bodies.hpp, responses.hpp, error_mapping.hpp, retry.hpp): the two paths answer alike.

#include "handover/async_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "curl_common.hpp"
#include "error_mapping.hpp"
#include "handover/crypto.hpp"
#include "handover/types.hpp"
#include "json.hpp"
#include "request_bodies.hpp"
#include "responses.hpp"
#include "retry.hpp"
#include "url.hpp"

namespace handover {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

constexpr std::size_t kMaxBodyBytes = 16u << 20;

/// The typed end of a call: turns the outcome into `Result<T>`, runs the callback, fulfils the
/// future. Called exactly once.
class Completion {
 public:
  virtual ~Completion() = default;
  /// Exactly one of `error` and `doc` is non-null.
  virtual void settle(const Error* error, const rapidjson::Value* doc) = 0;
};

template <typename T>
class TypedCompletion final : public Completion {
 public:
  using Reader = Result<T> (*)(const rapidjson::Value&);
  TypedCompletion(Reader reader, AsyncClient::Callback<T> callback)
      : reader_(reader), callback_(std::move(callback)) {}

  std::future<Result<T>> future() { return promise_.get_future(); }

  void settle(const Error* error, const rapidjson::Value* doc) override {
    Result<T> result = error != nullptr ? Result<T>(*error) : reader_(*doc);
    if (callback_) {
      try {
        callback_(result);
      } catch (...) {  // NOLINT(bugprone-empty-catch): documented; the loop must survive it
      }
    }
    promise_.set_value(std::move(result));
  }

 private:
  Reader reader_;
  AsyncClient::Callback<T> callback_;
  std::promise<Result<T>> promise_;
};

/// One call, from acceptance to completion, with the state of its current attempt.
struct Job {
  bool post = false;
  std::string url;
  std::string body;
  std::size_t path_at = 0, path_end = 0;  // "/v26.0/me/pass_thread_control" within `url`
  std::unique_ptr<Completion> completion;
  int attempt = 0;  // attempts started
  SteadyClock::time_point deadline;
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

  /// "POST /v26.0/me/pass_thread_control": for messages; no host, no query, nothing secret.
  /// Built only when an error needs it.
  std::string what() const {
    return std::string(post ? "POST " : "GET ") + url.substr(path_at, path_end - path_at);
  }
};

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* job = static_cast<Job*>(user);
  const std::size_t n = size * count;
  if (job->response_body.size() + n > kMaxBodyBytes) {
    job->too_large = true;
    return 0;
  }
  job->response_body.append(data, n);
  return n;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
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

HttpHeaders parseHeaders(std::string_view raw) {
  HttpHeaders headers;
  while (!raw.empty()) {
    const auto eol = raw.find('\n');
    const std::string_view line = raw.substr(0, eol);
    raw = eol == std::string_view::npos ? std::string_view{} : raw.substr(eol + 1);
    detail::appendHeaderLine(headers, line);
  }
  return headers;
}

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

}  // namespace

struct AsyncClient::Impl {
  AsyncClientOptions options;
  std::string proof;
  std::string base;  // base_url without trailing slashes, plus "/" + version + "/"
  std::optional<Error> options_error;
  CURLM* multi = nullptr;
  curl_slist* get_headers = nullptr;
  curl_slist* post_headers = nullptr;

  // Shared with callers, under `mutex`.
  mutable std::mutex mutex;
  std::condition_variable space;
  std::size_t blocked = 0;  // callers waiting on `space`
  std::deque<std::unique_ptr<Job>> incoming;
  std::size_t outstanding = 0;
  bool stopping = false;
  ShutdownMode mode = ShutdownMode::kDrain;
  std::mutex join_mutex;
  std::thread loop_thread;
  std::thread::id loop_id;

  // Loop thread only.
  std::deque<std::unique_ptr<Job>> waiting;
  std::multimap<SteadyClock::time_point, std::unique_ptr<Job>> timers;
  std::unordered_map<CURL*, std::unique_ptr<Job>> active;
  std::vector<CURL*> idle_handles;
  bool settled_any = false;  // a call was settled in this turn of the loop
  // Backs the DOM of each response (loop thread only). RapidJSON's pool puts its chunk header
  // at the start of the buffer, so the buffer needs the alignment of a pointer.
  alignas(std::max_align_t) char parse_buffer[4096];

  explicit Impl(AsyncClientOptions o) : options(std::move(o)) {
    globalInit();
    const ClientOptions& c = options.client;
    options.max_in_flight = std::max<std::size_t>(1, options.max_in_flight);
    options.max_pending = std::max(options.max_pending, options.max_in_flight);
    if (c.access_token.empty()) {
      options_error = invalidArgument("ClientOptions::access_token is empty");
    } else if (c.page_id.empty()) {
      options_error = invalidArgument("ClientOptions::page_id is empty");
    } else if (c.api_version.empty()) {
      options_error = invalidArgument("ClientOptions::api_version is empty");
    } else if (c.base_url.empty()) {
      options_error = invalidArgument("ClientOptions::base_url is empty");
    }
    if (!c.app_secret.empty() && !c.access_token.empty()) {
      proof = appSecretProof(c.access_token, c.app_secret);
    }
    base = c.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    base += "/" + c.api_version + "/";
    // The token goes in a header, never in the URL: URLs end up in logs and proxies. The lists
    // are built once: every request of this client carries the same ones.
    // No Accept or Accept-Encoding: Graph answers JSON anyway, and each header line costs
    // libcurl a formatted print per request, a large share of its work on a fast network.
    const std::string auth = "Authorization: Bearer " + c.access_token;
    const std::string agent = "User-Agent: " + options.curl.user_agent;
    for (curl_slist** list : {&get_headers, &post_headers}) {
      *list = curl_slist_append(*list, auth.c_str());
      if (!options.curl.user_agent.empty()) *list = curl_slist_append(*list, agent.c_str());
    }
    post_headers = curl_slist_append(post_headers, "Content-Type: application/json");
    post_headers = curl_slist_append(post_headers, "Expect:");
    multi = curl_multi_init();
    if (multi == nullptr || get_headers == nullptr || post_headers == nullptr) {
      curl_slist_free_all(get_headers);
      curl_slist_free_all(post_headers);
      if (multi != nullptr) curl_multi_cleanup(multi);
      throw std::runtime_error("AsyncClient: libcurl initialisation failed");
    }
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_in_flight));
    loop_thread = std::thread([this] { run(); });
    loop_id = loop_thread.get_id();
  }

  ~Impl() {
    for (CURL* h : idle_handles) curl_easy_cleanup(h);
    curl_multi_cleanup(multi);
    curl_slist_free_all(get_headers);
    curl_slist_free_all(post_headers);
  }

  SteadyClock::time_point now() const {
    return options.client.clock.now ? options.client.clock.now() : SteadyClock::now();
  }

  /// Last line of defence: no secret leaves in an error, whatever a server or library echoed.
  Error scrub(Error e) const {
    const ClientOptions& c = options.client;
    return detail::scrubSecrets(std::move(e), {&c.access_token, &c.app_secret, &proof});
  }

  // --- submission (any thread) -------------------------------------------------------------

  std::unique_ptr<Job> makeJob(bool post, const std::string& path, detail::QueryParams query,
                               std::string body) const {
    auto job = std::make_unique<Job>();
    job->post = post;
    job->url = base + path;
    job->path_at = base.size() - options.client.api_version.size() - 2;
    job->path_end = job->url.size();
    // In the query string even for POSTs: some endpoints ignore it in a body (protocol §4.3).
    if (!proof.empty()) query.emplace_back("appsecret_proof", proof);
    if (!query.empty()) job->url += "?" + detail::encodeQuery(query);
    job->body = std::move(body);
    return job;
  }

  std::string pagePath(const char* edge) const {
    std::string path = detail::percentEncode(options.client.page_id);
    if (*edge != '\0') path.append("/").append(edge);
    return path;
  }

  /// Wraps a built job with its typed completion and hands it to the loop.
  template <typename T>
  std::future<Result<T>> launch(std::unique_ptr<Job> job,
                                Result<T> (*reader)(const rapidjson::Value&), Callback<T> done) {
    auto completion = std::make_unique<TypedCompletion<T>>(reader, std::move(done));
    auto future = completion->future();
    job->completion = std::move(completion);
    submit(std::move(job));
    return future;
  }

  void submit(std::unique_ptr<Job> job) {
    std::optional<Error> refused;
    std::unique_lock<std::mutex> lock(mutex);
    const bool on_loop = std::this_thread::get_id() == loop_id;
    if (!stopping && !on_loop && outstanding >= options.max_pending) {
      if (options.when_full == AsyncClientOptions::WhenFull::kReject) {
        refused = Error{};
        refused->message = job->what() + ": " + std::to_string(options.max_pending) +
                           " calls already pending (AsyncClientOptions::max_pending)";
      } else {
        ++blocked;
        space.wait(lock, [&] { return stopping || outstanding < options.max_pending; });
        --blocked;
      }
    }
    if (!refused && stopping) {
      refused = Error{};
      refused->message = job->what() + ": the client is shut down";
    }
    if (refused) {
      // Settled outside the lock: the callback may call into this client.
      lock.unlock();
      refused->request_not_sent = true;
      job->completion->settle(&*refused, nullptr);
      return;
    }
    ++outstanding;
    job->deadline = now() + options.client.deadline;
    // The loop takes every queued job at once: one wake-up per batch is enough.
    const bool wake = incoming.empty();
    incoming.push_back(std::move(job));
    lock.unlock();
    if (wake) curl_multi_wakeup(multi);
  }

  // --- the loop (loop thread) --------------------------------------------------------------

  void run() {
    for (;;) {
      settled_any = false;
      bool cancel = false;
      {
        std::lock_guard<std::mutex> lock(mutex);
        for (auto& job : incoming) waiting.push_back(std::move(job));
        incoming.clear();
        if (stopping) {
          if (outstanding == 0) break;
          cancel = mode == ShutdownMode::kCancel;
        }
      }
      if (cancel) {
        cancelAll();
        continue;  // every call is settled: the check above ends the loop
      }
      const auto t = now();
      while (!timers.empty() && timers.begin()->first <= t) {
        waiting.push_back(std::move(timers.begin()->second));
        timers.erase(timers.begin());
      }
      while (active.size() < options.max_in_flight && !waiting.empty()) {
        auto job = std::move(waiting.front());
        waiting.pop_front();
        start(std::move(job));
      }
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        attemptDone(msg->easy_handle, msg->data.result);
      }
      int timeout = pollTimeout();
      if (settled_any && timeout > 0) {
        // The last call settled during a shutdown: nothing would wake the poll below.
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping && outstanding == 0) timeout = 0;
      }
      // One multi pass per wake-up, as a hand-written curl_multi loop does: freed room is
      // filled at the top of the loop, and new handles make libcurl's timeout zero.
      curl_multi_poll(multi, nullptr, 0, timeout, nullptr);
    }
  }

  int pollTimeout() {
    long curl_ms = -1;
    curl_multi_timeout(multi, &curl_ms);
    long ms = curl_ms < 0 ? 1000 : std::min(curl_ms, 1000L);
    if (!timers.empty()) {
      const auto until =
          std::chrono::duration_cast<Millis>(timers.begin()->first - now()).count() + 1;
      ms = std::min<long>(ms, std::max<long>(0, static_cast<long>(until)));
    }
    if (!waiting.empty() && active.size() < options.max_in_flight) ms = 0;
    return static_cast<int>(ms);
  }

  CURL* acquireHandle() {
    if (!idle_handles.empty()) {
      CURL* h = idle_handles.back();
      idle_handles.pop_back();
      return h;
    }
    CURL* h = curl_easy_init();
    if (h != nullptr) configure(h);
    return h;
  }

  /// The options every request of this client shares, set once per handle: a reset and a full
  /// set of options per request cost more than the request itself on a fast network.
  void configure(CURL* h) const {
    const CurlOptions& o = options.curl;
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
    if (!o.ca_bundle_path.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_bundle_path.c_str());
    if (!o.proxy.empty()) curl_easy_setopt(h, CURLOPT_PROXY, o.proxy.c_str());
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  }

  void releaseHandle(CURL* h) {
    // No reset: `start` sets every per-request option again, and the shared ones stay valid.
    // The multi handle keeps the connections either way.
    if (idle_handles.size() < std::max(options.curl.max_pooled_handles, options.max_in_flight)) {
      idle_handles.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }

  void start(std::unique_ptr<Job> job) {
    const auto t = now();
    const auto remaining = std::chrono::duration_cast<Millis>(job->deadline - t);
    if (remaining.count() <= 0) {
      Error e;
      e.category = ErrorCategory::kTimeout;
      e.message = job->what() + ": deadline of " + std::to_string(options.client.deadline.count()) +
                  " ms exceeded after " + std::to_string(job->attempt) + " attempt(s)";
      if (job->last) e.message += "; last error: " + job->last->toString();
      complete(std::move(job), scrub(std::move(e)));
      return;
    }
    CURL* h = acquireHandle();
    if (h == nullptr) {
      Error e;
      e.message = job->what() + ": curl_easy_init failed";
      e.request_not_sent = true;
      complete(std::move(job), e);
      return;
    }
    ++job->attempt;
    job->resetAttempt();
    const ClientOptions& c = options.client;
    const Millis total =
        c.attempt_timeout.count() > 0 ? std::min(c.attempt_timeout, remaining) : remaining;
    const Millis connect = std::min(options.curl.connect_timeout, total);
    curl_easy_setopt(h, CURLOPT_URL, job->url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, job->error_buffer);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    curl_easy_setopt(h, CURLOPT_WRITEDATA, job.get());
    curl_easy_setopt(h, CURLOPT_HEADERDATA, job.get());
    curl_easy_setopt(h, CURLOPT_PRIVATE, job.get());
    if (job->post) {
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, post_headers);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, job->body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(job->body.size()));
    } else {
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, get_headers);
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    if (curl_multi_add_handle(multi, h) != CURLM_OK) {
      releaseHandle(h);
      Error e;
      e.message = job->what() + ": curl_multi_add_handle failed";
      e.request_not_sent = true;
      complete(std::move(job), e);
      return;
    }
    active.emplace(h, std::move(job));
  }

  void attemptDone(CURL* h, CURLcode code) {
    auto it = active.find(h);
    curl_multi_remove_handle(multi, h);
    if (it == active.end()) {  // cannot happen: every added handle is in `active`
      releaseHandle(h);
      return;
    }
    std::unique_ptr<Job> job = std::move(it->second);
    active.erase(it);
    long status = 0;
    if (code == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    releaseHandle(h);

    Error error;
    if (code != CURLE_OK) {
      error = detail::curlTransferError(code, job->what(), job->error_buffer, job->too_large);
    } else if (status >= 200 && status < 300) {
      // A small answer's values fit in a buffer the loop reuses: no 64 KiB pool per response.
      rapidjson::MemoryPoolAllocator<> pool(parse_buffer, sizeof parse_buffer);
      rapidjson::Document doc(&pool);
      if (auto e = detail::parseJson(job->response_body, doc)) {
        e->http_status = 200;
        e->message = job->what() + ": " + e->message;
        complete(std::move(job), scrub(std::move(*e)));
      } else if (auto api = detail::graphError(doc, 200)) {
        // Graph occasionally wraps an error in a 2xx; it is still an error.
        complete(std::move(job), scrub(std::move(*api)));
      } else if (!doc.IsObject()) {
        // Built before the call: `complete` takes the job, and arguments are unsequenced.
        const Error not_object =
            scrub(detail::parseError(job->what() + ": response is not an object"));
        complete(std::move(job), not_object);
      } else {
        finished();
        job->completion->settle(nullptr, &doc);
      }
      return;
    } else {
      HttpResponse response;
      response.status = static_cast<int>(status);
      response.headers = parseHeaders(job->raw_headers);
      response.body = std::move(job->response_body);
      error = detail::errorFromResponse(response);
    }
    retryOrFail(std::move(job), std::move(error));
  }

  void retryOrFail(std::unique_ptr<Job> job, Error error) {
    const RetryOptions& retry = options.client.retry;
    const int max_attempts = std::max(1, retry.max_attempts);
    if (job->attempt >= max_attempts || !detail::shouldRetry(error, !job->post, retry)) {
      complete(std::move(job), scrub(std::move(error)));
      return;
    }
    const auto delay = detail::retryDelay(retry, job->attempt, error, options.client.clock.jitter);
    const auto t = now();
    // Waiting past the deadline only to fail is worse than answering now with the cause.
    if (t + delay >= job->deadline) {
      complete(std::move(job), scrub(std::move(error)));
      return;
    }
    job->last = std::move(error);
    timers.emplace(t + delay, std::move(job));
  }

  void complete(std::unique_ptr<Job> job, const Error& error) {
    finished();
    job->completion->settle(&error, nullptr);
  }

  /// Counts the call out before its future is fulfilled, so a caller who saw every future
  /// ready also sees `pending() == 0`. The loop settles it before looking at the count again.
  ///
  /// Blocked callers are woken when the count falls to a low-water mark, not at each
  /// completion: they then queue a batch each, instead of the two threads trading a wake-up
  /// per call (which cost more than the call itself).
  void finished() {
    settled_any = true;
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mutex);
      --outstanding;
      wake = blocked > 0 && outstanding <= lowWater();
    }
    if (wake) space.notify_all();
  }

  std::size_t lowWater() const {
    const std::size_t batch = std::max<std::size_t>(1, options.max_pending / 4);
    return options.max_pending - batch;
  }

  void cancelAll() {
    const auto fail = [this](std::unique_ptr<Job> job) {
      Error e;
      e.message = job->what() + ": cancelled, the client is shut down";
      e.request_not_sent = job->attempt == 0;
      complete(std::move(job), e);
    };
    for (auto& [h, job] : active) {
      curl_multi_remove_handle(multi, h);
      releaseHandle(h);
      job->attempt = std::max(job->attempt, 1);
      fail(std::move(job));
    }
    active.clear();
    for (auto& [t, job] : timers) fail(std::move(job));
    timers.clear();
    while (!waiting.empty()) {
      auto job = std::move(waiting.front());
      waiting.pop_front();
      fail(std::move(job));
    }
  }

  void shutdown(ShutdownMode m) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!stopping || m == ShutdownMode::kCancel) mode = m;
      stopping = true;
    }
    space.notify_all();
    curl_multi_wakeup(multi);
    if (std::this_thread::get_id() == loop_id) return;  // from a callback: the loop winds down
    std::lock_guard<std::mutex> lock(join_mutex);
    if (loop_thread.joinable()) loop_thread.join();
  }
};

namespace {

template <typename T>
using Reader = Result<T> (*)(const rapidjson::Value&);

Result<void> readPass(const rapidjson::Value& d) {
  return detail::readSuccess(d, "pass_thread_control");
}
Result<void> readRelease(const rapidjson::Value& d) {
  return detail::readSuccess(d, "release_thread_control");
}
Result<void> readExtend(const rapidjson::Value& d) {
  return detail::readSuccess(d, "extend_thread_control");
}
Result<RequestDelivered> readRequest(const rapidjson::Value& d) {
  auto ok = detail::readSuccess(d, "request_thread_control");
  if (!ok) return std::move(ok).error();
  return RequestDelivered{};
}
Result<ThreadOwner> readOwner(const rapidjson::Value& d) {
  return detail::readThreadOwner(d, "thread_owner");
}
Result<SendResponse> readSend(const rapidjson::Value& d) {
  return detail::readSendResponse(d, /*expect_message_id=*/true);
}

/// A future already holding `error`, the callback run on the caller's thread.
template <typename T>
std::future<Result<T>> rejected(Error error, const AsyncClient::Callback<T>& done) {
  TypedCompletion<T> completion(nullptr, done);
  auto future = completion.future();
  completion.settle(&error, nullptr);
  return future;
}

}  // namespace

AsyncClient::AsyncClient(AsyncClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

AsyncClient::~AsyncClient() {
  impl_->shutdown(ShutdownMode::kDrain);
}

void AsyncClient::shutdown(ShutdownMode mode) {
  impl_->shutdown(mode);
}

std::size_t AsyncClient::pending() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->outstanding;
}

std::size_t AsyncClient::waiting() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->blocked;
}

const ClientOptions& AsyncClient::options() const noexcept {
  return impl_->options.client;
}

std::future<Result<void>> AsyncClient::passThreadControl(const PassThreadControlRequest& r,
                                                         Callback<void> done) {
  using T = void;
  if (impl_->options_error) return rejected<T>(*impl_->options_error, done);
  auto body = detail::passThreadControlBody(r);
  if (!body) return rejected<T>(std::move(body).error(), done);
  auto job = impl_->makeJob(true, impl_->pagePath("pass_thread_control"), {}, std::move(*body));
  return impl_->launch<T>(std::move(job), &readPass, std::move(done));
}

std::future<Result<TakeThreadControlResponse>> AsyncClient::takeThreadControl(
    const TakeThreadControlRequest& r, Callback<TakeThreadControlResponse> done) {
  using T = TakeThreadControlResponse;
  if (impl_->options_error) return rejected<T>(*impl_->options_error, done);
  auto body = detail::takeThreadControlBody(r);
  if (!body) return rejected<T>(std::move(body).error(), done);
  auto job = impl_->makeJob(true, impl_->pagePath("take_thread_control"), {}, std::move(*body));
  return impl_->launch<T>(std::move(job), &detail::readTakeResponse, std::move(done));
}

std::future<Result<RequestDelivered>> AsyncClient::requestThreadControl(
    const RequestThreadControlRequest& r, Callback<RequestDelivered> done) {
  using T = RequestDelivered;
  if (impl_->options_error) return rejected<T>(*impl_->options_error, done);
  auto body = detail::requestThreadControlBody(r);
  if (!body) return rejected<T>(std::move(body).error(), done);
  auto job = impl_->makeJob(true, impl_->pagePath("request_thread_control"), {}, std::move(*body));
  return impl_->launch<T>(std::move(job), &readRequest, std::move(done));
}

std::future<Result<void>> AsyncClient::releaseThreadControl(const ReleaseThreadControlRequest& r,
                                                            Callback<void> done) {
  using T = void;
  if (impl_->options_error) return rejected<T>(*impl_->options_error, done);
  auto body = detail::releaseThreadControlBody(r);
  if (!body) return rejected<T>(std::move(body).error(), done);
  auto job = impl_->makeJob(true, impl_->pagePath("release_thread_control"), {}, std::move(*body));
  return impl_->launch<T>(std::move(job), &readRelease, std::move(done));
}

std::future<Result<void>> AsyncClient::extendThreadControl(const ExtendThreadControlRequest& r,
                                                           Callback<void> done) {
  using T = void;
  if (impl_->options_error) return rejected<T>(*impl_->options_error, done);
  auto body = detail::extendThreadControlBody(r);
  if (!body) return rejected<T>(std::move(body).error(), done);
  auto job = impl_->makeJob(true, impl_->pagePath("extend_thread_control"), {}, std::move(*body));
  return impl_->launch<T>(std::move(job), &readExtend, std::move(done));
}

std::future<Result<ThreadOwner>> AsyncClient::getThreadOwner(const GetThreadOwnerRequest& r,
                                                             Callback<ThreadOwner> done) {
  if (impl_->options_error) return rejected<ThreadOwner>(*impl_->options_error, done);
  if (auto e = detail::checkRecipient(r.recipient)) return rejected<ThreadOwner>(*e, done);
  auto job =
      impl_->makeJob(false, impl_->pagePath("thread_owner"), {{"recipient", r.recipient}}, "");
  return impl_->launch<ThreadOwner>(std::move(job), &readOwner, std::move(done));
}

std::future<Result<SendResponse>> AsyncClient::sendText(const SendTextRequest& r,
                                                        Callback<SendResponse> done) {
  using T = SendResponse;
  if (impl_->options_error) return rejected<T>(*impl_->options_error, done);
  auto body = detail::sendTextBody(r);
  if (!body) return rejected<T>(std::move(body).error(), done);
  auto job = impl_->makeJob(true, impl_->pagePath("messages"), {}, std::move(*body));
  return impl_->launch<T>(std::move(job), &readSend, std::move(done));
}

}  // namespace handover
