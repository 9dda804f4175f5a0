#include "handover/webhook/router.hpp"

#include <string>

HANDOVER_BEGIN_NAMESPACE
namespace webhook {

Router& Router::on(EventKind kind, EventHandler handler, Source source) {
  routes_.push_back(Route{kind, source, std::move(handler)});
  return *this;
}

Router& Router::add(Route route, bool catch_all) {
  (catch_all ? catch_all_ : routes_).push_back(std::move(route));
  return *this;
}

Router& Router::onFailure(std::function<void(const DispatchFailure&)> observer) {
  observer_ = std::move(observer);
  return *this;
}

bool Router::matches(const Route& r, const Event& e) {
  if (r.kind && *r.kind != e.kind()) return false;
  switch (r.source) {
    case Source::kMessaging:
      return !e.standby;
    case Source::kStandby:
      return e.standby;
    case Source::kAny:
      return true;
  }
  return false;
}

void Router::report(DispatchReport& report, DispatchFailure failure) const {
  if (observer_) {
    try {
      observer_(failure);
    } catch (...) {
      // An observer must not stop the batch either.
    }
  }
  report.failures.push_back(std::move(failure));
}

DispatchReport Router::dispatch(const Batch& batch, const Client& client,
                                CallObserver* observer) const {
  return dispatch(batch,
                  ClientResolver([&client](const std::string&, Platform) -> std::optional<Client> {
                    return client;
                  }),
                  observer);
}

DispatchReport Router::dispatch(const Batch& batch, const ClientResolver& resolver,
                                CallObserver* observer) const {
  DispatchReport rep;
  rep.events = batch.events.size();
  for (const EventError& err : batch.errors) {
    std::string where = "entry " + std::to_string(err.entry_index);
    if (err.event_index) where += " event " + std::to_string(*err.event_index);
    report(rep, DispatchFailure{std::nullopt, std::nullopt,
                                "unreadable webhook event (" + where + "): " + err.message});
  }
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    const Event& e = batch.events[i];
    const EventKind kind = e.kind();
    std::optional<Context> ctx;
    bool handled = false;
    bool skipped = false;
    auto run = [&](const Route& r) {
      if (skipped || !matches(r, e)) return;
      if (!ctx) {
        std::optional<Client> client;
        std::string failure;  // one report per event, whichever way the resolver failed
        try {
          client = resolver(e.page_id, e.platform);
          if (!client) failure = "no client for page " + e.page_id;
        } catch (const std::exception& ex) {
          failure = std::string("client resolver threw: ") + ex.what();
        } catch (...) {
          failure = "client resolver threw";
        }
        if (!client) {
          skipped = true;
          report(rep, DispatchFailure{i, kind, std::move(failure)});
          return;
        }
        ctx.emplace(std::move(*client), e, observer);
      }
      handled = true;
      try {
        Result<void> r2 = r.handler(*ctx, e);
        if (!r2) report(rep, DispatchFailure{i, kind, r2.error().toString()});
      } catch (const std::exception& ex) {
        report(rep, DispatchFailure{i, kind, std::string("handler threw: ") + ex.what()});
      } catch (...) {
        report(rep, DispatchFailure{i, kind, "handler threw a non-std exception"});
      }
    };
    for (const Route& r : routes_) run(r);
    for (const Route& r : catch_all_) run(r);
    if (handled) {
      ++rep.handled;
    } else {
      ++rep.unhandled;
    }
  }
  return rep;
}

}  // namespace webhook
HANDOVER_END_NAMESPACE
