#include "table.hpp"

#include <algorithm>

namespace stackato::client {

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string rule = "+";
  for (auto w : width) rule += std::string(w + 2, '-') + "+";
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (std::size_t i = 0; i < width.size(); ++i) {
      std::string c = i < cells.size() ? cells[i] : "";
      out += " " + c + std::string(width[i] - c.size(), ' ') + " |";
    }
    return out + "\n";
  };
  std::string out = rule + "\n" + line(header) + rule + "\n";
  for (const auto& r : rows) out += line(r);
  return out + rule + "\n";
}

}  // namespace stackato::client
