#pragma once
// The client-side `pre-push` hook: each command runs in the app's directory through $SHELL -c
// (else /bin/sh), with STACKATO_APP_NAME, STACKATO_CLIENT and STACKATO_HOOK_ACTION set, its
// output prefixed "pushing: ". Unlike the original client, a failing command aborts the push.

#include <filesystem>
#include <string>
#include <vector>

namespace stackato::client {

// Throws std::runtime_error naming the command and its exit status when one fails.
void run_pre_push(const std::vector<std::string>& commands, const std::filesystem::path& dir,
                  const std::string& app_name, const std::string& action);

}  // namespace stackato::client
