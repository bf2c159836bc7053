#include "metrics/metrics.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace kato::metrics {

namespace {

const prometheus::Histogram::BucketBoundaries kLatency = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const prometheus::Histogram::BucketBoundaries kStaging = {1, 2, 5, 10, 20, 30, 60, 120, 300, 600};

std::string status_class(unsigned status) { return std::to_string(status / 100) + "xx"; }

}  // namespace

struct Metrics::Impl {
  static std::uint64_t next_id() {
    static std::atomic<std::uint64_t> ids{0};
    return ++ids;
  }
  const std::uint64_t id = next_id();
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("kato_router_requests_total")
          .Help("Requests the router answered for an app, by status class")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("kato_router_request_duration_seconds")
          .Help("Time from the request's head to the response's end, per app")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& staging =
      prometheus::BuildHistogram()
          .Name("kato_staging_duration_seconds")
          .Help("Stagings by outcome")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& token_failures =
      prometheus::BuildCounter()
          .Name("kato_token_failures_total")
          .Help("Refused logins and refresh tokens at the token endpoint")
          .Register(*registry);
  prometheus::Counter& token_failure = token_failures.Add({});
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

// The router counts every request: each io thread keeps the series it has used, so that a
// request costs a lookup in its own map and the series' own updates, not a family's lock and a
// hash of the labels. Series live as long as their family (never removed); the cache is keyed by
// the Metrics' id so that another Metrics at the same address never finds stale series.
void Metrics::request(const std::string& app_guid, unsigned status, double seconds) {
  struct Series {
    prometheus::Counter* by_class[6] = {};
    prometheus::Histogram* latency = nullptr;
  };
  thread_local std::uint64_t owner = 0;
  thread_local std::unordered_map<std::string, Series> cache;
  if (owner != impl_->id) {
    cache.clear();
    owner = impl_->id;
  }
  Series& s = cache[app_guid];
  unsigned cls = std::min(status / 100, 5u);
  if (!s.by_class[cls]) s.by_class[cls] = &impl_->requests.Add({{"app", app_guid}, {"status", status_class(status)}});
  if (!s.latency) s.latency = &impl_->latency.Add({{"app", app_guid}}, kLatency);
  s.by_class[cls]->Increment();
  s.latency->Observe(seconds);
}

void Metrics::staged(double seconds, bool ok) {
  impl_->staging.Add({{"outcome", ok ? "staged" : "failed"}}, kStaging).Observe(seconds);
}

void Metrics::token_failure() { impl_->token_failure.Increment(); }

std::string Metrics::render(const Snapshot& now) {
  // The present, in a registry of its own made for this scrape: apps gone since are not shown.
  prometheus::Registry present;
  auto& info = prometheus::BuildGauge().Name("kato_app_info").Help("An app's name and space, by guid").Register(present);
  auto& instances = prometheus::BuildGauge()
                        .Name("kato_app_instances")
                        .Help("Instances of an app's web process: wanted, running, crashed")
                        .Register(present);
  auto& restarts = prometheus::BuildGauge()
                       .Name("kato_app_restarts")
                       .Help("Crashes of an app's instances (each restarted) since kato started")
                       .Register(present);
  for (const auto& a : now.apps) {
    info.Add({{"app", a.guid}, {"name", a.name}, {"space", a.space}}).Set(1);
    instances.Add({{"app", a.guid}, {"state", "wanted"}}).Set(static_cast<double>(a.wanted));
    instances.Add({{"app", a.guid}, {"state", "running"}}).Set(static_cast<double>(a.running));
    instances.Add({{"app", a.guid}, {"state", "crashed"}}).Set(static_cast<double>(a.crashed));
    restarts.Add({{"app", a.guid}}).Set(static_cast<double>(a.restarts));
  }
  auto& up = prometheus::BuildGauge()
                 .Name("kato_service_up")
                 .Help("1 when a started service server answers its probe, 0 when it does not")
                 .Register(present);
  auto& started = prometheus::BuildGauge()
                      .Name("kato_service_started")
                      .Help("1 when the service's server was started (servers start on first use)")
                      .Register(present);
  for (const auto& s : now.services) {
    started.Add({{"service", s.name}}).Set(s.started ? 1 : 0);
    if (s.started) up.Add({{"service", s.name}}).Set(s.up ? 1 : 0);
  }
  std::error_code ec;
  auto space = std::filesystem::space(now.data, ec);
  if (!ec) {
    auto& free = prometheus::BuildGauge()
                     .Name("kato_disk_free_bytes")
                     .Help("Free space of the data dir's filesystem, for unprivileged users")
                     .Register(present);
    auto& size = prometheus::BuildGauge().Name("kato_disk_size_bytes").Help("Size of the data dir's filesystem").Register(present);
    free.Add({{"path", now.data.string()}}).Set(static_cast<double>(space.available));
    size.Add({{"path", now.data.string()}}).Set(static_cast<double>(space.capacity));
  }
  auto families = impl_->registry->Collect();
  auto current = present.Collect();
  families.insert(families.end(), current.begin(), current.end());
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace kato::metrics
