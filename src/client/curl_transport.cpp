#include "handover/client/curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "curl_common.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace {

struct Transfer {
  HttpResponse response;
  bool too_large = false;
};

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->response.body.size() + n > detail::kMaxResponseBytes) {
    t->too_large = true;
    return 0;  // aborts with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  // Views, not copies: this runs for every header line of every response.
  const std::string_view line(data, n);
  // A new status line (after 100 Continue, say) starts a new header block.
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();
    return n;
  }
  detail::appendHeaderLine(t->response.headers, line);
  return n;
}

}  // namespace

struct CurlTransport::Impl {
  CurlOptions options;
  std::mutex mutex;
  std::vector<CURL*> idle;  // guarded by mutex

  CURL* acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }

  void release(CURL* h) {
    // Reset clears options but keeps the handle's live connections and caches for keep-alive.
    curl_easy_reset(h);
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (idle.size() < options.max_pooled_handles) {
        idle.push_back(h);
        return;
      }
    }
    curl_easy_cleanup(h);
  }
};

CurlTransport::CurlTransport(CurlOptions options) : impl_(std::make_unique<Impl>()) {
  detail::curlGlobalInit();
  impl_->options = std::move(options);
}

CurlTransport::~CurlTransport() {
  for (CURL* h : impl_->idle) curl_easy_cleanup(h);
}

const CurlOptions& CurlTransport::options() const noexcept {
  return impl_->options;
}

std::shared_ptr<CurlTransport> CurlTransport::shared() {
  static const std::shared_ptr<CurlTransport> instance = std::make_shared<CurlTransport>();
  return instance;
}

Result<HttpResponse> CurlTransport::send(const HttpRequest& request) {
  const CurlOptions& o = impl_->options;
  CURL* h = impl_->acquire();
  if (h == nullptr) {
    Error e;
    e.message = "curl_easy_init failed";
    e.request_not_sent = true;
    return e;
  }
  Transfer t;
  t.response.headers.reserve(12);  // one allocation for a typical answer's header lines
  char detail[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  std::string line;  // one buffer for every "Name: value" line (curl copies it)
  for (const auto& [name, value] : request.headers) {
    line.assign(name).append(": ").append(value);
    headers = curl_slist_append(headers, line.c_str());
  }
  // No "Expect: 100-continue" round trip for small JSON bodies.
  headers = curl_slist_append(headers, "Expect:");

  const auto total = request.timeout.count() > 0 ? request.timeout : o.request_timeout;
  const auto connect = std::min(o.connect_timeout, total);

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
  if (!o.ca_bundle_path.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_bundle_path.c_str());
  if (!o.proxy.empty()) curl_easy_setopt(h, CURLOPT_PROXY, o.proxy.c_str());
  if (!o.user_agent.empty()) curl_easy_setopt(h, CURLOPT_USERAGENT, o.user_agent.c_str());
  // No CURLOPT_ACCEPT_ENCODING: Graph answers are small, and the header line and decoder set-up
  // cost libcurl more per request than compression saves (measured in tests/bench/graph).
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (request.method == HttpMethod::kGet) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    if (request.method != HttpMethod::kPost) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, toString(request.method));
    }
    if (request.method == HttpMethod::kPost || !request.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  const CURLcode code = curl_easy_perform(h);
  long status = 0;
  if (code == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  Result<HttpResponse> out = [&]() -> Result<HttpResponse> {
    if (code != CURLE_OK) return detail::curlTransferError(code, {}, detail, t.too_large);
    t.response.status = static_cast<int>(status);
    return std::move(t.response);
  }();
  curl_slist_free_all(headers);
  impl_->release(h);
  return out;
}

HANDOVER_END_NAMESPACE
