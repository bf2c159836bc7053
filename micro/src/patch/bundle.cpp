#include "patch/bundle.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "patch/files.hpp"
#include "patch/signing.hpp"

namespace kato::patch {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A bundle's payload is held in memory while it is verified: bounded, with room for a kato
// built with sanitizers (265 MB without symbols; a Release kato is 9 MB).
constexpr std::uint64_t kMaxBytes = std::uint64_t(512) << 20;
constexpr int kMaxMembers = 1000;
const std::regex kName("[a-z0-9][a-z0-9._-]{0,63}");

std::vector<std::string> strings(const json& j, const std::string& field, const std::string& where) {
  if (!j.contains(field) || !j[field].is_array()) throw BundleError(where + ": '" + field + "' must be a list of strings");
  std::vector<std::string> out;
  for (const auto& v : j[field]) {
    if (!v.is_string()) throw BundleError(where + ": '" + field + "' must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string text(const json& j, const std::string& field, const std::string& where) {
  if (!j.contains(field) || !j[field].is_string() || j[field].get<std::string>().empty())
    throw BundleError(where + ": '" + field + "' must be a non-empty string");
  return j[field];
}

bool safe_source(const std::string& s) {
  if (s.empty() || s.size() > 200 || s[0] == '/') return false;
  for (const auto& part : fs::path(s)) {
    if (part == ".." || part == "." || part.empty()) return false;
  }
  return s.find('\0') == std::string::npos;
}

std::string slurp(const fs::path& p) {
  auto text = read_file(p);
  if (!text) throw BundleError("cannot read " + p.string());
  return *text;
}

using Archive = std::unique_ptr<archive, int (*)(archive*)>;

void add_member(archive* a, const std::string& name, const std::string& data, int mode) {
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), static_cast<mode_t>(mode));
  if (archive_write_header(a, e.get()) != ARCHIVE_OK ||
      archive_write_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))
    throw BundleError(std::string("cannot write the bundle: ") + (archive_error_string(a) ? archive_error_string(a) : "?"));
}

void write_index(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (e.is_regular_file() && (n.ends_with(".tar.gz") || n.ends_with(".tgz"))) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  fs::path tmp = dir / ".index.tmp";
  {
    std::ofstream out(tmp);
    for (const auto& n : names) out << n << "\n";
  }
  fs::rename(tmp, dir / "index");
}

}  // namespace

const std::vector<std::string>& known_roles() {
  static const std::vector<std::string> roles = {"controller", "router", "stager", "runner", "brokers", "helpers"};
  return roles;
}

bool PatchInfo::applies(const std::string& version) const {
  return std::any_of(applies_to.begin(), applies_to.end(), [&](const std::string& v) { return v == "*" || v == version; });
}

PatchInfo parse_info(const std::string& raw, const std::string& where, bool hashed) {
  json j = json::parse(raw, nullptr, false);
  if (!j.is_object()) throw BundleError(where + ": not a JSON object");
  PatchInfo p;
  p.name = text(j, "name", where);
  if (!std::regex_match(p.name, kName)) throw BundleError(where + ": 'name' must be lower case letters, digits, '.', '_' or '-'");
  p.description = text(j, "description", where);
  p.severity = text(j, "severity", where);
  if (p.severity != "required" && p.severity != "recommended" && p.severity != "optional")
    throw BundleError(where + ": 'severity' must be required, recommended or optional, not '" + p.severity + "'");
  p.applies_to = strings(j, "applies_to", where);
  if (p.applies_to.empty()) throw BundleError(where + ": 'applies_to' names no version (\"*\" for all)");
  p.roles = strings(j, "roles", where);
  for (const auto& r : p.roles)
    if (std::find(known_roles().begin(), known_roles().end(), r) == known_roles().end())
      throw BundleError(where + ": unknown role '" + r + "' (controller, router, stager, runner, brokers, helpers)");
  if (!j.contains("files") || !j["files"].is_array()) throw BundleError(where + ": 'files' must be a list");
  std::set<std::string> targets;
  for (const auto& f : j["files"]) {
    if (!f.is_object()) throw BundleError(where + ": each of 'files' must be an object with 'source' and 'target'");
    PatchFile file{text(f, "source", where + ": files"), text(f, "target", where + ": files"), ""};
    if (!safe_source(file.source)) throw BundleError(where + ": files: source '" + file.source + "' must be a relative path inside the directory");
    bool helper = file.target.starts_with("helpers/") && std::regex_match(file.target.substr(8), kName);
    if (file.target != "kato" && !helper)
      throw BundleError(where + ": files: target '" + file.target + "' must be 'kato' (the executable) or 'helpers/NAME'");
    if (!targets.insert(file.target).second) throw BundleError(where + ": files: target '" + file.target + "' twice");
    if (hashed) {
      file.sha256 = text(f, "sha256", where + ": files");
      if (!std::regex_match(file.sha256, std::regex("[0-9a-f]{64}"))) throw BundleError(where + ": files: sha256 of '" + file.source + "' is not a SHA-256");
    }
    p.files.push_back(file);
  }
  return p;
}

void make_bundle(const fs::path& dir, const fs::path& key, const fs::path& out) {
  std::string where = (dir / "patch.json").string();
  std::string raw = slurp(dir / "patch.json");
  PatchInfo info = parse_info(raw, where, false);
  json j = json::parse(raw);
  std::map<std::string, std::string> payload;
  for (std::size_t i = 0; i < info.files.size(); ++i) {
    fs::path src = dir / info.files[i].source;
    if (!fs::is_regular_file(src)) throw BundleError(where + ": files: " + src.string() + " is not a regular file");
    payload[info.files[i].source] = slurp(src);
    j["files"][i]["sha256"] = sha256_hex(payload[info.files[i].source]);
  }
  j["format"] = 1;
  std::string manifest = j.dump(2) + "\n";
  std::string signature = sign(key, manifest);

  fs::path tmp = out.string() + ".tmp";
  {
    Archive a(archive_write_new(), archive_write_free);
    archive_write_add_filter_gzip(a.get());
    archive_write_set_format_pax_restricted(a.get());
    if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) throw BundleError("cannot write " + tmp.string());
    add_member(a.get(), "patch.json", manifest, 0644);
    add_member(a.get(), "patch.sig", signature, 0644);
    for (const auto& [source, data] : payload) add_member(a.get(), "payload/" + source, data, 0755);
    if (archive_write_close(a.get()) != ARCHIVE_OK) throw BundleError("cannot write " + tmp.string());
  }
  fs::rename(tmp, out);
  write_index(out.has_parent_path() ? out.parent_path() : fs::path("."));
}

Bundle open_bundle(const fs::path& file, const std::vector<std::string>& trusted) {
  std::string where = file.filename().string();
  Archive a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), 65536) != ARCHIVE_OK)
    throw BundleError(where + ": not a patch bundle (a tar.gz)");
  std::map<std::string, std::string> members;
  std::uint64_t total = 0;
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    const char* n = archive_entry_pathname(e);
    std::string name = n ? n : "";
    if (members.size() >= static_cast<std::size_t>(kMaxMembers)) throw BundleError(where + ": more than 1000 members");
    // Directories of the payload (as tar writes them when a bundle is packed by hand) carry nothing.
    if (archive_entry_filetype(e) == AE_IFDIR) {
      std::string dir = name.ends_with("/") ? name.substr(0, name.size() - 1) : name;
      if (dir == "payload" || (dir.starts_with("payload/") && safe_source(dir.substr(8)))) continue;
    }
    bool allowed = name == "patch.json" || name == "patch.sig" || (name.starts_with("payload/") && safe_source(name.substr(8)));
    if (!allowed || archive_entry_filetype(e) != AE_IFREG) throw BundleError(where + ": unexpected member '" + name + "'");
    if (members.count(name)) throw BundleError(where + ": member '" + name + "' twice");
    std::string data;
    char buf[65536];
    la_ssize_t got;
    while ((got = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
      total += static_cast<std::uint64_t>(got);
      if (total > kMaxBytes) throw BundleError(where + ": unpacks to more than " + std::to_string(kMaxBytes >> 20) + " MiB");
      data.append(buf, static_cast<std::size_t>(got));
    }
    if (got < 0) throw BundleError(where + ": truncated or corrupt at '" + name + "'");
    members[name] = std::move(data);
  }
  if (rc != ARCHIVE_EOF) throw BundleError(where + ": truncated or corrupt");
  if (!members.count("patch.json")) throw BundleError(where + ": no patch.json");
  if (!members.count("patch.sig")) throw BundleError(where + ": unsigned (no patch.sig)");

  Bundle b;
  for (const auto& pem : trusted) {
    try {
      if (verify(pem, members["patch.json"], members["patch.sig"])) {
        b.signer = fingerprint(pem);
        break;
      }
    } catch (const KeyError&) {
    }
  }
  if (b.signer.empty())
    throw BundleError(where + ": the signature is not by a trusted key (tampered, or signed by a key 'kato patch trust' was not given)");
  b.info = parse_info(members["patch.json"], where + ": patch.json", true);
  for (const auto& f : b.info.files) {
    auto it = members.find("payload/" + f.source);
    if (it == members.end()) throw BundleError(where + ": payload/" + f.source + " is missing");
    if (sha256_hex(it->second) != f.sha256) throw BundleError(where + ": payload/" + f.source + " does not match its SHA-256");
    b.payload[f.source] = std::move(it->second);
  }
  return b;
}

}  // namespace kato::patch
