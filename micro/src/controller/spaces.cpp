// Changing organizations and spaces: create, rename, delete (recursively, as CAPI does), and the
// users who hold roles in them. Reading them is in orgs.cpp.

#include "brokers/brokers.hpp"
#include "controller/handlers.hpp"

namespace kato::controller {

namespace {

std::string checked_name(const json& body, bool required) {
  if (!body.contains("name")) {
    if (required) throw unprocessable("Name must be a non-empty string");
    return "";
  }
  if (!body["name"].is_string() || body["name"].get<std::string>().empty())
    throw unprocessable("Name must be a non-empty string");
  std::string name = body["name"];
  if (name.size() > 255) throw unprocessable("Name is too long (maximum is 255 characters)");
  return name;
}

}  // namespace

// An app and what hangs on it, at once: its instances stop (reconcile), its logs go. The
// credentials brokers made for its bindings are dropped afterwards, on the brokers' thread.
void Controller::Impl::delete_app(const std::string& guid) {
  std::vector<json> managed_bindings;
  store.transaction([&] {
    find("app", guid, "App");
    for (const auto& p : store.list("process"))
      if (p["_app"] == guid) store.remove("process", p["guid"]);
    for (const auto& d : store.list("deployment"))
      if (d["_app"] == guid) store.remove("deployment", d["guid"]);
    // Destinations of the app go; its routes stay (as on CC).
    for (auto r : store.list("route")) {
      auto& d = r["destinations"];
      auto before = d.size();
      d.erase(std::remove_if(d.begin(), d.end(), [&](const json& x) { return x["app"]["guid"] == guid; }), d.end());
      if (d.size() != before) store.put("route", r);
    }
    for (const auto& b : store.list("binding"))
      if (b["_app"] == guid) {
        managed_bindings.push_back(b);
        store.remove("binding", b["guid"]);
      }
    store.remove("app", guid);
  });
  reconcile(guid);
  store.drop_logs(guid);
  if (managed_bindings.empty() || !backends.brokers) return;
  backends.brokers->submit([this, managed_bindings] {
    for (const auto& b : managed_bindings) {
      try {
        unbind_managed(b);
      } catch (const ApiError&) {
        // The broker's user stays behind; the instance's deletion drops it with the database.
      }
    }
  });
}

// A space and everything in it: apps stop and go at once, routes and user-provided instances
// too; managed instances are deprovisioned on the brokers' thread, and the space goes last, so
// that a broker failure leaves the space and the instance that failed (the job says which).
http::Response Controller::Impl::delete_space(Call& c, const std::string& space_guid) {
  find("space", space_guid, "Space");
  std::string job = start_job("space.delete", space_guid);
  for (const auto& app : store.list("app"))
    if (app.value("_space", "") == space_guid) delete_app(app["guid"]);
  std::vector<json> managed;
  store.transaction([&] {
    for (const auto& r : store.list("route"))
      if (r.value("_space", "") == space_guid) store.remove("route", r["guid"]);
    for (const auto& si : store.list("service_instance")) {
      if (si.value("_space", "") != space_guid) continue;
      if (si.value("type", "") == "managed") {
        managed.push_back(si);
        continue;
      }
      store.remove("service_instance", si["guid"]);
    }
  });
  return queue_job(c, job, [this, managed, space_guid] {
    std::string error;
    for (const auto& si : managed) {
      brokers::Broker* broker = backends.brokers ? backends.brokers->find(si.value("_label", "")) : nullptr;
      try {
        if (broker && si.contains("_data")) broker->deprovision(si["_data"]);
        store.remove("service_instance", si["guid"]);
      } catch (const std::exception& e) {
        error = "Deletion of service instance " + si.value("name", "") + " failed: " + e.what();
      }
    }
    if (error.empty()) remove_with_roles("space", "_space", space_guid);
    return error;
  });
}

// The place and the roles given in it, in one transaction.
void Controller::Impl::remove_with_roles(const std::string& type, const char* field, const std::string& guid) {
  store.transaction([&] {
    for (const auto& r : store.list("role"))
      if (r.value(field, "") == guid) store.remove("role", r["guid"]);
    store.remove(type, guid);
  });
}

void Controller::Impl::add_space_routes() {
  add("POST", "/v3/organizations", admin_only, [this](Call& c) {
    json body = c.body({"name", "suspended", "metadata"});
    std::string name = checked_name(body, true);
    json org;
    store.transaction([&] {
      for (const auto& o : store.list("organization"))
        if (o["name"] == name) throw unprocessable("Organization '" + name + "' already exists.", 10005, "CF-UniquenessError");
      std::string now = now_iso();
      org = {{"guid", auth::new_guid()}, {"name", name}, {"suspended", body.value("suspended", false)},
             {"created_at", now}, {"updated_at", now}, {"metadata", body.value("metadata", metadata())}};
      store.put("organization", org);
    });
    return http::Response::json(201, present_org(c, org));
  });
  add("PATCH", "/v3/organizations/:guid", manage(On::Org), [this](Call& c) {
    json body = c.body({"name", "suspended", "metadata"});
    std::string name = checked_name(body, false);
    if (body.contains("suspended") && !c.caller->admin)
      throw ApiError(403, 10003, "CF-NotAuthorized", "You are not authorized to perform the requested action");
    json org;
    store.transaction([&] {
      org = find("organization", c.param(0), "Organization");
      if (!name.empty()) {
        for (const auto& o : store.list("organization"))
          if (o["name"] == name && o["guid"] != org["guid"])
            throw unprocessable("Organization '" + name + "' already exists.", 10005, "CF-UniquenessError");
        org["name"] = name;
      }
      if (body.contains("suspended")) org["suspended"] = body["suspended"].is_boolean() && body["suspended"].get<bool>();
      if (body.contains("metadata")) org["metadata"] = body["metadata"];
      org["updated_at"] = now_iso();
      store.put("organization", org);
    });
    return http::Response::json(200, present_org(c, org));
  });
  // An organization goes with its spaces, as on CAPI; the job follows the last space.
  add("DELETE", "/v3/organizations/:guid", {Need::Admin, On::Org}, [this](Call& c) {
    c.allow_query({});
    json org = find("organization", c.param(0), "Organization");
    std::string org_guid = org["guid"];
    for (const auto& s : store.list("space"))
      if (s.value("_org", "") == org_guid) delete_space(c, s["guid"]);
    std::string job = start_job("organization.delete", org_guid);
    // The brokers' worker runs work in order: this runs once the spaces' own work is done.
    return queue_job(c, job, [this, org_guid] {
      for (const auto& s : store.list("space"))
        if (s.value("_org", "") == org_guid) return "Space " + s.value("name", "") + " could not be deleted";
      remove_with_roles("organization", "_org", org_guid);
      return std::string();
    });
  });

  add("PATCH", "/v3/spaces/:guid", manage(On::Space), [this](Call& c) {
    json body = c.body({"name", "metadata"});
    std::string name = checked_name(body, false);
    json space;
    store.transaction([&] {
      space = find("space", c.param(0), "Space");
      if (!name.empty()) {
        for (const auto& s : store.list("space"))
          if (s["name"] == name && s["_org"] == space["_org"] && s["guid"] != space["guid"])
            throw unprocessable("Name must be unique per organization", 40002, "CF-UniquenessError");
        space["name"] = name;
      }
      if (body.contains("metadata")) space["metadata"] = body["metadata"];
      space["updated_at"] = now_iso();
      store.put("space", space);
    });
    return http::Response::json(200, present_space(c, space));
  });
  add("DELETE", "/v3/spaces/:guid", {Need::ManageOrg, On::Space}, [this](Call& c) {
    c.allow_query({});
    return delete_space(c, c.param(0));
  });

  // The users holding a role in a space or organization (CAPI's /v3/spaces/:guid/users).
  auto users_in = [this](Call& c, const char* field, const std::string& self) {
    c.allow_query({"usernames", "guids"});
    std::set<std::string> holders;
    for (const auto& r : store.list("role"))
      if (r.value(field, "") == c.param(0)) holders.insert(r.value("_user", ""));
    std::vector<json> users;
    for (const auto& u : store.list("user"))
      if (holders.count(u["guid"])) users.push_back(u);
    filter_in(users, c, "usernames", "/name");
    filter_in(users, c, "guids", "/guid");
    return paginate(c, users, self, Visible::All, [&](const json& u) { return present_user(c, u); });
  };
  add("GET", "/v3/spaces/:guid/users", read(On::Space), [this, users_in](Call& c) {
    find("space", c.param(0), "Space");
    return users_in(c, "_space", "/v3/spaces/" + c.param(0) + "/users");
  });
  add("GET", "/v3/organizations/:guid/users", read(On::Org), [this, users_in](Call& c) {
    find("organization", c.param(0), "Organization");
    return users_in(c, "_org", "/v3/organizations/" + c.param(0) + "/users");
  });
}

}  // namespace kato::controller
