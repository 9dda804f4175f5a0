#include "handover/emulator/emulator.hpp"

#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

#include "emulator_impl.hpp"

HANDOVER_BEGIN_NAMESPACE
namespace emulator {

Emulator::Impl::Impl(Config config)
    : start_steady(std::chrono::steady_clock::now()),
      base_epoch_ms(epochMillis(
          config.start_time.value_or(std::chrono::time_point_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now())))),
      world(std::move(config), [this] { return now(); }),
      delivery(
          world.config().delivery, [this](const detail::DeliveryRecord& r) { recordDelivery(r); },
          [this](const detail::HandshakeRecord& r) { recordHandshake(r); }) {
  for (const auto& a : world.config().apps) {
    if (!a.webhook_url.empty()) {
      delivery.addApp(a.id, a.webhook_url, a.app_secret, a.verify_token);
    }
  }
  world.setMidPrefix(midPrefix());
  graph_faults.set(world.config().faults);  // validated with the config
  world.setLeadGen(world.config().faults.lead_gen);
  fault_seed = world.config().faults.seed;
  delivery.setFaults(world.config().faults.delivery, fault_seed);
  // One request per connection: httplib's stop() otherwise waits out every idle keep-alive
  // connection (5 s each), and a stopped emulator must release its port at once.
  server.set_keep_alive_max_count(1);
  // Bodies are bounded before they are read (413): a 200 MiB POST once took 861 MB.
  server.set_payload_max_length(detail::kMaxRequestBody);
  // What httplib answers itself (413 past that bound, 400 for a request it cannot read) gets a
  // JSON error body like every other answer, not an empty one.
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                                   httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string what =
        res.status == 413
            ? "the request body is over the emulator's bound of " +
                  std::to_string(detail::kMaxRequestBody) + " bytes"
            : "the emulator could not read this request (HTTP " + std::to_string(res.status) + ")";
    res.set_content(detail::errorBody(handover::detail::invalidArgument(what)), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  // httplib's default adds SO_REUSEPORT, which lets a second emulator bind the same port and
  // silently share traffic; a busy port must be an error instead.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof(yes));
  });
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    requestStartedAt() = std::chrono::steady_clock::now();  // for the latency on record
    {
      std::lock_guard<std::mutex> lock(world_mu);
      stampAtRequestStart() = world.lastStamp();
    }
    return guardControl(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                  : httplib::Server::HandlerResponse::Handled;
  });
  routes();
}

std::string Emulator::Impl::midPrefix() {
  std::random_device rd;
  const std::uint64_t nonce = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string text;
  for (std::uint64_t n = nonce; text.size() < 8; n /= 36) text += kDigits[n % 36];
  return "m_emu_" + text + "_";
}

Emulator::Emulator(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Emulator::~Emulator() {
  stop();
}

Result<std::unique_ptr<Emulator>> Emulator::fromJson(std::string_view json) {
  auto config = parseConfig(json);
  if (!config) return std::move(config).error();
  return std::make_unique<Emulator>(std::move(*config));
}

Result<std::unique_ptr<Emulator>> Emulator::fromFile(const std::string& path) {
  auto config = loadConfigFile(path);
  if (!config) return std::move(config).error();
  return std::make_unique<Emulator>(std::move(*config));
}

Result<int> Emulator::start(const std::string& host, int port) {
  Impl& d = *impl_;
  if (d.port != 0)
    return handover::detail::invalidArgument("emulator already started on port " +
                                             std::to_string(d.port));
  int bound = port;
  errno = 0;
  if (port == 0) {
    bound = d.server.bind_to_any_port(host);
  } else if (!d.server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    const int err = errno;  // bind's, when httplib's clean-up left it alone
    Error e;
    e.category = ErrorCategory::kTransport;
    e.message = "emulator: cannot listen on " + host + ":" + std::to_string(port);
    if (err == EADDRINUSE) {
      e.message += ": port " + std::to_string(port) + " is in use (another process listens there)";
    } else if (err != 0) {
      e.message += ": " + std::error_code(err, std::generic_category()).message();
    }
    return e;
  }
  d.host = host;
  d.port = bound;
  if (d.servesBeyondLoopback()) d.control_token = Impl::newControlToken();
  d.stopped = false;
  d.delivery.start();
  d.server_thread = std::thread([&d] { d.server.listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs: wait for it so a quick stop()
  // cannot leave the server thread listening forever.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!d.server.is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return bound;
}

std::string Emulator::controlToken() const {
  return impl_->control_token;
}

void Emulator::wait() {
  std::unique_lock<std::mutex> lock(impl_->run_mu);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped || impl_->port == 0; });
}

void Emulator::stop() {
  Impl& d = *impl_;
  if (d.port != 0) {
    d.server.stop();
    if (d.server_thread.joinable()) d.server_thread.join();
  }
  d.delivery.stop();
  {
    std::lock_guard<std::mutex> lock(d.run_mu);
    d.stopped = true;
  }
  d.stopped_cv.notify_all();
}

int Emulator::port() const noexcept {
  return impl_->port;
}

std::string Emulator::baseUrl() const {
  const std::string& h = impl_->host.empty() ? std::string("127.0.0.1") : impl_->host;
  const bool v6 = h.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + h + "]" : h) + ":" + std::to_string(impl_->port);
}

Result<InjectedEvent> Emulator::sendUserMessage(const UserMessage& message) {
  return impl_->sendUserMessage(message);
}

Result<InjectedEvent> Emulator::sendWhatsAppMessage(const std::string& phone_number_id,
                                                    const std::string& user_id,
                                                    const std::string& text,
                                                    const std::string& entry_point) {
  UserMessage m;
  m.page_id = phone_number_id;
  m.user_id = user_id;
  m.text = text;
  return impl_->sendWhatsAppMessage(m, entry_point);
}
Result<InjectedEvent> Emulator::sendUserPostback(const std::string& page_id,
                                                 const std::string& user_id,
                                                 const std::string& title,
                                                 const std::string& payload) {
  return impl_->sendUserPostback(page_id, user_id, title, payload);
}
Result<InjectedEvent> Emulator::sendUserRead(const std::string& page_id,
                                             const std::string& user_id) {
  return impl_->sendUserRead(page_id, user_id);
}
Result<InjectedEvent> Emulator::inboxReply(const std::string& page_id, const std::string& user_id,
                                           const std::string& text) {
  return impl_->inboxReply(page_id, user_id, text);
}
Result<void> Emulator::inboxMove(const std::string& page_id, const std::string& user_id,
                                 InboxFolder folder) {
  return impl_->inboxMove(page_id, user_id, folder);
}
Result<void> Emulator::setRole(const std::string& page_id, const std::string& app_id, Role role) {
  return impl_->setRole(page_id, app_id, role);
}
Result<void> Emulator::setDefaultApp(const std::string& page_id, const std::string& app_id) {
  return impl_->setDefaultApp(page_id, app_id);
}
void Emulator::setConsole(std::function<void(const std::string&)> sink) {
  std::lock_guard<std::mutex> lock(impl_->console_mu);
  impl_->console = std::move(sink);
}

Result<std::vector<WebhookSubscriptionState>> Emulator::verifyWebhooks(const std::string& app_id) {
  return impl_->verifyWebhooks(app_id);
}

Result<std::vector<WebhookSubscriptionState>> Emulator::Impl::verifyWebhooks(
    const std::string& app_id) {
  if (!app_id.empty()) {
    const AppConfig* a = world.app(app_id);
    if (a == nullptr || a->webhook_url.empty() || a->verify_token.empty()) {
      return handover::detail::invalidArgument("app " + app_id +
                                               " has no webhook_url and verify_token to verify");
    }
  }
  // The GET may wait out the delivery timeout, and a refused connection can be retried once.
  const auto wait = 2 * world.config().delivery.timeout + std::chrono::seconds(1);
  std::vector<WebhookSubscriptionState> out;
  for (const auto& [id, state] : delivery.verifyAgain(app_id, wait)) {
    out.push_back({id, state});
  }
  return out;
}

Result<void> Emulator::advanceClock(std::chrono::seconds by) {
  return impl_->advanceClock(by);
}
Result<void> Emulator::setFaults(const Faults& faults) {
  return impl_->setFaults(faults);
}
Faults Emulator::faults() const {
  return impl_->faults();
}
Result<void> Emulator::leadGenPass(const std::string& page_id, const std::string& user_id,
                                   const std::string& target_app_id, bool complete) {
  return impl_->leadGenPass(page_id, user_id, target_app_id, complete);
}
Timestamp Emulator::now() const {
  return fromEpochMillis(impl_->now());
}
Result<ThreadState> Emulator::threadState(const std::string& page_id,
                                          const std::string& user_id) const {
  return impl_->threadState(page_id, user_id);
}
std::string Emulator::timelineJson() const {
  return impl_->timelineJson();
}
bool Emulator::waitForDeliveries(std::chrono::milliseconds timeout) {
  return impl_->delivery.waitIdle(timeout);
}
std::size_t Emulator::pendingDeliveries(const std::string& app_id) const {
  return impl_->delivery.pending(app_id);
}

const char* Emulator::controlApiHelp() noexcept {
  return "handover emulator control API (JSON bodies, ids as strings)\n"
         "  POST /_emulator/user/message   {page_id,user_id,text[,quick_reply_payload]}\n"
         "  POST /_emulator/user/postback  {page_id,user_id,title,payload}\n"
         "  POST /_emulator/user/read      {page_id,user_id}\n"
         "  POST /_emulator/inbox/reply    {page_id,user_id,text}\n"
         "  POST /_emulator/inbox/move     {page_id,user_id,folder:\"main\"|\"done\"}\n"
         "  POST /_emulator/roles          "
         "{page_id,app_id,role:\"primary\"|\"secondary\"|\"none\"}\n"
         "  POST /_emulator/default_app    {page_id,app_id}  (\"\" unsets)\n"
         "  POST /_emulator/clock/advance  {seconds}\n"
         "  GET  /_emulator/clock\n"
         "  GET  /_emulator/threads/{page_id}/{user_id}\n"
         "  GET  /_emulator/timeline[?since=SEQ&kind=graph|delivery|control|warning&app=ID]\n"
         "  POST /_emulator/subscriptions/verify {[app_id]}  the webhook verification again\n"
         "  POST /_emulator/deliveries/wait {timeout_ms}\n"
         "  POST /_emulator/deliveries/redeliver {seq}  (a delivery's timeline seq)\n"
         "  GET  /_emulator/world          pages, apps, roles, the clock\n"
         "  GET  /_emulator/conversations[?since=VERSION&since_ms=NOW_MS]  every thread (or those\n"
         "       changed since a previous answer): owner, ownership history, chat\n"
         "  GET  /_emulator/ui/            the web inspector (open it in a browser)\n"
         "  GET|POST|DELETE /_emulator/faults  injected faults (the config's \"faults\" object)\n"
         "  POST /_emulator/leadgen/pass   {page_id,user_id,target_app_id[,complete]}\n"
         "  GET  /_emulator/scenario       this session as a scenario skeleton\n"
         "Graph: /{version}/{page-id|me}/{pass,take,request,release,extend}_thread_control,\n"
         "  thread_owner, secondary_receivers, ?fields=messaging_feature_status, messages,\n"
         "  personas; /{version}/{persona-id}. Token: Authorization: Bearer, or access_token.\n";
}

}  // namespace emulator
HANDOVER_END_NAMESPACE
