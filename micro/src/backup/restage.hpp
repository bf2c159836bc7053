#pragma once
// kato data import --restage: every app with a package is staged again on this kato and restarted
// with the new droplet, through kato's own V3 API as its admin (DATA/admin-password), as
// `stackato restage` would: apps that wrote service credentials into their droplet at staging
// get this kato's.

#include <filesystem>
#include <ostream>

namespace kato::backup {

// Returns how many apps were restaged; throws std::runtime_error naming the app that failed.
int restage_all(const std::filesystem::path& data, std::ostream& log);

}  // namespace kato::backup
