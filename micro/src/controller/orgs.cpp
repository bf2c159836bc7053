// Organizations, spaces and domains: what targeting and routes need.

#include "controller/handlers.hpp"

namespace kato::controller {

json present_org(const Call& c, const json& o) {
  json out = public_view(o);
  std::string self = c.api + "/v3/organizations/" + o["guid"].get<std::string>();
  out["relationships"] = {{"quota", to_one("")}};
  out["links"] = {{"self", link(self)}, {"domains", link(self + "/domains")}, {"default_domain", link(self + "/domains/default")}};
  return out;
}

json present_space(const Call& c, const json& s) {
  json out = public_view(s);
  out["relationships"] = {{"organization", to_one(s["_org"])}, {"quota", to_one("")}};
  out["links"] = {{"self", link(c.api + "/v3/spaces/" + s["guid"].get<std::string>())},
                  {"organization", link(c.api + "/v3/organizations/" + s["_org"].get<std::string>())}};
  return out;
}

namespace {

json present_domain(const Call& c, const json& d) {
  json out = public_view(d);
  out["router_group"] = nullptr;
  out["supported_protocols"] = {"http"};
  out["relationships"] = {{"organization", to_one("")}, {"shared_organizations", {{"data", json::array()}}}};
  out["links"] = {{"self", link(c.api + "/v3/domains/" + d["guid"].get<std::string>())},
                  {"route_reservations", link(c.api + "/v3/domains/" + d["guid"].get<std::string>() + "/route_reservations")}};
  return out;
}

// Names match case-insensitively for organizations, as on CC.
void filter_names_nocase(std::vector<json>& items, const Call& c) {
  if (!c.query("names")) return;
  auto lower = [](std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  std::vector<std::string> wanted;
  for (const auto& n : c.query_list("names")) wanted.push_back(lower(n));
  std::erase_if(items, [&](const json& o) {
    return std::find(wanted.begin(), wanted.end(), lower(o["name"])) == wanted.end();
  });
}

}  // namespace

void Controller::Impl::add_org_routes() {
  add("GET", "/v3/organizations", signed_in, [this](Call& c) {
    c.allow_query({"names", "guids"});
    auto orgs = store.list("organization");
    filter_names_nocase(orgs, c);
    filter_in(orgs, c, "guids", "/guid");
    return paginate(c, orgs, "/v3/organizations", Visible::TheOrg, [&](const json& o) { return present_org(c, o); });
  });
  add("GET", "/v3/organizations/:guid", read(On::Org), [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_org(c, find("organization", c.param(0), "Organization")));
  });
  // Quotas: one memory limit for the organization (`kato set-quota --memory MB`), and the
  // usage it is measured against, so that clients can check before they start more.
  add("GET", "/v3/organization_quotas", signed_in, [this](Call& c) {
    c.allow_query({"organization_guids", "names", "guids", "page", "per_page"});
    std::vector<json> quotas;
    auto limit = store.setting("org_memory_quota_mb");
    if (limit && std::stol(*limit) > 0) {
      json orgs = json::array();
      for (const auto& o : store.list("organization")) orgs.push_back({{"guid", o["guid"]}});
      quotas.push_back({{"guid", "kato-org-quota"}, {"name", "kato"}, {"created_at", now_iso()}, {"updated_at", now_iso()},
                        {"apps", {{"total_memory_in_mb", std::stol(*limit)}, {"per_process_memory_in_mb", nullptr},
                                  {"total_instances", nullptr}, {"per_app_tasks", nullptr},
                                  {"log_rate_limit_in_bytes_per_second", nullptr}}},
                        {"services", {{"paid_services_allowed", true}, {"total_service_instances", nullptr}, {"total_service_keys", nullptr}}},
                        {"routes", {{"total_routes", nullptr}, {"total_reserved_ports", nullptr}}},
                        {"domains", {{"total_domains", nullptr}}},
                        {"relationships", {{"organizations", {{"data", orgs}}}}}});
    }
    return paginate(c, quotas, "/v3/organization_quotas", Visible::All, [](const json& q) { return q; });
  });
  add("GET", "/v3/organizations/:guid/usage_summary", read(On::Org), [this](Call& c) {
    c.allow_query({});
    find("organization", c.param(0), "Organization");
    long instances = 0, memory = 0;
    for (const auto& app : store.list("app")) {
      if (app["state"] != "STARTED") continue;
      for (const auto& p : store.list("process"))
        if (p["_app"] == app["guid"]) {
          instances += p.value("instances", 0L);
          memory += p.value("instances", 0L) * p.value("memory_in_mb", 0L);
        }
    }
    return http::Response::json(200, {{"usage_summary", {{"started_instances", instances}, {"memory_in_mb", memory}}},
                                      {"links", {{"self", link(c.api + "/v3/organizations/" + c.param(0) + "/usage_summary")},
                                                 {"organization", link(c.api + "/v3/organizations/" + c.param(0))}}}});
  });
  add("GET", "/v3/organizations/:guid/domains", read(On::Org), [this](Call& c) {
    c.allow_query({"names", "guids"});
    find("organization", c.param(0), "Organization");
    auto domains = store.list("domain");
    filter_in(domains, c, "names", "/name");
    filter_in(domains, c, "guids", "/guid");
    return paginate(c, domains, "/v3/organizations/" + c.param(0) + "/domains", Visible::All,
                    [&](const json& d) { return present_domain(c, d); });
  });
  add("GET", "/v3/organizations/:guid/domains/default", read(On::Org), [this](Call& c) {
    c.allow_query({});
    find("organization", c.param(0), "Organization");
    auto domains = store.list("domain");
    if (domains.empty()) throw not_found("Domain");
    return http::Response::json(200, present_domain(c, domains.front()));
  });

  add("GET", "/v3/spaces", signed_in, [this](Call& c) {
    c.allow_query({"names", "guids", "organization_guids", "include"});
    auto spaces = store.list("space");
    filter_in(spaces, c, "names", "/name");
    filter_in(spaces, c, "guids", "/guid");
    filter_in(spaces, c, "organization_guids", "/_org");
    auto include = c.query("include");
    if (include && *include != "organization") throw bad_query("Invalid include: " + *include);
    auto res = paginate(c, spaces, "/v3/spaces", Visible::TheSpace, [&](const json& s) { return present_space(c, s); });
    if (include) {
      json body = json::parse(res.body);
      json orgs = json::array();
      std::set<std::string> seen;
      for (const auto& s : body["resources"]) {
        std::string og = s["relationships"]["organization"]["data"]["guid"];
        if (seen.insert(og).second)
          if (auto o = store.get("organization", og)) orgs.push_back(present_org(c, *o));
      }
      body["included"] = {{"organizations", orgs}};
      res.body = body.dump();
    }
    return res;
  });
  // Creating a space: admins and the organization's managers.
  add("POST", "/v3/spaces", {Need::ManageOrg, On::Org, "/relationships/organization/data/guid"}, [this](Call& c) {
    json body = c.body({"name", "relationships", "metadata"});
    if (!body.contains("name") || !body["name"].is_string() || body["name"].get<std::string>().empty())
      throw unprocessable("Name must be a non-empty string");
    const json* org = nullptr;
    if (body.contains("relationships") && body["relationships"].is_object()) {
      json::json_pointer ptr("/relationships/organization/data/guid");
      if (body.contains(ptr) && body[ptr].is_string()) org = &body[ptr];
    }
    if (!org) throw unprocessable("Relationships Organization must be a to-one relationship");
    if (!store.get("organization", *org))
      throw unprocessable("Invalid organization. Ensure the organization exists and you have access to it.");
    json space;
    store.transaction([&] {
      for (const auto& s : store.list("space"))
        if (s["name"] == body["name"] && s["_org"] == *org)
          throw unprocessable("Name must be unique per organization", 40002, "CF-UniquenessError");
      std::string now = now_iso();
      space = {{"guid", auth::new_guid()}, {"name", body["name"]}, {"_org", *org}, {"created_at", now},
               {"updated_at", now}, {"metadata", body.value("metadata", metadata())}};
      store.put("space", space);
    });
    return http::Response::json(201, present_space(c, space));
  });
  add("GET", "/v3/spaces/:guid", read(On::Space), [this](Call& c) {
    c.allow_query({"include"});
    json space = present_space(c, find("space", c.param(0), "Space"));
    if (auto inc = c.query("include")) {
      if (*inc != "organization") throw bad_query("Invalid include: " + *inc);
      std::string og = space["relationships"]["organization"]["data"]["guid"];
      space["included"] = {{"organizations", {present_org(c, find("organization", og, "Organization"))}}};
    }
    return http::Response::json(200, space);
  });

  add("GET", "/v3/domains", signed_in, [this](Call& c) {
    c.allow_query({"names", "guids", "organization_guids"});
    auto domains = store.list("domain");
    filter_in(domains, c, "names", "/name");
    filter_in(domains, c, "guids", "/guid");
    return paginate(c, domains, "/v3/domains", Visible::All, [&](const json& d) { return present_domain(c, d); });
  });
  add("GET", "/v3/domains/:guid", signed_in, [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_domain(c, find("domain", c.param(0), "Domain")));
  });
}

}  // namespace kato::controller
