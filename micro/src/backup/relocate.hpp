#pragma once
// kato relocate services|droplets|containers DIR: moves one part of a stopped kato's data dir
// to DIR (a bigger disk) and leaves a symbolic link in its place, so that every path kato uses
// leads there. Same filesystem: one rename. Else: copied to DIR.partial, compared with the
// original (diff -r), renamed to DIR, and only then the original deleted. A journal
// (DATA/relocate.json) written before anything moves lets a rerun after kill -9 finish or undo
// the move: nothing is ever half-moved.

#include <filesystem>
#include <string>
#include <vector>

namespace kato::backup {

// The directory under the data dir that a part names: services, blobs (droplets, packages and
// the resource cache), instances (the apps' containers). Throws for an unknown part.
std::filesystem::path part_dir(const std::filesystem::path& data, const std::string& part);

// What an operator should know about DIR's filesystem for that part (noexec for containers, a
// tmpfs for anything); empty when nothing.
std::vector<std::string> relocate_warnings(const std::string& part, const std::filesystem::path& dir);

// Moves the part (kato must be stopped). Returns the messages to print.
std::vector<std::string> relocate(const std::filesystem::path& data, const std::string& part, const std::filesystem::path& dir);

int relocate_command(const std::filesystem::path& data, const std::string& part, const std::string& dir);

}  // namespace kato::backup
