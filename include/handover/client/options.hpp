#pragma once
/// @file
/// Plain option structs for the client and its transport.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "handover/core/export.hpp"

HANDOVER_BEGIN_NAMESPACE

class HttpTransport;

/// Retry behaviour: bounded attempts, exponential backoff with full jitter.
struct RetryOptions {
  int max_attempts = 4;  ///< Attempts in all, the first included. 1 disables retries.
  /// Upper bound of the first retry's random delay; each retry multiplies it by `multiplier`.
  std::chrono::milliseconds initial_backoff{200};
  /// Cap on the delay bound. A longer `Retry-After` from the server still wins.
  std::chrono::milliseconds max_backoff{10'000};
  /// Growth of the delay bound per retry; values below 1 act as 1.
  double multiplier = 2.0;
  /// POSTs are retried only when the request provably never reached the server, unless this is
  /// set: thread-control calls are not idempotent (a repeated pass may fail as "not the owner").
  bool retry_non_idempotent = false;
};

/// Time sources, injectable so tests take no real time.
struct Clock {
  /// The current time, for deadlines and backoff.
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  /// How the sync client waits out a backoff; empty: std::this_thread::sleep_for. The async
  /// client waits with timers and refuses it when set.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Doxygen loses a comment above this declaration (the named parameter), hence `///<`.
  std::function<std::chrono::milliseconds(std::chrono::milliseconds bound)>
      jitter;  ///< A uniformly distributed value in [0, bound]; empty: a thread-local PRNG.
};

/// Options of `CurlTransport`.
struct CurlOptions {
  std::chrono::milliseconds connect_timeout{5'000};  ///< TCP and TLS connection setup.
  /// Per request, when the request has none: for direct `HttpTransport` use. Both clients give
  /// every attempt `ClientOptions::attempt_timeout`.
  std::chrono::milliseconds request_timeout{30'000};
  std::string ca_bundle_path;           ///< Empty: the system's CA store.
  std::string proxy;                    ///< Empty: libcurl's environment handling (http_proxy...).
  bool verify_tls = true;               ///< Keep on outside tests.
  std::size_t max_pooled_handles = 16;  ///< Idle easy handles kept for reuse (keep-alive).
  std::string user_agent = "handover-cpp";  ///< `User-Agent` header of every request.
};

/// Everything the client needs to talk to the Graph API (or the emulator).
struct ClientOptions {
  /// Page access token. Sent as `Authorization: Bearer ...`, never in a URL.
  std::string access_token;
  /// App secret; when set, `appsecret_proof` is added to every call.
  std::string app_secret;
  /// This app's id: `threadOwnership` compares the owner with it.
  std::string app_id;
  /// Page id, or "me" (with a Page token, `me` is the Page).
  std::string page_id = "me";
  /// Pinned Graph API version.
  std::string api_version = "v26.0";
  /// Scheme and host, no trailing slash: the emulator or a proxy in tests.
  std::string base_url = "https://graph.facebook.com";
  /// Bound on a whole call, retries and backoff included.
  std::chrono::milliseconds deadline{60'000};
  /// Per-attempt timeout handed to the transport.
  std::chrono::milliseconds attempt_timeout{20'000};
  RetryOptions retry;  ///< Attempts and backoff; see `RetryOptions`.
  Clock clock;         ///< Time sources; replace them in tests to take no real time.
  /// The sync client's transport; empty: a process-wide `CurlTransport` with default
  /// `CurlOptions`. The async client refuses it when set.
  std::shared_ptr<HttpTransport> transport;
};

HANDOVER_END_NAMESPACE
