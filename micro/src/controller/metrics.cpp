// GET /metrics: Prometheus's text format, for a scraper holding kato's scrape token (or an
// admin). Counters come from the router, stager and token endpoint as they count; the present
// (instances, service servers, disk) is asked of its owners now, outside any lock of theirs
// that a request holds.

#include "brokers/brokers.hpp"
#include "controller/handlers.hpp"
#include "metrics/metrics.hpp"
#include "model/model.hpp"
#include "runner/runner.hpp"

namespace kato::controller {

void Controller::Impl::add_metrics_routes() {
  add("GET", "/metrics", {Need::Scrape}, [this](Call& c) {
    c.allow_query({});
    if (!backends.metrics) throw ApiError(404, 10000, "CF-NotFound", "Unknown request");
    metrics::Metrics::Snapshot now;
    now.data = config.data_dir;
    std::map<std::string, runner::Runner::Census> census;
    if (backends.runner)
      for (const auto& x : backends.runner->census()) census[x.app] = x;
    model::Model m(store);
    for (const auto& doc : store.list("app")) {
      model::App app = model::parse_app(doc);
      metrics::Metrics::App a;
      a.guid = app.guid;
      a.name = app.name;
      if (auto space = m.space(app.space_guid)) a.space = space->name;
      if (app.runnable())
        if (auto web = m.web_process(app.guid)) a.wanted = web->instances;
      if (auto it = census.find(app.guid); it != census.end()) {
        a.running = it->second.running;
        a.crashed = it->second.crashed;
        a.restarts = it->second.restarts;
      }
      now.apps.push_back(a);
    }
    if (backends.brokers)
      for (auto* b : backends.brokers->all()) {
        if (b->label() == "filesystem") continue;  // no server of its own
        bool started = b->started();
        now.services.push_back({b->label(), started, started && b->answers()});
      }
    return http::Response{200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                          backends.metrics->render(now)};
  });
}

}  // namespace kato::controller
