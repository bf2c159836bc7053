#include "model/schema.hpp"

#include <set>

#include "auth/tokens.hpp"
#include "store/store.hpp"

namespace kato::model {

using json = nlohmann::json;

namespace {

std::string now_iso() {
  auto t = std::time(nullptr);
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// 1 -> 2: the space membership older katos kept on the user (`_spaces`, from
// `kato add-user --space`) becomes space_developer roles, which /v3/roles lists.
void spaces_to_roles(store::Store& store) {
  std::string now = now_iso();
  for (auto u : store.list("user")) {
    if (!u.contains("_spaces")) continue;
    if (u["_spaces"].is_array())
      for (const auto& space : u["_spaces"])
        if (space.is_string())
          store.put("role", {{"guid", auth::new_guid()}, {"type", "space_developer"}, {"_user", u["guid"]},
                             {"_space", space}, {"created_at", now}, {"updated_at", now}});
    u.erase("_spaces");
    store.put("user", u);
  }
}

}  // namespace

void add_org_users_for_space_roles(store::Store& store) {
  std::string now = now_iso();
  std::set<std::pair<std::string, std::string>> in_org;  // (user, org) with an org role
  std::vector<json> roles = store.list("role");
  for (const auto& r : roles)
    if (r.contains("_org") && r["_org"].is_string()) in_org.insert({r.value("_user", ""), r["_org"]});
  for (const auto& r : roles) {
    if (!r.contains("_space") || !r["_space"].is_string()) continue;
    auto space = store.get("space", r["_space"]);
    if (!space) continue;
    std::string user = r.value("_user", ""), org = space->value("_org", "");
    if (org.empty() || !in_org.insert({user, org}).second) continue;
    store.put("role", {{"guid", auth::new_guid()}, {"type", "organization_user"}, {"_user", user}, {"_org", org},
                       {"created_at", now}, {"updated_at", now}});
  }
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {2, "users' space membership becomes space_developer roles", spaces_to_roles},
      {3, "space roles bring organization_user in their organization", add_org_users_for_space_roles},
  };
  return all;
}

int schema_version(store::Store& store) {
  auto v = store.setting("schema_version");
  if (!v) return 1;
  try {
    return std::stoi(*v);
  } catch (const std::exception&) {
    throw std::runtime_error("the data dir's schema_version is not a number: '" + *v + "'");
  }
}

std::vector<std::string> migrate(store::Store& store) {
  int have = schema_version(store);
  if (have > kSchemaVersion)
    throw TooNew("the data dir was written by a newer kato (schema version " + std::to_string(have) +
                 "; this kato knows up to " + std::to_string(kSchemaVersion) + "): use that kato, or a newer one");
  std::vector<std::string> applied;
  for (const auto& m : migrations()) {
    if (m.to <= have) continue;
    store.transaction([&] {
      m.apply(store);
      store.set_setting("schema_version", std::to_string(m.to));
    });
    applied.push_back(std::to_string(m.to) + ": " + m.what);
  }
  return applied;
}

}  // namespace kato::model
