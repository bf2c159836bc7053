#pragma once
// "Did you mean ...?" for mistyped commands and options.

#include <string>
#include <vector>

namespace stackato::client {

// The closest candidate within a small edit distance, or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace stackato::client
