#pragma once
/// @file
/// `CurlTransport`: the production `HttpTransport`, over libcurl.

#include <memory>
#include "handover/core/export.hpp"

#include "handover/client/options.hpp"
#include "handover/core/http_transport.hpp"

HANDOVER_BEGIN_NAMESPACE

/// HTTP over libcurl with pooled easy handles (keep-alive connections are reused).
///
/// libcurl's global initialisation runs once per process, on first construction; it is never
/// undone. Each `send` borrows an idle handle from the pool, or creates one, so concurrent
/// callers never wait for each other's requests. TLS peer and host verification are on unless
/// `CurlOptions::verify_tls` is false. Signals are never used (`CURLOPT_NOSIGNAL`).
///
/// Errors: kTimeout when a timeout expires; kTransport otherwise, with `request_not_sent` set
/// when the connection was never established (DNS failure, connection refused, TLS handshake).
/// Error messages never contain the URL's query string or any header.
///
/// Thread-safety: `send` may be called from any number of threads at once.
class HANDOVER_EXPORT CurlTransport final : public HttpTransport {
 public:
  /// A transport with `options`; runs libcurl's global initialisation on first use in the
  /// process (throws `std::runtime_error` if that fails).
  explicit CurlTransport(CurlOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  /// Performs `request` on a pooled handle; any HTTP status is a response. Bodies over 16 MiB
  /// are refused with kTransport.
  Result<HttpResponse> send(const HttpRequest& request) override;

  /// The options this transport was built with.
  const CurlOptions& options() const noexcept;

  /// The process-wide transport `Client`s use when none is configured (default options).
  static std::shared_ptr<CurlTransport> shared();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

HANDOVER_END_NAMESPACE
