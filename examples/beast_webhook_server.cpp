// A webhook endpoint on Boost.Beast: `webhook::Endpoint` behind `handleBeastRequest`, one
// asynchronous session per connection on a single I/O thread. Each request gets a deadline for
// its whole head and body, so slow clients (a header a byte a second) are cut off instead of
// holding the server, and the body limit holds for chunked bodies too. At most
// --max-connections connections are served at once (each may hold a body up to the 1 MiB cap):
// beyond that the server stops accepting, and new connections wait in the kernel's backlog
// until one closes, so memory stays bounded whatever the number of clients.
//
//   HANDOVER_APP_SECRET=... HANDOVER_VERIFY_TOKEN=... ./beast_webhook_server --port 8080
//
// Options (each also read from the environment variable in brackets):
//   --host H           address to bind (127.0.0.1)
//   --port N           port; 0 picks a free one, printed on the first line
//   --secret S         [HANDOVER_APP_SECRET]    app secret: signatures are checked with it
//   --verify-token T   [HANDOVER_VERIFY_TOKEN]  token typed in the App Dashboard
//   --request-seconds N  whole-request deadline per request (default 10)
//   --max-connections N  connections served at once (default 128)
//   --max-seconds N    exit after N seconds (0: run until SIGTERM/SIGINT)
//
// Behaviour: every event is printed ("event <kind> user=<id>"); handlers run on the endpoint's
// workers; no Graph call is made (the router is where your bot's logic goes).

#include <signal.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "handover/client/client.hpp"
#include "handover/endpoint/beast_adapter.hpp"
#include "handover/endpoint/endpoint.hpp"
#include "handover/testing/fake_connection.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace handover::webhook;

constexpr const char* kUsage =
    "usage: beast_webhook_server [--host H] [--port N] [--secret S] [--verify-token T]\n"
    "                            [--request-seconds N] [--max-connections N]\n"
    "                            [--max-seconds N]\n"
    "A Messenger/Instagram webhook endpoint on Boost.Beast: answers the GET handshake, checks\n"
    "X-Hub-Signature-256, answers 200 once the body is queued, runs the handlers on workers.\n"
    "Every request has a whole-request deadline, so slow clients cannot hold the server.\n"
    "Options (each also read from the environment variable in brackets):\n"
    "  --host H             address to bind (default 127.0.0.1)\n"
    "  --port N             port (default 8080); 0 picks a free one, printed on the first line\n"
    "  --secret S           [HANDOVER_APP_SECRET]    app secret: signatures are checked with it\n"
    "  --verify-token T     [HANDOVER_VERIFY_TOKEN]  token typed in the App Dashboard\n"
    "  --request-seconds N  deadline for a whole request, head and body (default 10)\n"
    "  --max-connections N  connections served at once (default 128); more wait to be accepted\n"
    "  --max-seconds N      exit after N seconds (default 0: until SIGTERM/SIGINT)\n";

std::mutex g_out;
void say(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out);
  std::cout << line << std::endl;
}

struct Config {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string secret, verify_token;
  long request_seconds = 10;
  long max_connections = 128;
  long max_seconds = 0;
};

// Accepts while fewer than `max_connections` sessions are open, and resumes when one ends. One
// I/O thread runs every handler, so the count needs no lock.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(tcp::acceptor& acceptor, Endpoint& endpoint, const Config& cfg)
      : acceptor_(acceptor), endpoint_(endpoint), cfg_(cfg) {}
  void accept();
  // After io.run(): sessions still pending end as the io_context goes, and must not accept.
  void stop() { stopped_ = true; }
  void sessionEnded() {
    --open_;
    if (paused_ && !stopped_) {
      paused_ = false;
      accept();
    }
  }

 private:
  tcp::acceptor& acceptor_;
  Endpoint& endpoint_;
  const Config& cfg_;
  long open_ = 0;
  bool paused_ = false;
  bool stopped_ = false;
};

// One connection: read a request under a deadline, answer it, repeat while kept alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Endpoint& endpoint, const Config& cfg,
          std::shared_ptr<Listener> listener)
      : stream_(std::move(socket)),
        endpoint_(endpoint),
        cfg_(cfg),
        listener_(std::move(listener)) {}
  ~Session() { listener_->sessionEnded(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(endpoint_.maxBodyBytes() + 1);  // the endpoint answers 413
    parser_->header_limit(16 * 1024);                   // bounds the number of headers
    stream_.expires_after(std::chrono::seconds(cfg_.request_seconds));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      respond(refusal(http::status::payload_too_large, "body too large"));
      return;
    }
    if (ec == http::error::header_limit) {  // e.g. 100,000 headers
      respond(refusal(http::status::request_header_fields_too_large, "headers too large"));
      return;
    }
    if (ec) {  // timeout (a slow client), closed connection, malformed request
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    respond(handleBeastRequest(endpoint_, "/webhook", parser_->get()));
  }

  static http::response<http::string_body> refusal(http::status status, const char* text) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "text/plain");
    res.body() = text;
    res.keep_alive(false);
    res.prepare_payload();
    return res;
  }

  void respond(http::response<http::string_body> res) {
    auto shared = std::make_shared<http::response<http::string_body>>(std::move(res));
    stream_.expires_after(std::chrono::seconds(cfg_.request_seconds));
    http::async_write(stream_, *shared,
                      [self = shared_from_this(), shared](beast::error_code ec, std::size_t) {
                        if (ec || !shared->keep_alive()) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                          return;
                        }
                        self->read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Endpoint& endpoint_;
  const Config& cfg_;
  std::shared_ptr<Listener> listener_;  // outlives every session, even past io.run()
};

void Listener::accept() {
  if (open_ >= cfg_.max_connections) {
    paused_ = true;  // the next session to end resumes
    return;
  }
  acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      ++self->open_;
      std::make_shared<Session>(std::move(socket), self->endpoint_, self->cfg_, self)->start();
    }
    if (!self->stopped_ && self->acceptor_.is_open()) self->accept();
  });
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

bool parseArgs(int argc, char** argv, Config& c) {
  c.secret = env("HANDOVER_APP_SECRET");
  c.verify_token = env("HANDOVER_VERIFY_TOKEN");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::cerr << "missing value for " << a << " (see --help)\n";
      return false;
    }
    const std::string v = argv[++i];
    try {
      if (a == "--host") {
        c.host = v;
      } else if (a == "--port") {
        c.port = static_cast<unsigned short>(std::stoi(v));
      } else if (a == "--secret") {
        c.secret = v;
      } else if (a == "--verify-token") {
        c.verify_token = v;
      } else if (a == "--request-seconds") {
        c.request_seconds = std::stol(v);
      } else if (a == "--max-connections") {
        c.max_connections = std::stol(v);
      } else if (a == "--max-seconds") {
        c.max_seconds = std::stol(v);
      } else {
        std::cerr << "unknown option " << a << "\n";
        return false;
      }
    } catch (const std::exception&) {
      std::cerr << "bad value for " << a << "\n";
      return false;
    }
  }
  if (c.max_connections < 1) {
    std::cerr << "--max-connections must be at least 1\n";
    return false;
  }
  if (c.secret.empty() || c.verify_token.empty()) {
    std::cerr << "an app secret and a verify token are required (see --help)\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  if (!parseArgs(argc, argv, cfg)) return 2;

  Router router;
  router.onAny([](Context& ctx, const Event& e) {
    say(std::string("event ") + toString(e.kind()) + " user=" + ctx.userId());
  });
  EndpointOptions options;
  options.app_secret = cfg.secret;
  options.verify_token = cfg.verify_token;
  options.on_event = [](const EndpointEvent& e) { say(e.message); };
  // No Graph calls here: a fake connection stands in for the client the router hands out.
  Endpoint endpoint(options, std::move(router),
                    handover::Client(std::make_shared<handover::testing::FakeConnection>()));

  asio::io_context io;
  beast::error_code ec;
  tcp::acceptor acceptor(io);
  const tcp::endpoint where(asio::ip::make_address(cfg.host, ec), cfg.port);
  if (ec || acceptor.open(where.protocol(), ec) || acceptor.bind(where, ec) ||
      acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
    std::cerr << "cannot bind " << cfg.host << ":" << cfg.port << ": " << ec.message() << "\n";
    return 1;
  }
  say("listening on http://" + cfg.host + ":" + std::to_string(acceptor.local_endpoint().port()) +
      "/webhook");
  auto listener = std::make_shared<Listener>(acceptor, endpoint, cfg);
  listener->accept();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { io.stop(); });
  asio::steady_timer limit(io);
  if (cfg.max_seconds > 0) {
    limit.expires_after(std::chrono::seconds(cfg.max_seconds));
    limit.async_wait([&](beast::error_code e) {
      if (!e) io.stop();
    });
  }
  io.run();
  listener->stop();
  endpoint.stop(std::chrono::seconds(10));
  say("stopped");
  return 0;
}
