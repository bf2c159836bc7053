// Packages (create, upload, get), resource matching against the blob cache, builds.

#include "blobs/blobs.hpp"
#include "controller/handlers.hpp"
#include "http/multipart.hpp"
#include "stager/stager.hpp"

namespace kato::controller {

namespace {

json present_package(const Call& c, const json& p) {
  json out = public_view(p);
  std::string self = c.api + "/v3/packages/" + p["guid"].get<std::string>();
  out["relationships"] = {{"app", to_one(p["_app"])}};
  out["links"] = {{"self", link(self)}, {"upload", link(self + "/upload", "POST")},
                  {"download", link(self + "/download")},
                  {"app", link(c.api + "/v3/apps/" + p["_app"].get<std::string>())}};
  return out;
}

json present_build(const Call& c, const json& b) {
  json out = public_view(b);
  out["relationships"] = {{"app", to_one(b["_app"])}};
  out["links"] = {{"self", link(c.api + "/v3/builds/" + b["guid"].get<std::string>())},
                  {"app", link(c.api + "/v3/apps/" + b["_app"].get<std::string>())}};
  if (!b["droplet"].is_null())
    out["links"]["droplet"] = link(c.api + "/v3/droplets/" + b["droplet"]["guid"].get<std::string>());
  return out;
}

}  // namespace

void Controller::Impl::add_package_routes() {
  add("POST", "/v3/packages", write_in(On::App, "/relationships/app/data/guid"), [this](Call& c) {
    json body = c.body({"type", "relationships", "data", "metadata"});
    if (body.value("type", "") != "bits") throw unprocessable("Type must be 'bits'; docker packages are not supported");
    std::string app = to_one_guid(body, "app", "App");
    if (!store.get("app", app)) throw unprocessable("App is invalid. Ensure it exists and you have access to it.");
    std::string now = now_iso();
    json p = {{"guid", auth::new_guid()}, {"type", "bits"}, {"state", "AWAITING_UPLOAD"},
              {"data", {{"checksum", {{"type", "sha256"}, {"value", nullptr}}}, {"error", nullptr}}},
              {"created_at", now}, {"updated_at", now}, {"metadata", body.value("metadata", metadata())}, {"_app", app}};
    store.put("package", p);
    return http::Response::json(201, present_package(c, p));
  });
  add("GET", "/v3/packages/:guid", read(On::Package), [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_package(c, find("package", c.param(0), "Package")));
  });
  add("GET", "/v3/apps/:guid/packages", read(On::App), [this](Call& c) {
    c.allow_query({"states", "types", "guids"});
    find("app", c.param(0), "App");
    auto ps = store.list("package");
    std::erase_if(ps, [&](const json& p) { return p["_app"] != c.param(0); });
    filter_in(ps, c, "states", "/state");
    filter_in(ps, c, "guids", "/guid");
    return paginate(c, ps, "/v3/apps/" + c.param(0) + "/packages", Visible::App, [&](const json& p) { return present_package(c, p); });
  });

  add("POST", "/v3/packages/:guid/upload", write(On::Package), [this](Call& c) {
    c.allow_query({});
    json p = find("package", c.param(0), "Package");
    if (p["state"] != "AWAITING_UPLOAD") throw unprocessable("Package has already been uploaded");
    const std::string* type = c.req.header("content-type");
    auto parts = http::parse_multipart(type ? *type : "", c.req.body);
    if (!parts) throw ApiError(400, 1004, "CF-BadRequest", "Bad request: the body must be multipart/form-data");
    json matched = json::array();
    if (auto it = parts->find("resources"); it != parts->end()) {
      matched = json::parse(it->second.data, nullptr, false);
      if (!matched.is_array()) throw unprocessable("Resources must be a JSON array");
    }
    std::string_view zip;
    if (auto it = parts->find("bits"); it != parts->end()) zip = it->second.data;
    if (zip.empty() && matched.empty()) throw unprocessable("Upload must include either resources or bits");
    std::string now = now_iso();
    try {
      p["data"]["checksum"]["value"] = backends.blobs->store_package(p["guid"], zip, matched);
      p["state"] = "READY";
      // What crossed the wire, so that resource matching can be seen to work.
      p["metadata"]["annotations"]["kato.stackato.io/upload-bytes"] = std::to_string(zip.size());
    } catch (const std::exception& e) {
      p["state"] = "FAILED";
      p["data"]["error"] = e.what();
    }
    p["updated_at"] = now;
    store.put("package", p);
    event(c, p["_app"], "Uploaded package: " + std::to_string(zip.size()) + " bytes, " + std::to_string(matched.size()) +
                            " files matched from the cache, " + p["state"].get<std::string>());
    // Unsafe or oversized bits: the package stays FAILED with the reason, and the upload is
    // answered as Cloud Controller answers invalid bits.
    if (p["state"] == "FAILED")
      throw ApiError(422, 150007, "CF-PackageBitsError", "Package bits are invalid: " + p["data"]["error"].get<std::string>());
    return http::Response::json(200, present_package(c, p));
  });

  add("POST", "/v3/resource_matches", signed_in, [this](Call& c) {
    json body = c.body({"resources"});
    if (!body.contains("resources") || !body["resources"].is_array()) throw unprocessable("Resources must be an array");
    if (body["resources"].size() > 5000) throw unprocessable("Resources must have at most 5000 entries");
    json found = json::array();
    for (const auto& r : body["resources"]) {
      if (!r.is_object()) continue;
      std::string sha = r.value("checksum", json::object()).value("value", "");
      auto size = r.value("size_in_bytes", static_cast<std::uint64_t>(0));
      if (size > 0 && backends.blobs->has_resource(sha, size)) found.push_back(r);
    }
    return http::Response::json(201, {{"resources", found}});
  });

  add("POST", "/v3/builds", write_in(On::Package, "/package/guid"), [this](Call& c) {
    json body = c.body({"package", "lifecycle", "staging_memory_in_mb", "staging_disk_in_mb", "metadata",
                        "staging_log_rate_limit_bytes_per_second"});
    std::string pkg_guid;
    try {
      pkg_guid = body.at("package").at("guid");
    } catch (const json::exception&) {
      throw unprocessable("Package must be an object with a guid");
    }
    auto pkg = store.get("package", pkg_guid);
    if (!pkg) throw unprocessable("Unable to use package. Ensure that the package exists and you have access to it.");
    if ((*pkg)["state"] != "READY")
      throw ApiError(400, 1004, "CF-BadRequest", "Bad request: Cannot stage package whose state is not ready.");
    std::string now = now_iso();
    json build = {{"guid", auth::new_guid()}, {"state", "STAGING"}, {"error", nullptr},
                  {"staging_memory_in_mb", body.value("staging_memory_in_mb", 1024)},
                  {"staging_disk_in_mb", body.value("staging_disk_in_mb", 4096)},
                  {"lifecycle", {{"type", "buildpack"}, {"data", {{"buildpacks", json::array()}, {"stack", "cflinuxfs4"}}}}},
                  {"package", {{"guid", pkg_guid}}}, {"droplet", nullptr},
                  {"created_by", {{"guid", c.user->guid}, {"name", c.user->name}, {"email", c.user->name}}},
                  {"created_at", now}, {"updated_at", now}, {"metadata", body.value("metadata", metadata())},
                  {"_app", (*pkg)["_app"]}};
    store.put("build", build);
    event(c, build["_app"], "Staging build " + build["guid"].get<std::string>());
    backends.stager->stage(build["guid"]);
    return http::Response::json(201, present_build(c, build));
  });
  add("GET", "/v3/builds/:guid", read(On::Build), [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_build(c, find("build", c.param(0), "Build")));
  });
}

}  // namespace kato::controller
