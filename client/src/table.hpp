#pragma once
// The original client's tables: +---+ borders, a header row, one row per line of output.

#include <string>
#include <vector>

namespace stackato::client {

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace stackato::client
