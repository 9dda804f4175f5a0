// The production `AsyncConnection`: one loop thread drives a libcurl multi handle. Callers hand
// over jobs through a mutex-guarded queue and a `curl_multi_wakeup`; everything else (easy
// handles, retry timers, in-flight transfers) belongs to the loop thread alone, so it needs no
// locking.
//
// What a call sends and how its answer is read come from the call table (graph_calls.cpp); the
// URL, headers, 2xx reading, retry decision, deadline error and scrubbing from the core
// (graph_core.cpp) the sync connection also runs on. Only the scheduling is this file's.

#include "handover/client/async_connection.hpp"

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

#include "async_job.hpp"
#include "curl_common.hpp"
#include "error_mapping.hpp"
#include "graph_calls.hpp"
#include "graph_core.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace {

using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using detail::appendHeaders;
using detail::CallSpec;
using detail::Job;
using detail::onBody;
using detail::onHeader;
using detail::parseHeaders;
using detail::TypedCompletion;

class CurlMultiConnection final : public AsyncConnection {
 public:
  explicit CurlMultiConnection(AsyncClientOptions o);
  ~CurlMultiConnection() override;
  CurlMultiConnection(const CurlMultiConnection&) = delete;
  CurlMultiConnection& operator=(const CurlMultiConnection&) = delete;

  // NOLINTBEGIN(bugprone-macro-parentheses): types cannot be parenthesised in a declaration
#define HANDOVER_DETAIL_CALL(name_, snake_, Request_, Answer_)                                  \
  std::future<Result<Answer_>> name_(const Request_& r, AsyncCallback<Answer_> done) override { \
    return launch(r, std::move(done));                                                          \
  }
  HANDOVER_GRAPH_CALLS(HANDOVER_DETAIL_CALL)
#undef HANDOVER_DETAIL_CALL
  // NOLINTEND(bugprone-macro-parentheses)

  void shutdown(ShutdownMode mode) override;
  std::size_t pending() const override {
    std::lock_guard<std::mutex> lock(mutex);
    return outstanding;
  }
  std::size_t waiting() const override {
    std::lock_guard<std::mutex> lock(mutex);
    return blocked;
  }
  const ClientOptions& options() const override {
    return core.options();
  }

 private:
  AsyncClientOptions async_options;  // `client` is the core's copy; this one keeps the rest
  detail::GraphCore core;
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
  std::deque<std::unique_ptr<Job>> ready;  // accepted or due, not yet on the wire
  std::multimap<SteadyClock::time_point, std::unique_ptr<Job>> timers;
  std::unordered_map<CURL*, std::unique_ptr<Job>> active;
  std::vector<CURL*> idle_handles;
  bool settled_any = false;  // a call was settled in this turn of the loop
  // A ClientOptions field this engine cannot honour was set: every call is refused with it.
  std::optional<Error> unusable_option;
  // Backs the DOM of each response (loop thread only). RapidJSON's pool puts its chunk header
  // at the start of the buffer, so the buffer needs the alignment of a pointer.
  alignas(std::max_align_t) char parse_buffer[4096];

  // --- submission (any thread) -------------------------------------------------------------

  /// A future already holding `error`, the callback run on the caller's thread.
  template <typename Request>
  static std::future<Result<AnswerOf<Request>>> rejected(const Request& request, Error error,
                                                         AsyncCallback<AnswerOf<Request>> done) {
    TypedCompletion<Request> completion(request, std::move(done));
    auto future = completion.future();
    completion.settle(&error, nullptr);
    return future;
  }

  /// Describes the call, wraps it with its typed completion and hands it to the loop.
  template <typename Request>
  std::future<Result<AnswerOf<Request>>> launch(const Request& request,
                                                AsyncCallback<AnswerOf<Request>> done) {
    if (const auto& e = core.optionsError()) return rejected(request, *e, std::move(done));
    if (unusable_option) return rejected(request, *unusable_option, std::move(done));
    auto call = detail::describe(request, core.page());
    if (!call) return rejected(request, std::move(call).error(), std::move(done));
    auto job = std::make_unique<Job>();
    job->url = core.url(*call);
    job->call = std::move(*call);
    auto completion = std::make_unique<TypedCompletion<Request>>(request, std::move(done));
    auto future = completion->future();
    job->completion = std::move(completion);
    submit(std::move(job));
    return future;
  }

  void submit(std::unique_ptr<Job> job) {
    std::optional<Error> refused;
    std::unique_lock<std::mutex> lock(mutex);
    const bool on_loop = std::this_thread::get_id() == loop_id;
    const std::size_t max_pending = async_options.max_pending;
    if (!stopping && !on_loop && outstanding >= max_pending) {
      if (async_options.when_full == AsyncClientOptions::WhenFull::kReject) {
        refused = Error{};
        refused->message = core.what(job->call) + ": " + std::to_string(max_pending) +
                           " calls already pending (AsyncClientOptions::max_pending)";
      } else {
        ++blocked;
        space.wait(lock, [&] { return stopping || outstanding < max_pending; });
        --blocked;
      }
    }
    if (!refused && stopping) {
      refused = Error{};
      refused->message = core.what(job->call) + ": the client is shut down";
    }
    if (refused) {
      // Settled outside the lock: the callback may call into this client.
      lock.unlock();
      refused->request_not_sent = true;
      job->completion->settle(&*refused, nullptr);
      return;
    }
    ++outstanding;
    job->deadline = core.deadlineFromNow();
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
        for (auto& job : incoming) ready.push_back(std::move(job));
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
      const auto t = core.now();
      while (!timers.empty() && timers.begin()->first <= t) {
        ready.push_back(std::move(timers.begin()->second));
        timers.erase(timers.begin());
      }
      while (active.size() < async_options.max_in_flight && !ready.empty()) {
        auto job = std::move(ready.front());
        ready.pop_front();
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
          std::chrono::duration_cast<Millis>(timers.begin()->first - core.now()).count() + 1;
      ms = std::min<long>(ms, std::max<long>(0, static_cast<long>(until)));
    }
    if (!ready.empty() && active.size() < async_options.max_in_flight) ms = 0;
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
    const CurlOptions& o = async_options.curl;
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
    const std::size_t keep =
        std::max(async_options.curl.max_pooled_handles, async_options.max_in_flight);
    if (idle_handles.size() < keep) {
      idle_handles.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }

  void start(std::unique_ptr<Job> job) {
    const auto remaining = std::chrono::duration_cast<Millis>(job->deadline - core.now());
    if (remaining.count() <= 0) {
      const Error e = core.deadlineExceeded(job->call, job->attempt, job->last);
      complete(std::move(job), e);
      return;
    }
    CURL* h = acquireHandle();
    if (h == nullptr) {
      Error e;
      e.message = core.what(job->call) + ": curl_easy_init failed";
      e.request_not_sent = true;
      complete(std::move(job), e);
      return;
    }
    ++job->attempt;
    job->resetAttempt();
    const Millis total = core.attemptTimeout(remaining);
    const Millis connect = std::min(async_options.curl.connect_timeout, total);
    curl_easy_setopt(h, CURLOPT_URL, job->url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, job->error_buffer);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    curl_easy_setopt(h, CURLOPT_WRITEDATA, job.get());
    curl_easy_setopt(h, CURLOPT_HEADERDATA, job.get());
    curl_easy_setopt(h, CURLOPT_PRIVATE, job.get());
    const CallSpec& call = job->call;
    // Options a previous request on this handle may have set are set again every time.
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                     call.method == HttpMethod::kDelete ? "DELETE" : nullptr);
    if (call.method == HttpMethod::kGet ||
        (call.method == HttpMethod::kDelete && call.body.empty())) {
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, get_headers);
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, post_headers);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
    if (curl_multi_add_handle(multi, h) != CURLM_OK) {
      releaseHandle(h);
      Error e;
      e.message = core.what(job->call) + ": curl_multi_add_handle failed";
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
      error =
          detail::curlTransferError(code, core.what(job->call), job->error_buffer, job->too_large);
    } else if (status >= 200 && status < 300) {
      // A small answer's values fit in a buffer the loop reuses: no 64 KiB pool per response.
      rapidjson::MemoryPoolAllocator<> pool(parse_buffer, sizeof parse_buffer);
      rapidjson::Document doc(&pool);
      if (auto e = core.readOk(job->response_body, doc, job->call)) {
        complete(std::move(job), *e);
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
    const auto delay = core.retryDelay(error, job->call, job->attempt, job->deadline);
    if (!delay) {
      const Error e = core.scrub(std::move(error));
      complete(std::move(job), e);
      return;
    }
    job->last = std::move(error);
    timers.emplace(core.now() + *delay, std::move(job));
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
    const std::size_t batch = std::max<std::size_t>(1, async_options.max_pending / 4);
    return async_options.max_pending - batch;
  }

  void cancelAll() {
    const auto fail = [this](std::unique_ptr<Job> job) {
      Error e;
      e.message = core.what(job->call) + ": cancelled, the client is shut down";
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
    while (!ready.empty()) {
      auto job = std::move(ready.front());
      ready.pop_front();
      fail(std::move(job));
    }
  }
};

CurlMultiConnection::CurlMultiConnection(AsyncClientOptions o)
    : async_options(std::move(o)), core(async_options.client) {
  // Refused, not ignored: a user who set them expects them used.
  if (async_options.client.transport) {
    unusable_option = handover::detail::invalidArgument(
        "AsyncClientOptions::client.transport is set, but the async client always speaks "
        "libcurl's multi interface: leave it empty (in tests, a testing::FakeAsyncConnection "
        "stands in for the whole engine)");
  } else if (async_options.client.clock.sleep) {
    unusable_option = handover::detail::invalidArgument(
        "AsyncClientOptions::client.clock.sleep is set, but the async client waits with timers "
        "on its loop thread, never by sleeping: leave it empty");
  }
  detail::curlGlobalInit();
  async_options.max_in_flight = std::max<std::size_t>(1, async_options.max_in_flight);
  async_options.max_pending = std::max(async_options.max_pending, async_options.max_in_flight);
  // The lists are built once: every request of this client carries the same ones.
  get_headers = appendHeaders(nullptr, core.headers(false));
  post_headers = appendHeaders(nullptr, core.headers(true));
  if (!async_options.curl.user_agent.empty()) {
    const std::string agent = "User-Agent: " + async_options.curl.user_agent;
    get_headers = curl_slist_append(get_headers, agent.c_str());
    post_headers = curl_slist_append(post_headers, agent.c_str());
  }
  // No "Expect: 100-continue" round trip before a small JSON body.
  post_headers = curl_slist_append(post_headers, "Expect:");
  multi = curl_multi_init();
  if (multi == nullptr || get_headers == nullptr || post_headers == nullptr) {
    curl_slist_free_all(get_headers);
    curl_slist_free_all(post_headers);
    if (multi != nullptr) curl_multi_cleanup(multi);
    throw std::runtime_error("AsyncClient: libcurl initialisation failed");
  }
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(async_options.max_in_flight));
  loop_thread = std::thread([this] { run(); });
  loop_id = loop_thread.get_id();
}

CurlMultiConnection::~CurlMultiConnection() {
  shutdown(ShutdownMode::kDrain);
  for (CURL* h : idle_handles) curl_easy_cleanup(h);
  curl_multi_cleanup(multi);
  curl_slist_free_all(get_headers);
  curl_slist_free_all(post_headers);
}

void CurlMultiConnection::shutdown(ShutdownMode m) {
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

}  // namespace

std::shared_ptr<AsyncConnection> makeAsyncConnection(AsyncClientOptions options) {
  return std::make_shared<CurlMultiConnection>(std::move(options));
}

HANDOVER_END_NAMESPACE
