// Graph call throughput against a loopback server, next to raw libcurl baselines in the same
// run. Every mode sends the same `POST /v26.0/me/pass_thread_control` with the token in a header.
//
//   graph_bench <base url> <mode> <requests> [in flight]
//   modes: raw_easy  one reused easy handle, sequential (the sync client's baseline)
//          raw_multi curl_multi with N transfers in flight (the async client's baseline)
//          sync      handover::Client::passThreadControl, sequential
//          async     handover::AsyncClient::passThreadControl, N in flight
// Prints: RESULT <mode>_c<N>_rps <value> req/s  and  RESULT <mode>_c<N>_cpu_us <value> us/req
// (CPU: user+system of this process, every thread, per request).

#include <curl/curl.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "handover/client/async_client.hpp"
#include "handover/client/client.hpp"

namespace {

const char* const kToken = "EAAGbenchPAGEtoken0123456789abcdef";
const char* const kBody =
    R"({"recipient":{"id":"6543210987654321"},"target_app_id":"263902037430900","metadata":"bench"})";

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::size_t sink(char*, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append("", 0);
  return size * n;
}

struct RawHandle {
  CURL* h = curl_easy_init();
  std::string body;
  RawHandle(const std::string& url, curl_slist* headers) {
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, kBody);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  }
  ~RawHandle() { curl_easy_cleanup(h); }
};

curl_slist* rawHeaders() {
  curl_slist* l = nullptr;
  l = curl_slist_append(l, (std::string("Authorization: Bearer ") + kToken).c_str());
  l = curl_slist_append(l, "Content-Type: application/json");
  l = curl_slist_append(l, "Expect:");
  return l;
}

std::size_t rawEasy(const std::string& url, std::size_t requests) {
  curl_slist* headers = rawHeaders();
  RawHandle one(url, headers);
  std::size_t ok = 0;
  for (std::size_t i = 0; i < requests; ++i) {
    long status = 0;
    if (curl_easy_perform(one.h) == CURLE_OK &&
        curl_easy_getinfo(one.h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200) {
      ++ok;
    }
  }
  curl_slist_free_all(headers);
  return ok;
}

std::size_t rawMulti(const std::string& url, std::size_t requests, std::size_t inflight) {
  curl_slist* headers = rawHeaders();
  CURLM* multi = curl_multi_init();
  std::vector<std::unique_ptr<RawHandle>> handles;
  std::size_t started = 0, ok = 0, done = 0;
  for (std::size_t i = 0; i < inflight && started < requests; ++i, ++started) {
    handles.push_back(std::make_unique<RawHandle>(url, headers));
    curl_multi_add_handle(multi, handles.back()->h);
  }
  while (done < requests) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      ++done;
      long status = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      if (m->data.result == CURLE_OK && status == 200) ++ok;
      CURL* h = m->easy_handle;
      curl_multi_remove_handle(multi, h);
      if (started < requests) {
        ++started;
        curl_multi_add_handle(multi, h);
      }
    }
    if (done < requests) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  for (auto& h : handles) curl_multi_remove_handle(multi, h->h);
  handles.clear();
  curl_multi_cleanup(multi);
  curl_slist_free_all(headers);
  return ok;
}

handover::ClientOptions clientOptions(const std::string& base) {
  handover::ClientOptions o;
  o.access_token = kToken;
  o.base_url = base;
  return o;
}

std::size_t syncClient(const std::string& base, std::size_t requests) {
  handover::Client client(clientOptions(base));
  std::size_t ok = 0;
  for (std::size_t i = 0; i < requests; ++i) {
    ok += client.passThreadControl("6543210987654321", "263902037430900", "bench").has_value();
  }
  return ok;
}

std::size_t asyncClient(const std::string& base, std::size_t requests, std::size_t inflight) {
  handover::AsyncClientOptions o;
  o.client = clientOptions(base);
  o.max_in_flight = inflight;
  o.max_pending = 1024;  // the default: the submitter runs ahead, blocking only when 1024 wait
  std::atomic<std::size_t> ok{0};
  {
    handover::AsyncClient client(o);
    const handover::PassThreadControlRequest request{"6543210987654321", "263902037430900",
                                                     "bench"};
    for (std::size_t i = 0; i < requests; ++i) {
      (void)client.passThreadControl(request, [&ok](const handover::Result<void>& r) {
        if (r) ok.fetch_add(1, std::memory_order_relaxed);
      });
    }
  }  // the destructor drains every call
  return ok.load();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: graph_bench <base url> <mode> <requests> [in flight]\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string base = argv[1];
  const std::string mode = argv[2];
  const std::size_t requests = std::strtoull(argv[3], nullptr, 10);
  const std::size_t inflight = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
  const std::string url = base + "/v26.0/me/pass_thread_control";

  const auto run = [&](std::size_t n) -> std::size_t {
    if (mode == "raw_easy") return rawEasy(url, n);
    if (mode == "raw_multi") return rawMulti(url, n, inflight);
    if (mode == "sync") return syncClient(base, n);
    if (mode == "async") return asyncClient(base, n, inflight);
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    std::exit(2);
  };
  run(std::min<std::size_t>(200, requests));  // warm-up: connections, caches
  const double cpu0 = cpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t ok = run(requests);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpuSeconds() - cpu0;
  if (ok != requests) {
    std::fprintf(stderr, "graph_bench %s: %zu of %zu requests failed\n", mode.c_str(),
                 requests - ok, requests);
    return 1;
  }
  const std::string tag = mode + "_c" + std::to_string(inflight);
  std::printf("RESULT %s_rps %.1f req/s\n", tag.c_str(), static_cast<double>(requests) / seconds);
  std::printf("RESULT %s_cpu_us %.2f us/req\n", tag.c_str(),
              cpu * 1e6 / static_cast<double>(requests));
  return 0;
}
