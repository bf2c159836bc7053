// Writing the normalised manifest out: YAML for people, the compiled manifest for the stager.

#include <regex>

#include <yaml-cpp/yaml.h>

#include "stackato/manifest/manifest.hpp"

namespace stackato::manifest {

namespace {

// A string that a YAML reader would take for something else (bool, null, number) is quoted.
bool needs_quotes(const std::string& s) {
  static const std::regex special(
      "^(|~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|"
      "off|Off|OFF|[-+]?[0-9][0-9_.:eE+-]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$");
  return std::regex_match(s, special) || s.find_first_of("\n\t") != std::string::npos ||
         s.front() == ' ' || s.back() == ' ';
}

void emit(YAML::Emitter& out, const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (const auto& [k, child] : v.items()) {
        out << YAML::Key << k << YAML::Value;
        emit(out, child);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      if (v.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (const auto& child : v) emit(out, child);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (needs_quotes(s))
        out << YAML::DoubleQuoted << s;
      else
        out << s;
      break;
    }
    case nlohmann::json::value_t::boolean: out << (v.get<bool>() ? "true" : "false"); break;
    case nlohmann::json::value_t::null: out << YAML::Null; break;
    default: out << v.dump(); break;
  }
}

}  // namespace

std::string to_yaml(const nlohmann::ordered_json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetMapFormat(YAML::Block);
  out.SetSeqFormat(YAML::Block);
  emit(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

std::string upload_manifest(const Manifest& manifest, const App& app) {
  nlohmann::ordered_json def = app.json;
  std::filesystem::path base = manifest.file.empty() ? app.path : manifest.file.parent_path();
  def["path"] = app.path.lexically_relative(base).generic_string();
  if (def["path"] == "") def["path"] = ".";
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  doc["applications"] = nlohmann::ordered_json::array({def});
  if (manifest.json.contains("properties")) doc["properties"] = manifest.json["properties"];
  return to_yaml(doc);
}

}  // namespace stackato::manifest
