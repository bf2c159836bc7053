#pragma once
// multipart/form-data bodies (package uploads): the parts by field name.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kato::http {

struct Part {
  std::string filename;
  std::string_view data;  // points into the body
};

// nullopt when the content type has no boundary or the body is not well formed.
std::optional<std::map<std::string, Part>> parse_multipart(std::string_view content_type, std::string_view body);

}  // namespace kato::http
