// Managed service instances: the marketplace (one offering per broker, its plans), instances
// created and deleted as jobs on the brokers' worker thread, bindings with their own users.

#include "brokers/brokers.hpp"
#include "controller/handlers.hpp"
#include "model/model.hpp"
#include "stager/stager.hpp"

namespace kato::controller {

void Controller::Impl::register_offerings() {
  if (!backends.brokers) return;
  store.transaction([&] {
    for (auto* b : backends.brokers->all()) {
      std::string now = now_iso();
      json offering;
      for (const auto& o : store.list("service_offering"))
        if (o["name"] == b->label()) offering = o;
      if (offering.is_null()) {
        offering = {{"guid", auth::new_guid()}, {"name", b->label()}, {"created_at", now}};
      }
      offering.update({{"description", b->description()}, {"available", true}, {"tags", b->tags()},
                       {"requires", json::array()}, {"shareable", false}, {"documentation_url", nullptr},
                       {"broker_catalog", {{"id", "kato-" + b->label()}, {"metadata", json::object()},
                                           {"features", {{"plan_updateable", false}, {"bindable", true},
                                                         {"instances_retrievable", false}, {"bindings_retrievable", false},
                                                         {"allow_context_updates", false}}}}},
                       {"updated_at", now}, {"metadata", metadata()}});
      store.put("service_offering", offering);
      for (const auto& plan : b->plans()) {
        json p;
        for (const auto& existing : store.list("service_plan"))
          if (existing["_offering"] == offering["guid"] && existing["name"] == plan.name) p = existing;
        if (p.is_null()) p = {{"guid", auth::new_guid()}, {"name", plan.name}, {"created_at", now}};
        p.update({{"description", plan.description}, {"free", true}, {"available", true}, {"visibility_type", "public"},
                  {"maintenance_info", json::object()}, {"costs", json::array()},
                  {"broker_catalog", {{"id", "kato-" + b->label() + "-" + plan.name}, {"metadata", json::object()},
                                      {"maximum_polling_duration", nullptr},
                                      {"features", {{"plan_updateable", false}, {"bindable", true}}}}},
                  {"schemas", {{"service_instance", {{"create", {{"parameters", json::object()}}}, {"update", {{"parameters", json::object()}}}}},
                               {"service_binding", {{"create", {{"parameters", json::object()}}}}}}},
                  {"updated_at", now}, {"metadata", metadata()}, {"_offering", offering["guid"]},
                  {"_offering_name", b->label()}, {"_size_mb", plan.size_mb}});
        store.put("service_plan", p);
      }
    }
  });
  if (backends.stager)
    backends.stager->set_services_ready([this](const std::string& app_guid) { wait_for_services(app_guid); });
  // Instances made before a restart: their servers (and filesystem mounts) come back.
  for (const auto& si : store.list("service_instance")) {
    if (si["type"] != "managed" || !si.contains("_data")) continue;
    if (auto* b = backends.brokers->find(si.value("_label", ""))) {
      json data = si["_data"];
      if (b->label() == "filesystem") {
        // Mounted before any app starts: an app must never write into the bare directory
        // under its volume. (Database servers come up in the background; apps retry.)
        try {
          b->resume(data);
        } catch (const std::exception&) {
        }
        continue;
      }
      backends.brokers->submit([b, data] {
        try {
          b->resume(data);
        } catch (const std::exception&) {  // the next provision or bind says why
        }
      });
    }
  }
}

void Controller::Impl::wait_for_services(const std::string& app_guid) {
  for (const auto& b : model::Model(store).bindings_of(app_guid)) {
    auto si = store.get("service_instance", b.instance_guid);  // with its broker's _data
    if (!si || (*si)["type"] != "managed" || !si->contains("_data")) continue;
    if (auto* broker = backends.brokers->find(si->value("_label", ""))) {
      // resume() starts the server once and waits until it answers; one coming up on the
      // brokers' worker is waited for the same way. Its failure is the hook's to report.
      try {
        broker->resume((*si)["_data"]);
      } catch (const std::exception&) {
      }
    }
  }
}

std::string Controller::Impl::start_job(const std::string& operation, const std::string& resource) {
  std::string now = now_iso();
  json job = {{"guid", operation + "~" + resource}, {"operation", operation}, {"state", "PROCESSING"},
              {"errors", json::array()}, {"warnings", json::array()}, {"created_at", now}, {"updated_at", now}};
  store.put("job", job);
  return job["guid"];
}

void Controller::Impl::finish_job(const std::string& guid, const std::string& error) {
  auto job = store.get("job", guid);
  if (!job) return;
  (*job)["state"] = error.empty() ? "COMPLETE" : "FAILED";
  if (!error.empty()) (*job)["errors"] = json::array({{{"code", 10008}, {"title", "CF-UnprocessableEntity"}, {"detail", error}}});
  (*job)["updated_at"] = now_iso();
  store.put("job", *job);
}

http::Response Controller::Impl::create_managed(Call& c, const json& body, const std::string& name, const std::string& space) {
  std::string plan_guid = to_one_guid(body, "service_plan", "service_plan");
  auto plan = store.get("service_plan", plan_guid);
  if (!plan) throw unprocessable("Invalid service plan. Ensure that the service plan exists, is available, and you have access to it.");
  brokers::Broker* broker = backends.brokers ? backends.brokers->find((*plan).value("_offering_name", "")) : nullptr;
  if (!broker) throw unprocessable("The service broker for this plan is not available");
  std::string now = now_iso();
  json si = {{"guid", auth::new_guid()}, {"name", name}, {"type", "managed"},
             {"tags", body.value("tags", json::array())}, {"syslog_drain_url", nullptr}, {"route_service_url", nullptr},
             {"dashboard_url", nullptr}, {"maintenance_info", json::object()}, {"upgrade_available", false},
             {"last_operation", {{"type", "create"}, {"state", "in progress"}, {"description", ""}, {"created_at", now}, {"updated_at", now}}},
             {"created_at", now}, {"updated_at", now}, {"metadata", body.value("metadata", metadata())},
             {"_space", space}, {"_plan", plan_guid}, {"_plan_name", (*plan)["name"]}, {"_label", broker->label()}};
  store.transaction([&] {
    for (const auto& other : store.list("service_instance"))
      if (other["name"] == name && other["_space"] == space)
        throw unprocessable("The service instance name is taken: " + name, 60002, "CF-ServiceInstanceNameTaken");
    store.put("service_instance", si);
  });
  std::string job = start_job("service_instance.create", si["guid"]);
  brokers::Plan p{(*plan)["name"], (*plan).value("description", ""), (*plan).value("_size_mb", 0L)};
  std::string guid = si["guid"];
  backends.brokers->submit([this, broker, p, guid, job] {
    std::string error;
    json data;
    try {
      data = broker->provision(guid, p);
    } catch (const std::exception& e) {
      error = std::string("Service broker error: ") + e.what();
    }
    store.transaction([&] {
      auto doc = store.get("service_instance", guid);
      if (!doc) return;
      (*doc)["last_operation"]["state"] = error.empty() ? "succeeded" : "failed";
      (*doc)["last_operation"]["description"] = error;
      (*doc)["last_operation"]["updated_at"] = now_iso();
      if (error.empty()) (*doc)["_data"] = data;
      store.put("service_instance", *doc);
    });
    finish_job(job, error);
  });
  return http::Response::empty(202).header("Location", c.api + "/v3/jobs/" + job);
}

http::Response Controller::Impl::delete_managed(Call& c, const json& si) {
  std::string guid = si["guid"];
  std::string job = start_job("service_instance.delete", guid);
  brokers::Broker* broker = backends.brokers ? backends.brokers->find(si.value("_label", "")) : nullptr;
  return queue_job(c, job, [this, guid, broker, si] {
    std::string error;
    try {
      for (const auto& b : store.list("binding"))
        if (b["_instance"] == guid) {
          if (broker && si.contains("_data")) broker->unbind(si["_data"], b.value("_credentials", json::object()));
          store.remove("binding", b["guid"]);
        }
      if (broker && si.contains("_data")) broker->deprovision(si["_data"]);
      store.remove("service_instance", guid);
    } catch (const std::exception& e) {
      error = std::string("Service broker error: ") + e.what();
      if (auto doc = store.get("service_instance", guid)) {
        (*doc)["last_operation"] = {{"type", "delete"}, {"state", "failed"}, {"description", error},
                                    {"created_at", now_iso()}, {"updated_at", now_iso()}};
        store.put("service_instance", *doc);
      }
    }
    return error;
  });
}

http::Response Controller::Impl::queue_job(const Call& c, const std::string& job, std::function<std::string()> work) {
  auto run = [this, job, work] { finish_job(job, work()); };
  if (backends.brokers)
    backends.brokers->submit(run);
  else
    run();
  return http::Response::empty(202).header("Location", c.api + "/v3/jobs/" + job);
}

json Controller::Impl::bind_managed(const json& si, const std::string& binding_guid) {
  if (si["last_operation"].value("state", "") != "succeeded" || !si.contains("_data"))
    throw unprocessable("The service instance is not ready: its last operation is " + si["last_operation"].value("type", std::string("create")) +
                        " " + si["last_operation"].value("state", std::string("in progress")), 60016, "CF-AsyncServiceInstanceOperationInProgress");
  brokers::Broker* broker = backends.brokers ? backends.brokers->find(si.value("_label", "")) : nullptr;
  if (!broker) throw unprocessable("The service broker for this instance is not available");
  try {
    return broker->bind(binding_guid, si["_data"]);
  } catch (const std::exception& e) {
    throw ApiError(502, 10001, "CF-ServiceBrokerRequestRejected", std::string("Service broker error: ") + e.what());
  }
}

void Controller::Impl::unbind_managed(const json& binding) {
  auto si = store.get("service_instance", binding["_instance"]);
  if (!si || (*si)["type"] != "managed" || !si->contains("_data")) return;
  if (auto* broker = backends.brokers ? backends.brokers->find(si->value("_label", "")) : nullptr) {
    try {
      broker->unbind((*si)["_data"], binding.value("_credentials", json::object()));
    } catch (const std::exception& e) {
      throw ApiError(502, 10001, "CF-ServiceBrokerRequestRejected", std::string("Service broker error: ") + e.what());
    }
  }
}

}  // namespace kato::controller
